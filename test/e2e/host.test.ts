/**
 * End to end over HTTP: the standalone host as a real process (the built app), the emulator, PostgreSQL and
 * Azurite. Drills by every trigger; every route refuses a missing or wrong key; nothing a drill reads as a
 * secret reaches the host's stored state, its reports or its logs; the host's own retry-then-poison path;
 * cancellation removes the restored database. Each test has its own task hub. (Kills at every point of a
 * drill are the crash matrix: crash.test.ts.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { startAzurite, type AzuriteProcess } from '../../emulator/storage';
import { functionDefinitions } from '../../src/functions';
import type { HttpFunctionDefinition } from '../../src/functions/definitions';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken, ORDERS_SQL, startTestEmulator } from '../support/emulator';
import {
  azuriteConnectionString,
  FLEX_BI,
  SINGLE_BI,
  standaloneHostEnv,
  TARGET_SERVER,
} from '../support/drill';
import { call, KEY, startHostProcess, waitFor, type Host } from '../support/host';
import { drillLeftovers } from '../support/leftovers';
import { expectNoSecrets, secretNeedles, storageText } from '../support/secrets';
import { waitUntil } from '../support/wait';

const root = join(__dirname, '..', '..');
const KV = 'https://kv-test.vault.azure.net/secrets';
let emu: EmulatorHandle;
/** The hosts' own storage (state, queues, reports): no other test file's host polls these queues. */
let storage: AzuriteProcess;
let storageCs: string;

/** A host with a task hub (state, reports) of its own: no test sees another's instances. */
async function startHost(extraEnv: Record<string, string> = {}): Promise<Host & { hub: string }> {
  const hub = `e2e${randomBytes(4).toString('hex')}`;
  const host = await startHostProcess({
    ...standaloneHostEnv(emu, hub),
    AzureWebJobsStorage: storageCs,
    DRILL_FUNCTION_KEY: KEY,
    DRILL_JOB_POLL_INITIAL_SECONDS: '0.5',
    DRILL_JOB_POLL_MAX_SECONDS: '1',
    DRILL_RETRY_FIRST_DELAY_SECONDS: '0.5',
    DRILL_TIMER_SCHEDULE: '*/2 * * * * *',
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:01',
    ...extraEnv,
  });
  return Object.assign(host, { hub });
}

/** The drill-requests queue and its poison queue, emptied: a test starts from nothing another left. */
async function freshQueues(): Promise<{ queue: QueueClient; poison: QueueClient }> {
  const qs = QueueServiceClient.fromConnectionString(storageCs);
  const queue = qs.getQueueClient('drill-requests');
  const poison = qs.getQueueClient('drill-requests-poison');
  for (const q of [queue, poison]) {
    await q.createIfNotExists();
    await q.clearMessages();
  }
  return { queue, poison };
}

const encode = (text: string): string => Buffer.from(text).toString('base64');

async function poisonTexts(poison: QueueClient): Promise<string[]> {
  return (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) =>
    Buffer.from(m.messageText, 'base64').toString('utf8'),
  );
}

async function restoreJobsFor(destinationPart: string): Promise<any[]> {
  const token = await armToken(emu);
  const jobs = (await arm(emu, token, 'GET', '/_emulator/jobs')).body.jobs as any[];
  return jobs.filter(
    (j) =>
      j.properties.operation === 'Restore' &&
      `${j.emulator.recoveryDestination}/${j.emulator.filePrefix ?? ''}`.includes(destinationPart),
  );
}

/** The built pgdrill CLI, run to its end. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function dbRequest(extra: Record<string, unknown> = {}) {
  return {
    backupInstanceId: SINGLE_BI,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin` },
    verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
    ...extra,
  };
}

function filesRequest(extra: Record<string, unknown> = {}) {
  const drill = emu.ctx.servers.get('drill-pg')!.admin;
  return {
    backupInstanceId: FLEX_BI,
    target: {
      kind: 'files',
      containerUrl: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
      load: { host: drill.host, port: drill.port, secretUri: `${KV}/drill-admin` },
    },
    verify: { tables: [{ name: 'public.items', minRows: 1 }] },
    ...extra,
  };
}

beforeAll(async () => {
  storage = await startAzurite();
  storageCs = azuriteConnectionString(storage);
  emu = await startTestEmulator({
    backups: 2,
    archived: 0,
    extraServers: [
      { name: 'drill-pg', kind: 'flexible', resourceGroup: 'rg-test', managed: { password: 'drill-pw' } },
    ],
    extraSecrets: { 'drill-admin': { connectionStringFor: 'drill-pg' } },
    config: {
      // A restore job long enough to be cancelled in the middle of it.
      timings: {
        validate: { durationSeconds: 3, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 0.3, retryAfterSeconds: 1 },
        restoreJobSeconds: 4,
        rehydrationSeconds: 1,
      },
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
                backups: 2,
                intervalHours: 24,
                archived: 0,
              },
            },
            {
              name: 'bi-flex',
              server: 'src-flex',
              databases: ['inventory'],
              seed: {
                sql: "CREATE TABLE items (id serial PRIMARY KEY, sku text NOT NULL, payload text, updated_at timestamptz NOT NULL DEFAULT now()); INSERT INTO items (sku, payload) SELECT 'sku-' || g, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g;",
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
}, 180_000);

afterAll(async () => {
  await emu?.stop();
  await storage?.stop();
});

/** Every route of the app and of the host, with a method it answers to. */
function everyRoute(): { method: string; path: string }[] {
  const app = functionDefinitions
    .filter((d): d is HttpFunctionDefinition => d.kind === 'http')
    .flatMap((d) =>
      (d.options.methods ?? ['GET']).map((method) => ({
        method,
        path: `/api/${d.options.route ?? d.name}`.replace(/\{[^}]+\}/g, 'drill-x'),
      })),
    );
  const host = [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/admin/host/status' },
    { method: 'GET', path: '/runtime/webhooks/durabletask/instances' },
    { method: 'GET', path: '/runtime/webhooks/durabletask/instances/drill-x' },
    { method: 'POST', path: '/runtime/webhooks/durabletask/instances/drill-x/terminate' },
    { method: 'POST', path: '/runtime/webhooks/durabletask/instances/drill-x/raiseEvent/x' },
    { method: 'DELETE', path: '/runtime/webhooks/durabletask/instances/drill-x' },
    { method: 'GET', path: '/durabletask/not-the-key/instances/drill-x' },
    { method: 'POST', path: '/durabletask/not-the-key/orchestrators/restoreDrill' },
  ];
  return [...app, ...host];
}

describe('standalone host end to end', () => {
  it('every route refuses a request without a key and with a wrong one (401); the Durable API refuses the function key', async () => {
    const host = await startHost();
    try {
      const routes = everyRoute();
      // Every HTTP function of the app is in the list (a new one cannot be added unchecked).
      expect(routes.filter((r) => r.path.startsWith('/api/')).length).toBe(
        functionDefinitions
          .filter((d): d is HttpFunctionDefinition => d.kind === 'http')
          .reduce((n, d) => n + (d.options.methods ?? ['GET']).length, 0),
      );
      const refused: string[] = [];
      for (const { method, path } of routes) {
        const body = method === 'POST' ? JSON.stringify(dbRequest()) : undefined;
        const tries: [string, Record<string, string>, string][] = [
          ['no key', {}, path],
          ['a wrong key', { 'x-functions-key': `${KEY}x` }, path],
          ['a wrong ?code=', {}, `${path}?code=${KEY.slice(0, -1)}`],
        ];
        if (!path.startsWith('/api/') && path !== '/' && !path.startsWith('/admin'))
          tries.push(['the function key', { 'x-functions-key': KEY }, `${path}?code=${KEY}`]);
        for (const [what, headers, url] of tries) {
          const res = await fetch(`${host.url}${url}`, {
            method,
            headers: { 'content-type': 'application/json', ...headers },
            ...(body ? { body } : {}),
          });
          if (res.status !== 401) refused.push(`${method} ${path} with ${what}: ${res.status}`);
        }
      }
      expect(refused).toEqual([]);
      // With the key, the same host serves: the refusals above were about the key, not a broken host.
      expect((await call(host, 'GET', '/api/drills')).status).toBe(200);
      expect((await call(host, 'GET', '/api/health')).status).not.toBe(401);
      // No drill started by any refused request.
      expect((await call(host, 'GET', '/api/drills')).body.running).toEqual([]);
    } finally {
      expect(await host.stop()).toBe(0);
    }
  }, 120_000);

  it('HTTP: a drill runs; its links carry no key; status, list and report; a bad body is 400 naming the field', async () => {
    const host = await startHost();
    try {
      const bad = await call(host, 'POST', '/api/drills', { ...dbRequest(), target: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors.map((e: { pointer: string }) => e.pointer)).toContain('/target');
      const started = await call(host, 'POST', '/api/drills', dbRequest({ idempotencyKey: 'e2e-http' }));
      expect(started.status).toBe(202);
      // The app's own links, and no key of any kind in the answer.
      expect(started.body).toEqual({
        id: 'drill-e2e-http',
        statusUri: '/api/drills/drill-e2e-http',
        cancelUri: '/api/drills/drill-e2e-http/cancel',
      });
      const done = await waitFor(
        () => host,
        'drill-e2e-http',
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report.verdict).toBe('passed');
      const list = await call(host, 'GET', '/api/drills');
      expect(list.body.finished.map((r: any) => r.drillId)).toContain('drill-e2e-http');
      expect(host.logs.filter((l) => l.includes('"drillId":"drill-e2e-http"')).length).toBeGreaterThan(3);
    } finally {
      expect(await host.stop()).toBe(0);
    }
  }, 120_000);

  it("no secret reaches the host's stored state, its reports or its logs (a database and a files drill)", async () => {
    const host = await startHost();
    try {
      for (const [id, request] of [
        ['drill-e2e-secret-db', dbRequest({ idempotencyKey: 'e2e-secret-db' })],
        ['drill-e2e-secret-files', filesRequest({ idempotencyKey: 'e2e-secret-files' })],
      ] as const) {
        expect((await call(host, 'POST', '/api/drills', request)).status).toBe(202);
        const done = await waitFor(
          () => host,
          id,
          (s) => s.runtimeStatus === 'Completed',
        );
        expect(done.report.verdict, JSON.stringify(done.report.failure)).toBe('passed');
      }
    } finally {
      expect(await host.stop()).toBe(0);
    }
    const stored = await storageText(host.hub, storageCs);
    // The scan saw the instance table, the reports table, the ARM budget and every report blob (JSON and HTML).
    expect(stored.tables.sort()).toEqual(
      [`${host.hub}Instances`, `${host.hub}Reports`, `${host.hub}ArmBudget`].sort(),
    );
    for (const id of ['drill-e2e-secret-db', 'drill-e2e-secret-files'])
      for (const ext of ['json', 'html']) expect(stored.blobs).toContain(`${host.hub}-reports/${id}.${ext}`);
    // The stored state holds the whole history: the secret URIs are there, and the activities' results.
    expect(stored.text).toContain(`${KV}/tgt-admin`);
    expect(stored.text).toContain(`${KV}/drill-admin`);
    expectNoSecrets([stored.text, ...host.logs].join('\n'), secretNeedles(emu));
  }, 180_000);

  it('pgdrill run follows a drill to the end: exit 0 and the report as one JSON line; a missed target exits 1', async () => {
    const host = await startHost();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pgdrill-run-'));
      writeFileSync(join(dir, 'drill.json'), JSON.stringify(dbRequest({ idempotencyKey: 'e2e-cli' })));
      const run = await cli(['run', join(dir, 'drill.json'), '--url', host.url, '--key', KEY, '--json']);
      rmSync(dir, { recursive: true, force: true });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ drillId: 'drill-e2e-cli', verdict: 'passed' });
      const human = (await cli(['report', 'drill-e2e-cli', '--url', host.url, '--key', KEY])).stdout;
      expect(human).toMatch(/drill drill-e2e-cli: PASSED[\s\S]*RPO .* RTO/);
      // A target missed fails the drill even though the restore worked: exit 1, and the CLI says which.
      const strict = mkdtempSync(join(tmpdir(), 'pgdrill-run-'));
      writeFileSync(
        join(strict, 'drill.json'),
        JSON.stringify(dbRequest({ idempotencyKey: 'e2e-cli-target', targets: { rtoMinutes: 0.001 } })),
      );
      const missed = await cli(['run', join(strict, 'drill.json'), '--url', host.url, '--key', KEY]);
      rmSync(strict, { recursive: true, force: true });
      expect(missed.code, missed.stderr).toBe(1);
      expect(missed.stdout).toContain('drill drill-e2e-cli-target: FAILED');
      expect(missed.stdout).toMatch(/targets {4}RTO .* against 0\.1 s: MISSED/);
      expect(missed.stdout).toContain('failure    TargetMissed in verify: the restore worked, but RTO');
      // The history: both drills, newest first, with headers; filtered by verdict.
      const hist = await cli(['history', '--url', host.url, '--key', KEY]);
      expect(hist.code, hist.stderr).toBe(0);
      const table = hist.stdout.trim().split('\n');
      expect(table[0]).toMatch(/^DRILL\s+VERDICT\s+STARTED\s+RTO\s+RPO\s+FAILURE/);
      expect(table[1]).toMatch(/^drill-e2e-cli-target\s+failed\s+.*TargetMissed/);
      expect(table[2]).toMatch(/^drill-e2e-cli\s+passed/);
      const failedOnly = await cli([
        'history',
        '--verdict',
        'failed',
        '--json',
        '--url',
        host.url,
        '--key',
        KEY,
      ]);
      expect(
        failedOnly.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).drillId),
      ).toEqual(['drill-e2e-cli-target']);
      const bad = await cli(['history', '--since', 'yesterday', '--url', host.url, '--key', KEY]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('pgdrill: --since yesterday: give an ISO 8601 date');
      // An evidence bundle of both drills verifies; one changed byte in a kept report does not.
      const bundleDir = mkdtempSync(join(tmpdir(), 'pgdrill-bundle-'));
      try {
        const exported = await cli([
          'evidence',
          'export',
          '--out',
          bundleDir,
          '--since',
          '2026-01-01',
          '--url',
          host.url,
          '--key',
          KEY,
        ]);
        expect(exported.code, exported.stderr).toBe(0);
        expect(exported.stdout).toMatch(
          /evidence bundle written to .*: 2 drill\(s\), 2 report version\(s\), 1 chain\(s\)/,
        );
        const ok = await cli(['evidence', 'verify', bundleDir]);
        expect(ok.code, ok.stdout).toBe(0);
        expect(ok.stdout).toContain('bundle verified: 2 report version(s), 1 chain(s)');
        const versionsDir = join(bundleDir, 'reports', 'drill-e2e-cli');
        const file = join(versionsDir, readdirSync(versionsDir)[0]!);
        writeFileSync(file, readFileSync(file, 'utf8').replace('"passed"', '"failed"'));
        const altered = await cli(['evidence', 'verify', bundleDir]);
        expect(altered.code).toBe(1);
        expect(altered.stdout).toContain('drill-e2e-cli/');
        expect(altered.stdout).toContain("the report's content does not hash to its name (altered)");
      } finally {
        rmSync(bundleDir, { recursive: true, force: true });
      }
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('pgdrill fleet run drills a fleet plan through the host and exits 0; pgdrill coverage then shows it proven', async () => {
    const { backupInstanceId: _each, ...template } = dbRequest();
    const plans = [
      {
        name: 'fleet-e2e',
        // Not due while the test runs (1 January only): the run is asked for, not scheduled.
        schedule: '0 0 0 1 1 *',
        startWindowMinutes: 1,
        scope: { vaults: [SINGLE_BI.split('/backupInstances')[0]], include: ['bi-single'] },
        templates: [{ kind: 'singleServerDatabase', request: template }],
        coverage: { everyDays: 7 },
      },
    ];
    const host = await startHost({ DRILL_PLANS: JSON.stringify(plans) });
    try {
      const run = await cli(['fleet', 'run', 'fleet-e2e', '--url', host.url, '--key', KEY, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout.trim()) as { counts: Record<string, number>; drills: any[] };
      expect(report.counts).toMatchObject({ inScope: 1, drilled: 1, passed: 1, skipped: 1, overdue: 0 });
      expect(report.drills[0]).toMatchObject({ backupInstanceId: SINGLE_BI, verdict: 'passed' });
      const cov = await cli(['coverage', 'fleet-e2e', '--url', host.url, '--key', KEY]);
      expect(cov.code, cov.stderr).toBe(0);
      expect(cov.stdout).toContain('fleet-e2e: 1 in scope, 0 overdue (every 7 days)');
      expect(cov.stdout).toMatch(new RegExp(`no\\s+0\\s+passed\\s+${SINGLE_BI.replace(/[/.]/g, '\\$&')}`));
      const wrong = await cli(['fleet', 'run', 'nope', '--url', host.url, '--key', KEY]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('PlanNotFound');
    } finally {
      await host.stop();
    }
  }, 240_000);

  it('queue: a drill from a message; an invalid message goes to the poison queue at once, byte for byte', async () => {
    const { queue, poison } = await freshQueues();
    const host = await startHost();
    try {
      const invalid = JSON.stringify({ backupInstanceId: 'nope' });
      await queue.sendMessage(encode(JSON.stringify(dbRequest({ idempotencyKey: 'e2e-queue' }))));
      await queue.sendMessage(encode(invalid));
      const done = await waitFor(
        () => host,
        'drill-e2e-queue',
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({ verdict: 'passed', trigger: { kind: 'queue' } });
      const texts = await waitUntil(
        async () => ((await poisonTexts(poison)).length ? poisonTexts(poison) : undefined),
        {
          what: 'the invalid message in the poison queue',
          detail: () => host.logs.slice(-20).join('\n'),
        },
      );
      expect(texts).toEqual([invalid]);
      // Not retried: it never becomes valid. One failure logged, by the app, not the host's retry path.
      expect(host.logs.filter((l) => l.includes('invalid drill request message'))).toHaveLength(1);
      expect(host.logs.some((l) => l.includes('queue message failed'))).toBe(false);
      // Both messages are gone from the queue.
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('alerts: a backup alert posted to /api/alerts starts one drill of its instance (trigger alert in the report); the same alert on the queue starts nothing new; an unknown rule is ignored', async () => {
    const { queue } = await freshQueues();
    const plans = [
      // Alerts only: never due while the test runs, and its schedule is off anyway. A single plan answers an
      // alert only for its own backup instance, which the alert names.
      { name: 'on-backup-alert', schedule: '0 0 0 1 1 *', enabled: false, request: dbRequest() },
    ];
    const alert = JSON.parse(
      readFileSync(join(__dirname, '..', 'fixtures', 'alerts', 'backup-alert.json'), 'utf8'),
    );
    alert.data.essentials.alertTargetIDs = [SINGLE_BI];
    const host = await startHost({
      DRILL_PLANS: JSON.stringify(plans),
      DRILL_ALERT_TRIGGERS: JSON.stringify([{ alertRule: 'Backup Failure', plan: 'on-backup-alert' }]),
    });
    try {
      expect((await call(host, 'POST', '/api/alerts', alert, null)).status).toBe(401);
      const started = await call(host, 'POST', '/api/alerts', alert);
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ status: 'started', plan: 'on-backup-alert' });
      const drillId = started.body.drills[0].drillId as string;
      expect(drillId).toMatch(/^alert-on-backup-alert-[0-9a-f]{24}$/);
      await queue.sendMessage(encode(JSON.stringify(alert)));
      const done = await waitFor(
        () => host,
        drillId,
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({
        verdict: 'passed',
        request: { backupInstanceId: SINGLE_BI },
        trigger: { kind: 'alert', plan: 'on-backup-alert', alertRule: 'Backup Failure' },
      });
      await waitUntil(
        () => host.logs.find((l) => l.includes('alert handled') && l.includes('alreadyStarted')),
        {
          what: 'the queued copy of the alert handled as already started',
          detail: () => host.logs.slice(-20).join('\n'),
        },
      );
      const unknown = structuredClone(alert);
      unknown.data.essentials.alertRule = 'Some other rule';
      const ignored = await call(host, 'POST', '/api/alerts', unknown);
      expect(ignored.status).toBe(202);
      expect(ignored.body).toMatchObject({ status: 'ignored' });
      const drills = (await call(host, 'GET', '/api/drills')).body;
      expect(JSON.stringify(drills).match(/alert-on-backup-alert-/g)?.length ?? 0).toBeGreaterThan(0);
      expect((await call(host, 'GET', '/api/drills')).body.running).toEqual([]);
    } finally {
      await host.stop();
    }
  }, 240_000);

  it('queue: a message that keeps failing is delivered maxDequeueCount times, then the host moves it to the poison queue unchanged', async () => {
    const { queue, poison } = await freshQueues();
    const host = await startHost({
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '3',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
    });
    try {
      // A drill that holds the label databaseName "pgdrill_e2epoison" (kept a while), then a message asking for the
      // same label: refused as NameInUse, which may pass later, so the handler throws and the host retries.
      const holder = dbRequest({
        idempotencyKey: 'e2e-label-holder',
        target: {
          kind: 'database',
          serverId: TARGET_SERVER,
          secretUri: `${KV}/tgt-admin`,
          databaseName: 'pgdrill_e2epoison',
        },
        cleanup: { policy: 'keep', keepFor: 'PT10M' },
      });
      expect((await call(host, 'POST', '/api/drills', holder)).status).toBe(202);
      const text = JSON.stringify(
        dbRequest({
          idempotencyKey: 'e2e-label-taker',
          target: {
            kind: 'database',
            serverId: TARGET_SERVER,
            secretUri: `${KV}/tgt-admin`,
            databaseName: 'pgdrill_e2epoison',
          },
        }),
      );
      await queue.sendMessage(encode(text));
      const texts = await waitUntil(
        async () => ((await poisonTexts(poison)).length ? poisonTexts(poison) : undefined),
        {
          what: 'the failing message in the poison queue',
          timeoutMs: 90_000,
          detail: () => host.logs.slice(-20).join('\n'),
        },
      );
      expect(texts).toEqual([text]);
      const failures = host.logs
        .filter((l) => l.includes('"message":"queue message failed"'))
        .map((l) => JSON.parse(l) as { dequeueCount: number; error: string });
      expect(failures.map((f) => f.dequeueCount)).toEqual([1, 2, 3]);
      for (const f of failures) expect(f.error).toMatch(/collides with running drill drill-e2e-label-holder/);
      // The host logs the move once it has also deleted the original (after the poison copy we just saw).
      await waitUntil(
        () =>
          host.logs.some((l) => l.includes('moved to drill-requests-poison after 3 attempts')) || undefined,
        { what: "the host's log line of the move", timeoutMs: 30_000 },
      );
      // No drill was started for the message.
      expect((await call(host, 'GET', '/api/drills/drill-e2e-label-taker')).status).toBe(404);
      expect((await call(host, 'POST', '/api/drills/drill-e2e-label-holder/cancel')).status).toBe(202);
      await waitFor(
        () => host,
        'drill-e2e-label-holder',
        (s) => s.runtimeStatus === 'Completed',
      );
    } finally {
      await host.stop();
    }
  }, 180_000);

  it('timer: a due plan starts once per slot', async () => {
    const plans = [
      {
        name: 'e2e',
        schedule: '*/30 * * * * *',
        timeZone: 'UTC',
        startWindowMinutes: 1,
        request: dbRequest(),
      },
    ];
    const host = await startHost({ DRILL_PLANS: JSON.stringify(plans) });
    try {
      const id = await waitUntil(
        () => host.logs.map((l) => /"drillId":"(plan-e2e@[^"]+)"/.exec(l)?.[1]).find(Boolean),
        { what: 'a plan drill to start', detail: () => host.logs.slice(-25).join('\n') },
      );
      expect(id).toMatch(/^plan-e2e@\d{8}T\d{6}Z$/);
      const done = await waitFor(
        () => host,
        id,
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({ verdict: 'passed', trigger: { kind: 'timer', plan: 'e2e' } });
      const startedForSlot = host.logs.filter(
        (l) => l.includes(`"drillId":"${id}"`) && l.includes('drill started'),
      );
      expect(startedForSlot).toHaveLength(1);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('cancellation during the job: cancelled verdict, and the restored database is really gone from the server', async () => {
    const host = await startHost();
    try {
      expect(
        (await call(host, 'POST', '/api/drills', dbRequest({ idempotencyKey: 'e2e-cancel' }))).status,
      ).toBe(202);
      await waitFor(
        () => host,
        'drill-e2e-cancel',
        (s) => s.phase === 'restore' && /job/.test(s.detail ?? ''),
      );
      const c = await call(host, 'POST', '/api/drills/drill-e2e-cancel/cancel');
      expect(c.status).toBe(202);
      const done = await waitFor(
        () => host,
        'drill-e2e-cancel',
        (s) => s.runtimeStatus === 'Completed',
      );
      const report = done.report as DrillReport;
      expect(report).toMatchObject({ verdict: 'cancelled', cleanup: { status: 'done' } });
      // The restore Azure accepted ran to its end, and what it created was dropped: the job exists, the
      // database it made does not.
      // Cancelled before the restore was reported done: the database is known from the cleanup's resources.
      const name = (report.cleanup.resources ?? []).find((r) => r.kind === 'database')?.name;
      expect(name).toMatch(/^pgdrill_drille2ecancel/);
      expect(report.job?.status).toBe('Completed');
      expect(await restoreJobsFor(name!)).toHaveLength(1);
      expect(report.cleanup.actions).toContainEqual(
        expect.objectContaining({ action: 'drop database', status: 'done' }),
      );
      expect(await drillLeftovers(emu, 'drill-e2e-cancel')).toEqual([]);
      expect((await call(host, 'POST', '/api/drills/drill-e2e-cancel/cancel')).status).toBe(409);
    } finally {
      await host.stop();
    }
  }, 120_000);
});
