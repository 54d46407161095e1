#!/usr/bin/env node
/**
 * pgdrill: run and follow restore drills through the app's HTTP API (the standalone host or Azure), serve the
 * standalone host, or run the demo. Errors go to stderr with a non-zero exit code; --json prints machine output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderDashboardHtml, type Dashboard } from '../lib/drill/dashboard';
import { buildManifest, verifyBundle, type BundleManifest } from '../lib/drill/evidenceBundle';
import type { FleetReport } from '../lib/drill/fleetReport';
import { dur, type DrillReport } from '../lib/drill/report';
import { renderReportHtml } from '../lib/drill/reportPage';
import { doctorCommand } from './doctor';
import { formatReport, progressLine } from './format';

const HELP: Record<string, string> = {
  main: `pgdrill <command> [options]

Commands:
  run <request.json>   start a drill and follow it; exit 0 only if it passed
  doctor <request.json>  check every precondition of a drill without restoring; exit 0 only if none failed
  status <id>          a drill's status and phase
  list                 running and finished drills
  history              finished drills, newest first (filters: --instance --plan --verdict --since --until)
  evidence export      a self-contained evidence bundle of the drills in a range (--since --until [--instance] --out)
  evidence verify <dir>  check every hash and chain of a bundle; exit 0 only if nothing was altered or removed
  report <id>          a finished drill's report
  cancel <id>          cancel a running drill (it still cleans up)
  fleet run <plan>     run a fleet plan of DRILL_PLANS now and follow it; exit 0 only if every drill passed
  fleet status <id>    a fleet run's progress, or its report once done
  coverage [<plan>]    each backup instance in the fleet plans' scopes: last drill, verdict, age, overdue
  dashboard            every backup instance: last verdict, coverage, RTO/RPO trend, regressions (--open, --out)
  serve                run the standalone host (app settings from the environment)
  demo                 the embedded demo: emulator, PostgreSQL, Azurite, host, two drills

Options (every command): --url <host URL> (PGDRILL_URL, default http://127.0.0.1:7071),
  --key <function key> (PGDRILL_KEY or DRILL_FUNCTION_KEY), --json, --help`,
  run: 'pgdrill run <request.json> [--timeout <seconds>] [--json]\n  Starts the drill described by the file (schemas/drill-request.schema.json) and follows it.',
  doctor:
    'pgdrill doctor <request.json> [--json]\n  The pre-flight doctor (POST /api/drills/preflight): permissions, backup instance, recovery point,\n  validation, secret, server, names, container, pg_restore, cross-region; nothing is restored. One line per\n  check (PASS/FAIL/SKIP) with the fix under each failure; exit 0 when none failed, 1 when one did.',
  status: 'pgdrill status <id> [--json]',
  list: 'pgdrill list [--json]',
  report: 'pgdrill report <id> [--json]',
  evidence:
    "pgdrill evidence export --out <dir> [--since <date>] [--until <date>] [--instance <backup instance id>]\npgdrill evidence verify <dir> [--json]\n  export writes every kept version of each drill's report in the range (named by its SHA-256), each drill's page,\n  an index page and manifest.json (the hash of every file, each backup instance's chain); verify recomputes them\n  all and names any file changed, removed or added and any broken link.",
  history:
    'pgdrill history [--instance <backup instance id>] [--plan <name>] [--verdict passed|failed|cancelled]\n                [--since <date>] [--until <date>] [--top <n>] [--json]\n  Finished drills, newest first, from the report table (GET /api/drills): --top of them (default 50; every\n  page is followed), as a table or, with --json, one JSON line per drill.',
  cancel: 'pgdrill cancel <id> [--json]',
  fleet:
    'pgdrill fleet run <plan> [--timeout <seconds>] [--json]\npgdrill fleet status <id> [--json]\n  Runs a fleet plan (DRILL_PLANS, a plan with scope and templates) now, or shows a run.',
  coverage:
    'pgdrill coverage [<plan>] [--json]\n  Lists every backup instance in scope of each fleet plan (or of one): last drill, verdict, age in days, overdue.',
  dashboard:
    'pgdrill dashboard [--out <file>] [--open] [--json]\n  The dashboard (GET /api/dashboard): a summary line per backup instance, and the page written to --out\n  (default .tmp/dashboard.html); --open opens it in the default browser.',
  serve:
    'pgdrill serve\n  Runs the standalone host on DRILL_HOST_PORT (7071) with the app settings in the environment\n  (against the emulator, or against Azure with DefaultAzureCredential: az login on a laptop).',
  demo: 'pgdrill demo [--json] [--keep]\n  Starts Azurite, PostgreSQL clusters, the emulator and the host, then runs a Single Server and a Flexible Server drill.',
};

class UsageError extends Error {}

interface Args {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags.set(k, v);
      else if (
        ['url', 'key', 'timeout', 'instance', 'plan', 'verdict', 'since', 'until', 'top', 'out'].includes(k)
      )
        flags.set(k, argv[++i] ?? '');
      else flags.set(k, true);
    } else if (a === '-h') flags.set('help', true);
    else positional.push(a);
  }
  return { command: positional.shift() ?? 'help', positional, flags };
}

/** The app's JSON answers, as far as the CLI reads them. */
interface ApiBody {
  id?: string;
  runtimeStatus?: string;
  phase?: string | null;
  detail?: string | null;
  report?: DrillReport;
  error?: { code: string; message: string; errors?: { pointer: string; message: string }[] } | string;
  running?: { id: string; phase?: string | null }[];
  finished?: {
    drillId: string;
    verdict: string;
    startedAt: string;
    failureCode?: string;
    backupInstanceId?: string;
    rtoSeconds?: number;
    rpoSeconds?: number;
    plan?: string;
    sha256?: string;
  }[];
  nextLink?: string;
  progress?: { phase?: string; due?: number; running?: number; done?: number; passed?: number } | null;
  plans?: CoveragePlan[];
}

interface CoveragePlan {
  plan: string;
  everyDays?: number | null;
  overdue?: number;
  error?: { code: string; message: string };
  instances?: {
    backupInstanceId: string;
    lastDrill?: { drillId: string; verdict: string; startedAt: string };
    ageDays?: number;
    overdue: boolean;
  }[];
  skipped?: { backupInstanceId: string; reason: string }[];
}

/** `pgdrill history`: pages of GET /api/drills followed until --top drills (or the last page). */
async function history(args: Args): Promise<number> {
  const want = args.flags.has('top') ? Number(args.flags.get('top')) : 50;
  if (!Number.isInteger(want) || want < 1)
    throw new UsageError('--top takes a whole number of drills, at least 1');
  const params = new URLSearchParams();
  for (const [flag, param] of [
    ['instance', 'backupInstance'],
    ['plan', 'plan'],
    ['verdict', 'verdict'],
    ['since', 'since'],
    ['until', 'until'],
  ] as const) {
    const v = args.flags.get(flag);
    if (v === true || v === '') throw new UsageError(`--${flag} needs a value`);
    if (v !== undefined) params.set(param, v);
  }
  params.set('top', String(Math.min(want, 200)));
  const rows: NonNullable<ApiBody['finished']> = [];
  let path: string | undefined = `/api/drills?${params.toString()}`;
  while (path && rows.length < want) {
    const s = await api(args, 'GET', path);
    if (s.status !== 200) fail(s, 'history');
    rows.push(...(s.body.finished ?? []));
    path = s.body.nextLink;
  }
  const shown = rows.slice(0, want);
  if (args.flags.has('json')) {
    for (const r of shown) process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  if (!shown.length) {
    process.stdout.write('no finished drill matches\n');
    return 0;
  }
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 5 ? c.padEnd([26, 10, 20, 10, 10][i]!) : c)).join('  ');
  process.stdout.write(
    line(['DRILL', 'VERDICT', 'STARTED', 'RTO', 'RPO', 'FAILURE / BACKUP INSTANCE']) + '\n',
  );
  for (const r of shown)
    process.stdout.write(
      line([
        r.drillId,
        r.verdict,
        r.startedAt.slice(0, 19) + 'Z',
        r.rtoSeconds !== undefined ? `${r.rtoSeconds.toFixed(0)} s` : '–',
        r.rpoSeconds !== undefined ? `${(r.rpoSeconds / 3600).toFixed(1)} h` : '–',
        `${r.failureCode ? `${r.failureCode}  ` : ''}${r.backupInstanceId ?? ''}`,
      ]) + '\n',
    );
  if (path) process.stdout.write(`(more: --top ${want + 50})\n`);
  return 0;
}

/** `pgdrill evidence export|verify`. */
async function evidence(args: Args): Promise<number> {
  const sub = args.positional[0];
  if (sub === 'verify') {
    const dir = args.positional[1];
    if (!dir) throw new UsageError('evidence verify needs the bundle folder');
    const files = new Map<string, Uint8Array>();
    const walk = (rel: string) => {
      for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(p);
        else files.set(p, readFileSync(join(dir, p)));
      }
    };
    try {
      walk('');
    } catch (err) {
      throw new Error(`cannot read the bundle ${dir}: ${(err as Error).message}`);
    }
    const verdict = verifyBundle(files);
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(verdict) + '\n');
    else {
      for (const p of verdict.problems) process.stdout.write(`FAIL ${p}\n`);
      process.stdout.write(
        verdict.ok
          ? `bundle verified: ${verdict.versions} report version(s), ${verdict.chains} chain(s), every hash and link intact\n`
          : `bundle NOT verified: ${verdict.problems.length} problem(s)\n`,
      );
    }
    return verdict.ok ? 0 : 1;
  }
  if (sub !== 'export') throw new UsageError('evidence takes export or verify');
  const out = args.flags.get('out');
  if (typeof out !== 'string' || !out) throw new UsageError('evidence export needs --out <folder>');
  const params = new URLSearchParams({ top: '200' });
  const range: BundleManifest['range'] = {};
  for (const [flag, param, key] of [
    ['since', 'since', 'since'],
    ['until', 'until', 'until'],
    ['instance', 'backupInstance', 'backupInstance'],
  ] as const) {
    const v = args.flags.get(flag);
    if (v === true || v === '') throw new UsageError(`--${flag} needs a value`);
    if (v !== undefined) {
      params.set(param, v);
      range[key] = v;
    }
  }
  const drills: NonNullable<ApiBody['finished']> = [];
  for (let path: string | undefined = `/api/drills?${params.toString()}`; path;) {
    const s = await api(args, 'GET', path);
    if (s.status !== 200) fail(s, 'evidence export');
    drills.push(...(s.body.finished ?? []));
    path = s.body.nextLink;
  }
  const files = new Map<string, string>();
  const versions: DrillReport[] = [];
  const index: string[][] = [];
  for (const d of drills) {
    const s = await api(args, 'GET', `/api/drills/${encodeURIComponent(d.drillId)}/evidence`);
    if (s.status === 404) continue; // saved before evidence was kept
    if (s.status !== 200) fail(s, `evidence of ${d.drillId}`);
    const kept = (s.body as unknown as { versions: { sha256: string; text: string }[] }).versions;
    const parsed = kept.map((v) => ({ ...v, report: JSON.parse(v.text) as DrillReport }));
    for (const v of parsed) {
      files.set(`reports/${d.drillId}/${v.sha256}.json`, v.text);
      versions.push(v.report);
    }
    // The drill's page: its newest version (the one no other version of it links to is the last saved).
    const newest = parsed.find((v) => v.sha256 === d.sha256) ?? parsed[parsed.length - 1]!;
    files.set(`reports/${d.drillId}.html`, renderReportHtml(newest.report));
    index.push([d.drillId, d.backupInstanceId ?? '', d.verdict, d.startedAt, newest.sha256]);
  }
  files.set('index.html', renderBundleIndex(index, range));
  const manifest = buildManifest(files, versions, range, new Date().toISOString());
  for (const [p, text] of files) {
    mkdirSync(dirname(join(out, p)), { recursive: true });
    writeFileSync(join(out, p), text);
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(
    `evidence bundle written to ${out}: ${index.length} drill(s), ${versions.length} report version(s), ${Object.keys(manifest.chains).length} chain(s); check it with pgdrill evidence verify ${out}\n`,
  );
  return 0;
}

/** The bundle's index page: self-contained, one row per drill. */
function renderBundleIndex(rows: string[][], range: BundleManifest['range']): string {
  const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Restore drill evidence</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}code{font-size:12px}</style></head><body>
<h1>Restore drill evidence</h1><p>Drills ${esc(range.since ?? 'from the start')} to ${esc(range.until ?? 'now')}${range.backupInstance ? ` of ${esc(range.backupInstance)}` : ''}. Every file's SHA-256 is in manifest.json; <code>pgdrill evidence verify</code> checks them and each backup instance's chain.</p>
<table><tr><th>drill</th><th>backup instance</th><th>verdict</th><th>started</th><th>report SHA-256</th></tr>${rows
    .map(
      ([id, bi, v, at, sha]) =>
        `<tr><td><a href="reports/${esc(id!)}.html">${esc(id!)}</a></td><td>${esc(bi!)}</td><td>${esc(v!)}</td><td>${esc(at!)}</td><td><code>${esc(sha!)}</code></td></tr>`,
    )
    .join('')}</table></body></html>
`;
}

/** A fleet report as the CLI prints it. */
function formatFleet(r: FleetReport): string {
  const c = r.counts;
  const lines = [
    `fleet ${r.fleetId} (plan ${r.plan}): ${r.status}`,
    `  in scope ${c.inScope}, drilled ${c.drilled}, passed ${c.passed}, failed ${c.failed}, not due ${c.notDue}, skipped ${c.skipped}, overdue ${c.overdue}`,
    ...(r.failure ? [`  ${r.failure.code}: ${r.failure.message}`] : []),
    ...r.drills
      .filter((d) => d.verdict !== 'passed')
      .map((d) => `  ${d.verdict}  ${d.drillId}  ${d.failureCode ?? ''}  ${d.backupInstanceId}`),
    ...r.skipped.map((s) => `  skipped  ${s.backupInstanceId}: ${s.reason}`),
    ...r.problems.map((p) => `  problem  ${p.resource}: ${p.code} ${p.message}`),
  ];
  return lines.join('\n');
}

async function fleet(args: Args): Promise<number> {
  const [sub, arg] = args.positional;
  const json = args.flags.has('json');
  if (sub === 'status') {
    if (!arg) throw new UsageError('fleet status needs a fleet run id');
    const s = await api(args, 'GET', `/api/fleets/${encodeURIComponent(arg)}`);
    if (s.status !== 200) fail(s, `status of ${arg}`);
    const report = s.body.report as unknown as FleetReport | undefined;
    const p = s.body.progress;
    process.stdout.write(
      json
        ? JSON.stringify(s.body) + '\n'
        : report
          ? formatFleet(report) + '\n'
          : `${arg}: ${s.body.runtimeStatus}, ${p?.phase ?? '–'}, ${p?.done ?? 0} of ${p?.due ?? '?'} drills done (${p?.running ?? 0} running)\n`,
    );
    return 0;
  }
  if (sub !== 'run') throw new UsageError('fleet needs run <plan> or status <id>');
  if (!arg) throw new UsageError('fleet run needs the name of a fleet plan');
  const started = await api(args, 'POST', '/api/fleets', { plan: arg });
  if (started.status !== 202) fail(started, 'the fleet run was not started');
  const id = started.body.id!;
  if (!json) process.stderr.write(`started ${id}\n`);
  const timeoutMs = Number(args.flags.get('timeout') ?? 7 * 24 * 3600) * 1000;
  const t0 = Date.now();
  for (;;) {
    const s = await api(args, 'GET', `/api/fleets/${encodeURIComponent(id)}`);
    if (s.status !== 200) fail(s, `status of ${id}`);
    if (s.body.runtimeStatus === 'Completed') {
      const report = s.body.report as unknown as FleetReport;
      process.stdout.write(json ? JSON.stringify(report) + '\n' : formatFleet(report) + '\n');
      return report.status === 'completed' && report.counts.failed === 0 ? 0 : 1;
    }
    if (['Failed', 'Terminated'].includes(s.body.runtimeStatus ?? ''))
      throw new Error(`fleet ${id} ${s.body.runtimeStatus}: ${JSON.stringify(s.body.error ?? '')}`);
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `fleet ${id} still running after ${timeoutMs / 1000} s (follow it with pgdrill fleet status ${id})`,
      );
    await sleep(2000);
  }
}

async function coverage(args: Args): Promise<number> {
  const plan = args.positional[0];
  const s = await api(args, 'GET', `/api/coverage${plan ? `?plan=${encodeURIComponent(plan)}` : ''}`);
  if (s.status !== 200) fail(s, 'coverage');
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify(s.body) + '\n');
    return 0;
  }
  for (const p of s.body.plans ?? []) {
    if (p.error) {
      process.stdout.write(`${p.plan}: ${p.error.code}: ${p.error.message}\n`);
      continue;
    }
    process.stdout.write(
      `${p.plan}: ${p.instances?.length ?? 0} in scope, ${p.overdue ?? 0} overdue${p.everyDays ? ` (every ${p.everyDays} days)` : ''}\n`,
    );
    process.stdout.write('  OVERDUE  AGE(d)  LAST VERDICT  BACKUP INSTANCE\n');
    for (const i of p.instances ?? [])
      process.stdout.write(
        `  ${(i.overdue ? 'yes' : 'no').padEnd(7)}  ${String(i.ageDays ?? '–').padEnd(6)}  ${(i.lastDrill?.verdict ?? 'never').padEnd(12)}  ${i.backupInstanceId}\n`,
      );
  }
  return 0;
}

/** `pgdrill dashboard`: the dashboard as text, and as a page written locally (and opened with --open). */
async function dashboard(args: Args): Promise<number> {
  const s = await api(args, 'GET', '/api/dashboard');
  if (s.status !== 200) fail(s, 'dashboard');
  const d = s.body as unknown as Dashboard;
  const out = args.flags.get('out');
  if (out === true || out === '') throw new UsageError('--out needs a file name');
  const file = out ?? join('.tmp', 'dashboard.html');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderDashboardHtml(d));
  if (args.flags.has('json')) process.stdout.write(JSON.stringify({ ...d, page: file }) + '\n');
  else {
    const t = d.totals;
    process.stdout.write(
      `${t.instances} backup instance(s): ${t.lastPassed} last passed, ${t.lastFailed} last failed, ${t.overdue} overdue (${d.coverageDays} days), ${t.regressions} regression(s)\n`,
    );
    process.stdout.write('  LAST VERDICT  AGE(d)  COVERAGE  RTO (last)  REGRESSION  BACKUP INSTANCE\n');
    for (const e of d.instances)
      process.stdout.write(
        `  ${e.last.verdict.padEnd(12)}  ${String(e.lastAgeDays).padEnd(6)}  ${e.coverage.padEnd(8)}  ${dur(e.rto.at(-1)?.seconds).padEnd(10)}  ${(e.regression ? 'YES' : 'no').padEnd(10)}  ${e.backupInstanceId}\n`,
      );
    process.stdout.write(`page: ${file}\n`);
  }
  if (args.flags.has('open')) openInBrowser(file);
  return 0;
}

/** Opens a local file in the default browser, where there is one; says where the file is either way. */
function openInBrowser(file: string): void {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [resolve(file)], { stdio: 'ignore', detached: true });
  child.on('error', () =>
    process.stderr.write(
      `pgdrill: no browser could be started (${opener}); open ${resolve(file)} yourself\n`,
    ),
  );
  child.unref();
}

async function api(
  args: Args,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: ApiBody }> {
  const base = String(args.flags.get('url') ?? process.env.PGDRILL_URL ?? 'http://127.0.0.1:7071').replace(
    /\/+$/,
    '',
  );
  const key = args.flags.get('key') ?? process.env.PGDRILL_KEY ?? process.env.DRILL_FUNCTION_KEY;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key && key !== true ? { 'x-functions-key': key } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new Error(
      `cannot reach ${base}: ${(err as Error).message} (start it with "pgdrill serve", or set --url)`,
    );
  }
  const text = await res.text();
  let parsed: ApiBody = {};
  try {
    parsed = text ? (JSON.parse(text) as ApiBody) : {};
  } catch {
    parsed = { error: text };
  }
  return { status: res.status, body: parsed };
}

function fail(res: { status: number; body: ApiBody }, what: string): never {
  const e = res.body.error;
  if (typeof e === 'string' || e === undefined)
    throw new Error(`${what}: HTTP ${res.status}${e ? ` ${e}` : ''}`);
  const details = e.errors
    ? `\n${e.errors.map((x) => `  ${x.pointer || '(root)'}: ${x.message}`).join('\n')}`
    : '';
  throw new Error(`${what}: HTTP ${res.status} ${e.code}: ${e.message}${details}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(args: Args): Promise<number> {
  const file = args.positional[0];
  if (!file) throw new UsageError('run needs a request file');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const json = args.flags.has('json');
  const started = await api(args, 'POST', '/api/drills', text);
  if (started.status !== 202 && started.status !== 200) fail(started, 'the drill was not started');
  const id = started.body.id!;
  if (!json) process.stderr.write(`started ${id}\n`);
  const timeoutMs = Number(args.flags.get('timeout') ?? 24 * 3600) * 1000;
  const t0 = Date.now();
  let last = '';
  for (;;) {
    const s = await api(args, 'GET', `/api/drills/${encodeURIComponent(id)}`);
    if (s.status !== 200) fail(s, `status of ${id}`);
    if (!json) {
      const line = progressLine(id, s.body, Date.now() - t0);
      if (
        line.replace(/\s+\d+ s\s+/, ' ') !== last.replace(/\s+\d+ s\s+/, ' ') ||
        (Date.now() - t0) % 15000 < 1000
      )
        process.stderr.write(line + '\n');
      last = line;
    }
    if (s.body.runtimeStatus === 'Completed') {
      const report = s.body.report!;
      process.stdout.write(json ? JSON.stringify(report) + '\n' : formatReport(report) + '\n');
      return report.verdict === 'passed' ? 0 : 1;
    }
    if (['Failed', 'Terminated'].includes(s.body.runtimeStatus ?? ''))
      throw new Error(`drill ${id} ${s.body.runtimeStatus}: ${JSON.stringify(s.body.error ?? '')}`);
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `drill ${id} still ${s.body.phase ?? s.body.runtimeStatus} after ${timeoutMs / 1000} s (it keeps running; follow it with pgdrill status ${id})`,
      );
    await sleep(1000);
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const json = args.flags.has('json');
  if (args.command === 'help' || (args.flags.has('help') && !HELP[args.command])) {
    process.stdout.write(HELP.main + '\n');
    return 0;
  }
  if (args.flags.has('help')) {
    process.stdout.write(HELP[args.command] + '\n');
    return 0;
  }
  const id = args.positional[0];
  switch (args.command) {
    case 'doctor':
      return doctorCommand(args.positional[0], json, {
        api: (method, path, body) => api(args, method, path, body),
        usage: (message) => new UsageError(message),
        out: (text) => process.stdout.write(text + '\n'),
      });
    case 'run':
      return run(args);
    case 'status': {
      if (!id) throw new UsageError('status needs a drill id');
      const s = await api(args, 'GET', `/api/drills/${encodeURIComponent(id)}`);
      if (s.status !== 200) fail(s, `status of ${id}`);
      process.stdout.write(
        json
          ? JSON.stringify(s.body) + '\n'
          : `${id}: ${s.body.runtimeStatus}, phase ${s.body.phase ?? '–'}${s.body.report ? `, verdict ${s.body.report.verdict}` : ''}\n`,
      );
      return 0;
    }
    case 'list': {
      const s = await api(args, 'GET', '/api/drills');
      if (s.status !== 200) fail(s, 'list');
      if (json) process.stdout.write(JSON.stringify(s.body) + '\n');
      else {
        for (const r of s.body.running ?? []) process.stdout.write(`${r.id}  running  ${r.phase ?? ''}\n`);
        for (const r of s.body.finished ?? [])
          process.stdout.write(`${r.drillId}  ${r.verdict}  ${r.startedAt}  ${r.failureCode ?? ''}\n`);
      }
      return 0;
    }
    case 'history':
      return history(args);
    case 'evidence':
      return evidence(args);
    case 'report': {
      if (!id) throw new UsageError('report needs a drill id');
      const s = await api(args, 'GET', `/api/drills/${encodeURIComponent(id)}`);
      if (s.status !== 200) fail(s, `report of ${id}`);
      if (!s.body.report)
        throw new Error(
          `drill ${id} has no report yet (${s.body.runtimeStatus}, phase ${s.body.phase ?? '–'})`,
        );
      process.stdout.write(json ? JSON.stringify(s.body.report) + '\n' : formatReport(s.body.report) + '\n');
      return 0;
    }
    case 'cancel': {
      if (!id) throw new UsageError('cancel needs a drill id');
      const s = await api(args, 'POST', `/api/drills/${encodeURIComponent(id)}/cancel`);
      if (s.status !== 202) fail(s, `cancel ${id}`);
      process.stdout.write(json ? JSON.stringify(s.body) + '\n' : `cancel requested for ${id}\n`);
      return 0;
    }
    case 'fleet':
      return fleet(args);
    case 'coverage':
      return coverage(args);
    case 'dashboard':
      return dashboard(args);
    case 'serve': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this command
      const { startStandaloneHost } = require('../host/main') as typeof import('../host/main');
      const running = await startStandaloneHost();
      await new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      return 0;
    }
    case 'demo': {
      const child = spawn(
        process.execPath,
        [join(__dirname, '..', '..', 'demo', 'main.js'), ...argv.slice(1)],
        { stdio: 'inherit' },
      );
      return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    }
    default:
      throw new UsageError(`unknown command "${args.command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pgdrill: ${(err as Error).message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${HELP.main}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
