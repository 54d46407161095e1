/**
 * The main job on the embedded default (`npm start`): starts Azurite, the Data Protection emulator (with its
 * PostgreSQL clusters: a Single Server source, a restore target, a Flexible Server and a drill server, seeded
 * with a week of backups, one archived; a target and a drill server in the vault's paired region) and the
 * standalone host; then runs a Single Server drill (restore as database), a Flexible Server drill (restore as files
 * + load) and a Flexible Server disaster-recovery drill (cross-region restore as files in the paired region, loaded
 * into the drill server there) through the HTTP API, shows their progress, prints the reports and where they are
 * stored, writes each report page (and its JSON) to .tmp/reports/ and prints their paths, and exits 0 when all
 * three pass.
 *   --json   each final report as one JSON line on stdout, then one line {"reportFiles": [...]} naming the local
 *            copies, and nothing else on stdout
 *   --keep   leave everything running; print the URLs and a curl that starts another drill
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../emulator/config';
import { startEmulator, type EmulatorHandle } from '../emulator/index';
import { startAzurite, type AzuriteProcess } from '../emulator/storage';
import { ownClusters, stopRegisteredClusters } from '../emulator/leftovers';
import { findPgTools } from '../emulator/postgres';
import { loadOrCreateCa } from '../emulator/tls';
import type { DrillReport } from '../src/lib/drill/report';
import { demoRequests, type DemoResources } from './requests';

const root = resolve(__dirname, '..', '..');
const stateDir = join(root, '.tmp', 'demo');
/** Local copies of each drill's report page and JSON. */
const reportsDir = join(root, '.tmp', 'reports');
/** Everything a failure needs to be understood (stacks, the emulator's log lines); the terminal gets one line. */
const demoLog = join(stateDir, 'demo.log');
const json = process.argv.includes('--json');
const keep = process.argv.includes('--keep');
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function say(line: string): void {
  // Progress and human output go to stderr when --json keeps stdout for the reports.
  (json ? process.stderr : process.stdout).write(line + '\n');
}

function logDetail(text: string): void {
  try {
    mkdirSync(stateDir, { recursive: true });
    appendFileSync(demoLog, `${new Date().toISOString()} ${text}\n`);
  } catch {
    // The log is a convenience: a full disk must not hide the one line on stderr.
  }
}

/**
 * What a failed demo prints: one line (what failed, with its fix when the error says one) and where the
 * details are; the stack and the whole message go to the log.
 */
function reportFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : JSON.stringify(err);
  logDetail(`demo failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
  const first = message.split('\n').find((l) => l.trim()) ?? 'unknown error';
  process.stderr.write(`demo failed: ${first.trim()} (details: ${demoLog})\n`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const s = createServer();
    s.once('error', () => resolvePort(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolvePort(true)));
  });
}

/** Node reads NODE_EXTRA_CA_CERTS at start only: make sure this process was started trusting the emulator's CA. */
function reexecWithCa(): boolean {
  const ca = loadOrCreateCa(join(root, '.tmp', 'emulator', 'ca'));
  if (process.env.NODE_EXTRA_CA_CERTS === ca.caFile) return false;
  const child = spawn(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.caFile, NO_PROXY: '127.0.0.1,localhost,::1' },
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return true;
}

async function main(): Promise<number> {
  if (reexecWithCa()) return -1;
  const t0 = Date.now();
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(demoLog, '');
  // The PostgreSQL binaries first: without them nothing else is worth starting.
  findPgTools(undefined, true);
  // Clusters are registered as they start, so that even a crash of this run is cleaned by the next one.
  const registry = join(stateDir, 'clusters');
  ownClusters(registry);
  const serverBin = findPgTools(undefined, false).serverBinDir;
  const pgCtl = serverBin ? join(serverBin, 'pg_ctl') : undefined;
  // What a crashed earlier run left (never what another run still uses).
  stopRegisteredClusters(registry, pgCtl, 'orphans');
  const hostLog = join(stateDir, 'host.log');
  writeFileSync(hostLog, '');
  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      // Whatever this run left of its clusters (daemons, not children).
      stopRegisteredClusters(registry, pgCtl, 'mine');
    })());
  // Ctrl-C, SIGTERM, a closed stdout (npm start -- --json | head) or a crash: stop everything first.
  const shutdown = (code: number, why?: unknown): void => {
    if (why) reportFailure(why);
    void stopAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGTERM', () => shutdown(143));
  process.stdout.on('error', (err) => shutdown((err as NodeJS.ErrnoException).code === 'EPIPE' ? 0 : 1, err));
  process.on('uncaughtException', (err) => shutdown(1, err));
  process.on('unhandledRejection', (err) => shutdown(1, err));
  try {
    say('starting Azurite, PostgreSQL clusters and the Data Protection emulator…');
    const azurite: AzuriteProcess = await startAzurite();
    cleanups.push(() => azurite.stop());
    const config = loadConfigFile(join(root, 'emulator', 'examples', 'demo.json'));
    config.storage = { ...config.storage, managedAzurite: false, blobEndpoint: azurite.blobEndpoint };
    const emu: EmulatorHandle = await startEmulator(config, {
      caDir: join(root, '.tmp', 'emulator', 'ca'),
      log: (message, fields) => logDetail(`emulator: ${message} ${JSON.stringify(fields ?? {})}`),
    });
    cleanups.push(() => emu.stop());
    const cs =
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${azurite.blobEndpoint};QueueEndpoint=${azurite.queueEndpoint};TableEndpoint=${azurite.tableEndpoint};`;
    const port = (await portFree(7071)) ? 7071 : 0;
    const key = randomBytes(24).toString('base64url');
    Object.assign(process.env, {
      ...emu.env,
      AzureWebJobsStorage: cs,
      RESTORE_STORAGE_CONNECTION_STRING: cs,
      DRILL_FUNCTION_KEY: key,
      DRILL_HOST_PORT: String(port),
      DRILL_JOB_POLL_INITIAL_SECONDS: '1',
      DRILL_JOB_POLL_MAX_SECONDS: '5',
      DRILL_RETRY_FIRST_DELAY_SECONDS: '1',
    });
    // The app reads its settings on first use, so it is loaded only now.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startStandaloneHost } = require('../src/host/main') as typeof import('../src/host/main');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatReport, progressLine } = require('../src/cli/format') as typeof import('../src/cli/format');
    const host = await startStandaloneHost({
      port,
      log: (line) =>
        writeFileSync(hostLog, JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n', {
          flag: 'a',
        }),
    });
    cleanups.push(() => host.stop());
    say(
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: host ${host.url}, emulator ${emu.arm} (host log: ${hostLog})`,
    );

    const res = (await (
      await fetch(`${emu.arm}/_emulator/resources`, {
        headers: { Authorization: `Bearer ${await armToken(emu)}` },
      })
    ).json()) as DemoResources;
    const requests = demoRequests(res);
    const call = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: ApiBody }> => {
      const r = await fetch(`${host.url}${path}`, {
        method,
        headers: { 'x-functions-key': key, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: (await r.json()) as ApiBody };
    };
    const ids: string[] = [];
    for (const r of requests) {
      const started = await call('POST', '/api/drills', r);
      if (started.status !== 202)
        throw new Error(
          `starting "${r.label}" failed: HTTP ${started.status} ${JSON.stringify(started.body)}`,
        );
      ids.push(started.body.id!);
      say(`started ${started.body.id}: ${r.label}`);
    }
    const reports = new Map<string, DrillReport>();
    const last = new Map<string, string | null | undefined>();
    const tDrills = Date.now();
    while (reports.size < ids.length) {
      for (const id of ids.filter((i) => !reports.has(i))) {
        const s = await call('GET', `/api/drills/${id}`);
        if (s.body.runtimeStatus === 'Completed') reports.set(id, s.body.report!);
        else if (['Failed', 'Terminated'].includes(s.body.runtimeStatus ?? ''))
          throw new Error(`drill ${id} ${s.body.runtimeStatus}: ${s.body.error ?? ''}`);
        const line = progressLine(id, s.body, Date.now() - tDrills);
        if (s.body.phase !== last.get(id)) process.stderr.write(line + '\n');
        last.set(id, s.body.phase);
      }
      if (Date.now() - tDrills > 10 * 60_000) throw new Error('the drills did not finish within 10 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    // Local copies of each report and its page (as GET /api/drills/{id}/report serves it), to open in a browser.
    mkdirSync(reportsDir, { recursive: true });
    const local: { drillId: string; html: string; json: string }[] = [];
    for (const id of ids) {
      const page = await fetch(`${host.url}/api/drills/${encodeURIComponent(id)}/report`, {
        headers: { 'x-functions-key': key },
      });
      if (page.status !== 200)
        throw new Error(`the report page of ${id}: HTTP ${page.status} ${await page.text()}`);
      const files = {
        drillId: id,
        html: join(reportsDir, `${id}.html`),
        json: join(reportsDir, `${id}.json`),
      };
      writeFileSync(files.html, await page.text());
      writeFileSync(files.json, JSON.stringify(reports.get(id), null, 2) + '\n');
      local.push(files);
    }
    let allPassed = true;
    for (const id of ids) {
      const report = reports.get(id)!;
      allPassed &&= report.verdict === 'passed';
      if (json) process.stdout.write(JSON.stringify(report) + '\n');
      else say('\n' + formatReport(report));
    }
    // After the reports, one line naming the local copies (it has no drillId: it is not a report).
    if (json) process.stdout.write(JSON.stringify({ reportFiles: local }) + '\n');
    const settings = host.services.config;
    const blobBase = `${azurite.blobEndpoint}/${settings.DRILL_REPORTS_CONTAINER}`;
    say(
      `\nreports stored in table ${settings.DRILL_REPORTS_TABLE} (${azurite.tableEndpoint}) and as JSON + HTML blobs:`,
    );
    for (const id of ids) say(`  ${blobBase}/${id}.json  ${blobBase}/${id}.html`);
    say('report pages written here (open the .html in a browser):');
    for (const f of local) say(`  ${f.html}  ${f.json}`);
    say(
      `${allPassed ? 'all three drills passed' : 'a drill did not pass'} (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`,
    );
    if (keep) {
      say(
        `\nstill running (Ctrl-C stops everything):\n  host      ${host.url}  (function key: ${key})\n  emulator  ${emu.arm}\n  Azurite   ${azurite.blobEndpoint}`,
      );
      say(
        `start another drill:\n  curl -s -X POST '${host.url}/api/drills' -H 'x-functions-key: ${key}' -H 'content-type: application/json' -d '${JSON.stringify(requests[0])}'`,
      );
      say(`or: PGDRILL_URL=${host.url} PGDRILL_KEY=${key} node dist/src/cli/main.js list`);
      say('report pages, served by the host (open in a browser):');
      for (const id of ids) say(`  ${host.url}/api/drills/${encodeURIComponent(id)}/report?code=${key}`);
      // Until Ctrl-C or SIGTERM: their handlers stop everything and exit.
      await new Promise<void>(() => undefined);
    }
    return allPassed ? 0 : 1;
  } finally {
    await stopAll();
  }
}

interface ApiBody {
  id?: string;
  runtimeStatus?: string;
  phase?: string | null;
  detail?: string | null;
  report?: DrillReport;
  error?: string;
}

async function armToken(emu: EmulatorHandle): Promise<string> {
  const r = await fetch(
    `${emu.identityEndpoint}?api-version=2019-08-01&resource=https://management.azure.com`,
    { headers: { 'X-IDENTITY-HEADER': emu.identityHeader } },
  );
  return ((await r.json()) as { access_token: string }).access_token;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    reportFailure(err);
    process.exit(1);
  },
);
