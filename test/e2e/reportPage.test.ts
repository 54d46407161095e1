/**
 * The report page in a real browser: Debian's Chromium (headless, driven by playwright-core) loads
 * GET /api/drills/{id}/report from the standalone host (the built app, with the function key) for a drill that
 * passed, one that failed (checks that fail, a missed RTO target, a hostile label) and one cancelled during its
 * restore, all run for real against the emulator; the rendered page is asserted on and screenshotted under
 * .tmp/test-artifacts/report-page/ (not committed). Without /usr/bin/chromium (.ci/run installs it) the browser
 * part is skipped, loudly.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { startAzurite, type AzuriteProcess } from '../../emulator/storage';
import type { DrillReport } from '../../src/lib/drill/report';
import { REPORT_PAGE_CSP } from '../../src/lib/drill/reportPage';
import { ORDERS_SQL, startTestEmulator } from '../support/emulator';
import {
  azuriteConnectionString,
  singleDatabaseRequest as request,
  standaloneHostEnv,
} from '../support/drill';
import { call, KEY, startHostProcess, waitFor, type Host } from '../support/host';

// The page's own globals, as the browser has them (this project compiles without the DOM library).
declare const window: { pwned?: number };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const root = join(__dirname, '..', '..');
const CHROMIUM = process.env.PGDRILL_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = join(root, '.tmp', 'test-artifacts', 'report-page');
/** As the machine notes say: no network Chromium would reach for on its own, a fresh profile every time. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HOSTILE_LABEL = `<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & "quotes"`;

if (!hasChromium)
  process.stderr.write(
    `\n*** SKIPPED: the report page browser test needs Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it) ***\n\n`,
  );

let emu: EmulatorHandle;
let storage: AzuriteProcess;
let host: Host;
let browser: BrowserContext;
let profile: string;
const reports = new Map<'passed' | 'failed' | 'cancelled', DrillReport>();
const ids = { passed: 'drill-page-passed', failed: 'drill-page-failed', cancelled: 'drill-page-cancelled' };
let whileRunning: { status: number; body: any } | undefined;

describe.skipIf(!hasChromium)('report page in headless Chromium', () => {
  beforeAll(async () => {
    storage = await startAzurite();
    emu = await startTestEmulator({
      config: {
        // A restore job long enough to cancel in the middle of it.
        timings: {
          validate: { durationSeconds: 1, retryAfterSeconds: 1 },
          restoreOperation: { durationSeconds: 0.3, retryAfterSeconds: 1 },
          restoreJobSeconds: 4,
          rehydrationSeconds: 1,
        },
        servers: [
          { name: 'src-single', kind: 'single', resourceGroup: 'rg-test', managed: { password: 'src-pw' } },
          { name: 'tgt-single', kind: 'single', resourceGroup: 'rg-test', managed: { password: 'tgt-pw' } },
        ],
        vaults: [
          {
            name: 'vault-test',
            resourceGroup: 'rg-test',
            backupInstances: [
              {
                name: 'bi-single',
                server: 'src-single',
                database: 'shop',
                seed: {
                  sql: ORDERS_SQL,
                  backups: 1,
                  intervalHours: 24,
                  archived: 0,
                },
              },
            ],
          },
        ],
      },
    });
    const hub = `page${randomBytes(4).toString('hex')}`;
    host = await startHostProcess({
      ...standaloneHostEnv(emu, hub),
      AzureWebJobsStorage: azuriteConnectionString(storage),
      DRILL_FUNCTION_KEY: KEY,
      DRILL_JOB_POLL_INITIAL_SECONDS: '0.5',
      DRILL_JOB_POLL_MAX_SECONDS: '1',
      DRILL_RETRY_FIRST_DELAY_SECONDS: '0.5',
    });
    const started = await Promise.all([
      call(
        host,
        'POST',
        '/api/drills',
        request({
          idempotencyKey: 'page-passed',
          label: 'Single Server: restore as database',
          verify: {
            tables: [{ name: 'public.orders', minRows: 500 }],
            canary: { sql: 'SELECT max(updated_at) FROM orders', toleranceMinutes: 60 },
            assertions: [
              {
                name: 'no negative amounts',
                sql: 'SELECT count(*) FROM orders WHERE amount < 0',
                expected: 0,
              },
            ],
          },
          targets: { rtoMinutes: 15, rpoHours: 26 },
        }),
      ),
      call(
        host,
        'POST',
        '/api/drills',
        request({
          idempotencyKey: 'page-failed',
          label: HOSTILE_LABEL,
          verify: {
            schemas: ['billing'],
            tables: [{ name: 'public.orders', minRows: 5000 }],
            assertions: [{ name: 'newest refund', sql: 'SELECT NULL::int', expected: 0 }],
          },
          // Seconds, where a restore takes longer: missed.
          targets: { rtoMinutes: 0.01, rpoHours: 26 },
        }),
      ),
      call(
        host,
        'POST',
        '/api/drills',
        request({ idempotencyKey: 'page-cancelled', label: 'cancelled mid-restore' }),
      ),
    ]);
    expect(started.map((s) => s.status)).toEqual([202, 202, 202]);
    // Cancel the third while Azure's job runs; its page is not there yet, and the host says why.
    await waitFor(
      () => host,
      ids.cancelled,
      (s) => s.phase === 'restore' && /job/.test(s.detail ?? ''),
    );
    whileRunning = await call(host, 'GET', `/api/drills/${ids.cancelled}/report`);
    expect((await call(host, 'POST', `/api/drills/${ids.cancelled}/cancel`)).status).toBe(202);
    for (const [verdict, id] of Object.entries(ids) as [keyof typeof ids, string][]) {
      const done = await waitFor(
        () => host,
        id,
        (s) => s.runtimeStatus === 'Completed',
      );
      reports.set(verdict, done.report as DrillReport);
    }
    profile = mkdtempSync(join(tmpdir(), 'pgdrill-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      extraHTTPHeaders: { 'x-functions-key': KEY },
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await host?.stop();
    await emu?.stop();
    await storage?.stop();
  });

  /** Loads a drill's page through the host; every request the page made, its CSP header, a full screenshot. */
  async function open(verdict: keyof typeof ids) {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const res = await page.goto(`${host.url}/api/drills/${ids[verdict]}/report`);
    expect(res?.status()).toBe(200);
    await page.screenshot({ path: join(ARTIFACTS, `${verdict}.png`), fullPage: true });
    return { page, res: res!, requested };
  }

  /** What every page must be: no script, nothing fetched but itself, the verdict, a bar per phase, the hash. */
  async function common(verdict: keyof typeof ids) {
    const report = reports.get(verdict)!;
    expect(report.verdict).toBe(verdict);
    const { page, res, requested } = await open(verdict);
    expect(res.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers()['content-security-policy']).toBe(REPORT_PAGE_CSP);
    // Nothing but the page itself (a browser may ask the host for its icon: not the page's doing).
    expect(requested.filter((u) => !u.endsWith('/favicon.ico'))).toEqual([
      `${host.url}/api/drills/${ids[verdict]}/report`,
    ]);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('#verdict').textContent()).toBe(verdict.toUpperCase());
    const bars = page.locator('svg.timeline rect.bar.phase');
    expect(await bars.count()).toBe(report.phases.length);
    expect(await bars.evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(
      report.phases.map((p) => p.name),
    );
    for (const box of await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width)))
      expect(box).toBeGreaterThan(0);
    expect(await page.locator('svg.timeline rect.bar.job').count()).toBe(report.job?.startTime ? 1 : 0);
    expect(report.evidence?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.locator('#evidence code.hash').first().textContent()).toBe(report.evidence!.sha256);
    return { page, report };
  }

  it('a passed drill: PASSED, objectives met, every check passed, the restored database and its removal', async () => {
    const { page, report } = await common('passed');
    expect(report.verification.every((c) => c.status === 'passed')).toBe(true);
    expect(await page.locator('tr.check.failed').count()).toBe(0);
    expect(await page.locator('tr.objective.met').count()).toBe(2);
    const orders = page.locator('tr.check', { hasText: 'table public.orders' });
    expect(await orders.locator('td').nth(3).textContent()).toBe('at least 500');
    expect(await orders.locator('td').nth(4).textContent()).toBe('1,000');
    expect(await page.locator('#restored').textContent()).toContain(
      `Database ${report.restored!.database!.name}`,
    );
    expect(await page.locator('#cleanup').textContent()).toContain(
      'Everything the drill created was removed.',
    );
    await page.close();
  });

  it('a failed drill: failed rows highlighted and marked, verify shown failed, the missed RTO, a hostile label inert', async () => {
    const { page, report } = await common('failed');
    const bad = report.verification.filter((c) => c.status === 'failed' || c.status === 'error');
    expect(bad.map((c) => c.check).sort()).toEqual([
      'assertion newest refund',
      'schema billing',
      'table public.orders',
    ]);
    const rows = page.locator('tr.check.failed');
    expect(await rows.count()).toBe(bad.length);
    for (const row of await rows.all()) {
      expect(await row.locator('td').first().textContent()).toBe('FAILED');
      // Highlighted: a red-tinted background, not the white of a passed row.
      expect(
        await row
          .locator('td')
          .nth(1)
          .evaluate((td) => getComputedStyle(td).backgroundColor),
      ).toBe('rgb(255, 235, 233)');
    }
    const passedRow = page.locator('tr.check:not(.failed)').first();
    expect(
      await passedRow
        .locator('td')
        .nth(1)
        .evaluate((td) => getComputedStyle(td).backgroundColor),
    ).toBe('rgba(0, 0, 0, 0)');
    const cells = async (check: string) =>
      (await page.locator('tr.check', { hasText: check }).locator('td').allTextContents()).slice(3, 5);
    expect(await cells('table public.orders')).toEqual(['at least 5,000', '1,000']);
    expect(await cells('assertion newest refund')).toEqual(['0', 'no value (NULL or no rows)']);
    expect(await cells('schema billing')).toEqual(['exists', 'missing']);
    // The stored report and the page agree: verify failed (not "succeeded" beside failed checks).
    expect(report.phases.find((p) => p.name === 'verify')!.status).toBe('failed');
    expect(await page.locator('tr.phase-row', { hasText: 'verify' }).locator('td').nth(1).textContent()).toBe(
      'failed',
    );
    expect(await page.locator('rect.bar.phase[data-name="verify"]').getAttribute('class')).toContain(
      'status-failed',
    );
    expect(await page.locator('tr.objective[data-objective="RTO"]').getAttribute('class')).toContain(
      'missed',
    );
    expect(await page.locator('#failure').textContent()).toContain('VerificationFailed');
    // The label is shown as text, and nothing in it ran.
    expect(await page.locator('#label').textContent()).toBe(HOSTILE_LABEL);
    expect(await page.evaluate(() => window.pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    // On paper too: the failed rows keep their tint (print-color-adjust), and a PDF can be made of it.
    await page.emulateMedia({ media: 'print' });
    expect(
      await rows
        .first()
        .locator('td')
        .nth(1)
        .evaluate((td) => getComputedStyle(td).backgroundColor),
    ).toBe('rgb(255, 235, 233)');
    await page.screenshot({ path: join(ARTIFACTS, 'failed-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  });

  it('a cancelled drill: CANCELLED, nothing restored (said so), and what cleanup did with what the restore made', async () => {
    // While it ran, the host said its report was not there yet, and why.
    expect(whileRunning?.status).toBe(404);
    expect(whileRunning?.body.error).toMatchObject({ code: 'ReportNotReady', runtimeStatus: 'Running' });
    expect(whileRunning?.body.error.message).toMatch(/still running \(phase restore\)/);
    const { page, report } = await common('cancelled');
    expect(report.restored ?? {}).toEqual({});
    const restored = (await page.locator('#restored').textContent())!;
    expect(restored).toContain('Nothing was restored');
    expect(restored).not.toMatch(/Restored as|Database pgdrill/);
    expect(await page.locator('#summary').textContent()).toContain('cancelled in its restore phase');
    expect(await page.locator('rect.bar.phase[data-name="restore"]').getAttribute('class')).toContain(
      'status-cancelled',
    );
    expect(await page.locator('#checks').textContent()).toContain('No check ran');
    expect(await page.locator('#cleanup').textContent()).toContain('deleted');
    await page.close();
  });

  it('the route: 404 naming an unknown drill, 401 without the key', async () => {
    const unknown = await call(host, 'GET', '/api/drills/drill-page-nope/report');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'DrillNotFound', message: 'no drill drill-page-nope' });
    expect((await call(host, 'GET', `/api/drills/${ids.passed}/report`, undefined, null)).status).toBe(401);
  });
});
