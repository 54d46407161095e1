#!/usr/bin/env node
/**
 * pgdrill: run and follow restore drills through the app's HTTP API (the standalone host or Azure), serve the
 * standalone host, or run the demo. Each command is one entry of COMMANDS (name, usage, options, handler).
 * Exit codes: 0 done (a drill passed), 1 a failure (a drill failed, the host refused or could not be reached),
 * 2 a usage error (printed with the command's usage line). Errors are one line on stderr; --json keeps stdout
 * for machine output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderDashboardHtml, type Dashboard } from '../lib/drill/dashboard';
import { DOCTOR_TIMEOUT_MS, type DoctorResult } from '../lib/doctor/types';
import type { FleetReport } from '../lib/drill/fleetReport';
import { HistoryQueryError, parseHistoryQuery } from '../lib/drill/history';
import { dur } from '../lib/drill/report';
import { closest, count, parseCommand, seconds, str, UsageError, type Options, type Parsed } from './args';
import { formatDoctor } from './doctor';
import { exportEvidence, verifyEvidence } from './evidence';
import { followDrill, type DrillProgress, type FollowEnd } from './follow';
import { formatReport, progressLine } from './format';
import { call, failure, resolveConnection, type ApiResponse, type Connection } from './http';
import { readRequestFile } from './input';
import { finishedRow, historyTable, listTable, runningRow } from './rows';

/** What a handler gets: its parsed arguments, --json, its usage line, and the app's API (for `net` commands). */
interface Ctx {
  args: Parsed;
  json: boolean;
  usage: string;
  conn: Connection;
  api(method: string, path: string, body?: string): Promise<ApiResponse>;
}

interface Command {
  /** One or two words: `run`, `fleet run`. */
  name: string;
  /** The one-line usage, printed with every usage error of the command. */
  usage: string;
  /** One line for `pgdrill --help`. */
  summary: string;
  /** More lines for `pgdrill <command> --help`. */
  about?: string;
  options: Options;
  positionals: readonly string[];
  required: number;
  /** Talks to the app: takes --url and --key, and gets a checked connection. */
  net: boolean;
  handler(c: Ctx): Promise<number>;
}

const JSON_OPT: Options = { json: { type: 'boolean' } };
const NET_OPTS: Options = { url: { type: 'string' }, key: { type: 'string' } };

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');
const drillPath = (id: string, rest = '') => `/api/drills/${encodeURIComponent(id)}${rest}`;

/** The end of a followed drill: exit 0 only if it passed; an orchestration failure or a timeout throws. */
function ended(end: FollowEnd, id: string, timeoutSeconds?: number): number {
  if (end.kind === 'ended') throw new Error(`drill ${id} ${end.runtimeStatus}: ${end.error}`);
  if (end.kind === 'timeout')
    throw new Error(
      `drill ${id} still ${end.last.phase ?? end.last.runtimeStatus} after ${timeoutSeconds} s (it keeps running; follow it with pgdrill watch ${id})`,
    );
  return end.report.verdict === 'passed' ? 0 : 1;
}

const progressText = (p: DrillProgress) => progressLine(p.drillId, p, p.elapsedSeconds * 1000);

async function run(c: Ctx): Promise<number> {
  const timeout = seconds(c.args, 'timeout', 24 * 3600, c.usage);
  const text = readRequestFile(c.args.positionals[0]!);
  const started = await c.api('POST', '/api/drills', text);
  if (started.status !== 202 && started.status !== 200) throw failure(started, 'the drill was not started');
  const id = started.body.id!;
  if (!c.json) err(`started ${id}`);
  // Progress goes to stderr: stdout is the report's.
  const end = await followDrill(c.conn, id, {
    intervalMs: 1000,
    timeoutMs: timeout * 1000,
    onChange: (p) => (c.json ? undefined : err(progressText(p))),
  });
  if (end.kind === 'completed') out(c.json ? JSON.stringify(end.report) : formatReport(end.report));
  return ended(end, id, timeout);
}

async function doctor(c: Ctx): Promise<number> {
  const text = readRequestFile(c.args.positionals[0]!);
  // The doctor answers within its own bound even when a dependency hangs (those checks fail as timed out):
  // wait that long, or the per-call limit (30 s) would report a working host as unreachable.
  const conn = { ...c.conn, timeoutMs: Math.max(c.conn.timeoutMs, DOCTOR_TIMEOUT_MS + 15_000) };
  const res = await call(conn, 'POST', '/api/drills/preflight', text);
  if (res.status !== 200) throw failure(res, 'the doctor did not run');
  const result = res.body as unknown as DoctorResult;
  out(c.json ? JSON.stringify(result) : formatDoctor(result));
  return result.ok ? 0 : 1;
}

async function watch(c: Ctx): Promise<number> {
  const interval = seconds(c.args, 'interval', 2, c.usage);
  // Each poll is a request or two to the host: ten a second is already plenty for a person watching.
  if (interval < 0.1)
    throw new UsageError(
      `--interval ${interval}: poll at most ten times a second (--interval 0.1 or more)`,
      c.usage,
    );
  const id = c.args.positionals[0]!;
  const end = await followDrill(c.conn, id, {
    intervalMs: interval * 1000,
    onChange: (p) => out(c.json ? JSON.stringify(p) : progressText(p)),
  });
  if (end.kind === 'completed' && !c.json)
    out(
      `${id}: ${end.report.verdict.toUpperCase()} after ${dur(end.last.elapsedSeconds)} (pgdrill report ${id})`,
    );
  return ended(end, id);
}

async function status(c: Ctx): Promise<number> {
  const id = c.args.positionals[0]!;
  const s = await c.api('GET', drillPath(id));
  if (s.status !== 200) throw failure(s, `status of ${id}`);
  out(
    c.json
      ? JSON.stringify(s.body)
      : `${id}: ${s.body.runtimeStatus}, phase ${s.body.phase ?? '–'}${s.body.report ? `, verdict ${s.body.report.verdict}` : ''}`,
  );
  return 0;
}

async function list(c: Ctx): Promise<number> {
  const s = await c.api('GET', '/api/drills');
  if (s.status !== 200) throw failure(s, 'list');
  const rows = [...(s.body.running ?? []).map(runningRow), ...(s.body.finished ?? []).map(finishedRow)];
  if (c.json) for (const r of rows) out(JSON.stringify(r));
  else if (!rows.length) out('no drills');
  else {
    process.stdout.write(listTable(rows));
    if (s.body.nextLink) out('(more finished drills: pgdrill history --top <n>)');
  }
  return 0;
}

/** The filters history and evidence export share, checked here with the API's own rules. */
const FILTERS = [
  ['instance', 'backupInstance'],
  ['plan', 'plan'],
  ['verdict', 'verdict'],
  ['since', 'since'],
  ['until', 'until'],
] as const;

function filterParams(c: Ctx, flags: readonly (typeof FILTERS)[number][0][]): URLSearchParams {
  const params = new URLSearchParams();
  for (const [flag, param] of FILTERS) {
    const v = str(c.args, flag);
    if (v !== undefined && flags.includes(flag)) params.set(param, v);
  }
  try {
    parseHistoryQuery(params);
  } catch (e) {
    if (!(e instanceof HistoryQueryError)) throw e;
    const flag = FILTERS.find(([, p]) => p === e.parameter)?.[0] ?? e.parameter;
    throw new UsageError(`--${flag} ${params.get(e.parameter)}: ${e.message.replace(/^\w+: /, '')}`, c.usage);
  }
  return params;
}

/** `pgdrill history`: pages of GET /api/drills followed until --top drills (or the last page). */
async function history(c: Ctx): Promise<number> {
  const want = count(c.args, 'top', 50, c.usage);
  const params = filterParams(c, ['instance', 'plan', 'verdict', 'since', 'until']);
  params.set('top', String(Math.min(want, 200)));
  const rows: Record<string, unknown>[] = [];
  let path: string | undefined = `/api/drills?${params.toString()}`;
  while (path && rows.length < want) {
    const s = await c.api('GET', path);
    if (s.status !== 200) throw failure(s, 'history');
    rows.push(...(s.body.finished ?? []));
    path = s.body.nextLink;
  }
  const shown = rows.slice(0, want).map(finishedRow);
  if (c.json) for (const r of shown) out(JSON.stringify(r));
  else if (!shown.length) out('no finished drill matches');
  else {
    process.stdout.write(historyTable(shown));
    if (path) out(`(more: --top ${want + 50})`);
  }
  return 0;
}

async function report(c: Ctx): Promise<number> {
  const id = c.args.positionals[0]!;
  const s = await c.api('GET', drillPath(id));
  if (s.status !== 200) throw failure(s, `report of ${id}`);
  if (!s.body.report)
    throw new Error(
      `drill ${id} has no report yet (${s.body.runtimeStatus}, phase ${s.body.phase ?? '–'}; follow it with pgdrill watch ${id})`,
    );
  out(c.json ? JSON.stringify(s.body.report) : formatReport(s.body.report));
  return 0;
}

async function cancel(c: Ctx): Promise<number> {
  const id = c.args.positionals[0]!;
  const s = await c.api('POST', drillPath(id, '/cancel'));
  if (s.status !== 202) throw failure(s, `cancel ${id}`);
  out(c.json ? JSON.stringify(s.body) : `cancel requested for ${id}`);
  return 0;
}

/** A fleet report as the CLI prints it. */
function formatFleet(r: FleetReport): string {
  const n = r.counts;
  const lines = [
    `fleet ${r.fleetId} (plan ${r.plan}): ${r.status}`,
    `  in scope ${n.inScope}, drilled ${n.drilled}, passed ${n.passed}, failed ${n.failed}, not due ${n.notDue}, skipped ${n.skipped}, overdue ${n.overdue}`,
    ...(r.failure ? [`  ${r.failure.code}: ${r.failure.message}`] : []),
    ...r.drills
      .filter((d) => d.verdict !== 'passed')
      .map((d) => `  ${d.verdict}  ${d.drillId}  ${d.failureCode ?? ''}  ${d.backupInstanceId}`),
    ...r.skipped.map((s) => `  skipped  ${s.backupInstanceId}: ${s.reason}`),
    ...r.problems.map((p) => `  problem  ${p.resource}: ${p.code} ${p.message}`),
  ];
  return lines.join('\n');
}

async function fleetStatus(c: Ctx): Promise<number> {
  const id = c.args.positionals[0]!;
  const s = await c.api('GET', `/api/fleets/${encodeURIComponent(id)}`);
  if (s.status !== 200) throw failure(s, `status of ${id}`);
  const r = s.body.report as unknown as FleetReport | undefined;
  const p = s.body.progress;
  out(
    c.json
      ? JSON.stringify(s.body)
      : r
        ? formatFleet(r)
        : `${id}: ${s.body.runtimeStatus}, ${p?.phase ?? '–'}, ${p?.done ?? 0} of ${p?.due ?? '?'} drills done (${p?.running ?? 0} running)`,
  );
  return 0;
}

async function fleetRun(c: Ctx): Promise<number> {
  const timeout = seconds(c.args, 'timeout', 7 * 24 * 3600, c.usage);
  const started = await c.api('POST', '/api/fleets', JSON.stringify({ plan: c.args.positionals[0] }));
  if (started.status !== 202) throw failure(started, 'the fleet run was not started');
  const id = started.body.id!;
  if (!c.json) err(`started ${id}`);
  const t0 = Date.now();
  for (;;) {
    const s = await c.api('GET', `/api/fleets/${encodeURIComponent(id)}`);
    if (s.status !== 200) throw failure(s, `status of ${id}`);
    if (s.body.runtimeStatus === 'Completed') {
      const r = s.body.report as unknown as FleetReport;
      out(c.json ? JSON.stringify(r) : formatFleet(r));
      return r.status === 'completed' && r.counts.failed === 0 ? 0 : 1;
    }
    if (['Failed', 'Terminated'].includes(s.body.runtimeStatus ?? ''))
      throw new Error(`fleet ${id} ${s.body.runtimeStatus}: ${JSON.stringify(s.body.error ?? '')}`);
    if (Date.now() - t0 > timeout * 1000)
      throw new Error(
        `fleet ${id} still running after ${timeout} s (follow it with pgdrill fleet status ${id})`,
      );
    await new Promise((r) => setTimeout(r, 2000));
  }
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
}

async function coverage(c: Ctx): Promise<number> {
  const plan = c.args.positionals[0];
  const s = await c.api('GET', `/api/coverage${plan ? `?plan=${encodeURIComponent(plan)}` : ''}`);
  if (s.status !== 200) throw failure(s, 'coverage');
  if (c.json) {
    out(JSON.stringify(s.body));
    return 0;
  }
  for (const p of (s.body as { plans?: CoveragePlan[] }).plans ?? []) {
    if (p.error) {
      out(`${p.plan}: ${p.error.code}: ${p.error.message}`);
      continue;
    }
    out(
      `${p.plan}: ${p.instances?.length ?? 0} in scope, ${p.overdue ?? 0} overdue${p.everyDays ? ` (every ${p.everyDays} days)` : ''}`,
    );
    out('  OVERDUE  AGE(d)  LAST VERDICT  BACKUP INSTANCE');
    for (const i of p.instances ?? [])
      out(
        `  ${(i.overdue ? 'yes' : 'no').padEnd(7)}  ${String(i.ageDays ?? '–').padEnd(6)}  ${(i.lastDrill?.verdict ?? 'never').padEnd(12)}  ${i.backupInstanceId}`,
      );
  }
  return 0;
}

/** `pgdrill dashboard`: the dashboard as text, and as a page written locally (and opened with --open). */
async function dashboard(c: Ctx): Promise<number> {
  const s = await c.api('GET', '/api/dashboard');
  if (s.status !== 200) throw failure(s, 'dashboard');
  const d = s.body as unknown as Dashboard;
  const file = str(c.args, 'out') ?? join('.tmp', 'dashboard.html');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderDashboardHtml(d));
  if (c.json) out(JSON.stringify({ ...d, page: file }));
  else {
    const t = d.totals;
    out(
      `${t.instances} backup instance(s): ${t.lastPassed} last passed, ${t.lastFailed} last failed, ${t.overdue} overdue (${d.coverageDays} days), ${t.regressions} regression(s)`,
    );
    out('  LAST VERDICT  AGE(d)  COVERAGE  RTO (last)  REGRESSION  BACKUP INSTANCE');
    for (const e of d.instances)
      out(
        `  ${e.last.verdict.padEnd(12)}  ${String(e.lastAgeDays).padEnd(6)}  ${e.coverage.padEnd(8)}  ${dur(e.rto.at(-1)?.seconds).padEnd(10)}  ${(e.regression ? 'YES' : 'no').padEnd(10)}  ${e.backupInstanceId}`,
      );
    out(`page: ${file}`);
  }
  if (c.args.values.open) openInBrowser(file);
  return 0;
}

/** Opens a local file in the default browser, where there is one; says where the file is either way. */
function openInBrowser(file: string): void {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [resolve(file)], { stdio: 'ignore', detached: true });
  child.on('error', () =>
    err(`pgdrill: no browser could be started (${opener}); open ${resolve(file)} yourself`),
  );
  child.unref();
}

async function evidenceExport(c: Ctx): Promise<number> {
  const target = str(c.args, 'out');
  if (!target) throw new UsageError('evidence export needs --out <folder>', c.usage);
  const params = filterParams(c, ['instance', 'since', 'until']);
  const range = {
    ...(params.get('since') ? { since: params.get('since')! } : {}),
    ...(params.get('until') ? { until: params.get('until')! } : {}),
    ...(params.get('backupInstance') ? { backupInstance: params.get('backupInstance')! } : {}),
  };
  return exportEvidence(c.conn, target, range);
}

async function serve(): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this command
  const { startStandaloneHost } = require('../host/main') as typeof import('../host/main');
  const running = await startStandaloneHost();
  await new Promise<void>((done) => {
    const stop = () => void running.stop().then(done);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

function demo(c: Ctx): Promise<number> {
  const flags = [...(c.json ? ['--json'] : []), ...(c.args.values.keep ? ['--keep'] : [])];
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'demo', 'main.js'), ...flags], {
    stdio: 'inherit',
  });
  return new Promise((done) => child.on('exit', (code) => done(code ?? 1)));
}

const HISTORY_FILTERS: Options = {
  instance: { type: 'string' },
  plan: { type: 'string' },
  verdict: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
};

/** Every command: one entry each. */
const COMMANDS: readonly Command[] = [
  {
    name: 'run',
    usage: 'pgdrill run <request.json> [--timeout <seconds>] [--json] [--url <url>] [--key <key>]',
    summary: 'start a drill and follow it; exit 0 only if it passed',
    about:
      'Starts the drill described by the file (schemas/drill-request.schema.json) and follows it: progress on\nstderr, the report on stdout. --timeout (default 86400) stops following, not the drill.',
    options: { ...JSON_OPT, ...NET_OPTS, timeout: { type: 'string' } },
    positionals: ['request.json'],
    required: 1,
    net: true,
    handler: run,
  },
  {
    name: 'doctor',
    usage: 'pgdrill doctor <request.json> [--json] [--url <url>] [--key <key>]',
    summary: 'check every precondition of a drill without restoring; exit 0 only if none failed',
    about:
      'The pre-flight doctor (POST /api/drills/preflight): permissions, backup instance, recovery point,\nvalidation, secret, server, names, container, pg_restore, cross-region; nothing is restored. One line per\ncheck (PASS/FAIL/SKIP) with the fix under each failure; with --json the result as one JSON line.',
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['request.json'],
    required: 1,
    net: true,
    handler: doctor,
  },
  {
    name: 'watch',
    usage: 'pgdrill watch <id> [--interval <seconds>] [--json] [--url <url>] [--key <key>]',
    summary: 'follow a running drill until it ends; exit 0 only if it passed',
    about:
      "Prints a line each time the drill's phase, detail or backup job progress changes (with --json, one JSON\nobject per change: drillId, runtimeStatus, phase, detail, job, elapsedSeconds, verdict at the end), polling\nevery --interval seconds (default 2). Exit 0 passed; 1 failed, cancelled or no such drill.",
    options: { ...JSON_OPT, ...NET_OPTS, interval: { type: 'string' } },
    positionals: ['id'],
    required: 1,
    net: true,
    handler: watch,
  },
  {
    name: 'status',
    usage: 'pgdrill status <id> [--json] [--url <url>] [--key <key>]',
    summary: "a drill's status and phase",
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['id'],
    required: 1,
    net: true,
    handler: status,
  },
  {
    name: 'list',
    usage: 'pgdrill list [--json] [--url <url>] [--key <key>]',
    summary: 'running and finished drills',
    about:
      'Running drills, then the newest finished ones, as a table; with --json one object per drill (drillId,\nstatus: running or the verdict, phase, backupInstanceId, plan, label, startedAt, endedAt, durationSeconds,\nrtoSeconds, rpoSeconds, failureCode where present).',
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: [],
    required: 0,
    net: true,
    handler: list,
  },
  {
    name: 'history',
    usage:
      'pgdrill history [--instance <id>] [--plan <name>] [--verdict passed|failed|cancelled] [--since <date>] [--until <date>] [--top <n>] [--json]',
    summary: 'finished drills, newest first (filters: --instance --plan --verdict --since --until)',
    about:
      'Finished drills, newest first, from the report table (GET /api/drills): --top of them (default 50; every\npage is followed), as a table or, with --json, one JSON object per drill (the fields of list).',
    options: { ...JSON_OPT, ...NET_OPTS, ...HISTORY_FILTERS, top: { type: 'string' } },
    positionals: [],
    required: 0,
    net: true,
    handler: history,
  },
  {
    name: 'report',
    usage: 'pgdrill report <id> [--json] [--url <url>] [--key <key>]',
    summary: "a finished drill's report",
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['id'],
    required: 1,
    net: true,
    handler: report,
  },
  {
    name: 'cancel',
    usage: 'pgdrill cancel <id> [--json] [--url <url>] [--key <key>]',
    summary: 'cancel a running drill (it still cleans up)',
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['id'],
    required: 1,
    net: true,
    handler: cancel,
  },
  {
    name: 'evidence export',
    usage:
      'pgdrill evidence export --out <dir> [--since <date>] [--until <date>] [--instance <id>] [--url <url>] [--key <key>]',
    summary: 'a self-contained evidence bundle of the drills in a range',
    about:
      "Writes every kept version of each drill's report in the range (named by its SHA-256), each drill's page,\nan index page and manifest.json (the hash of every file, each backup instance's chain).",
    options: {
      ...NET_OPTS,
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      instance: { type: 'string' },
    },
    positionals: [],
    required: 0,
    net: true,
    handler: evidenceExport,
  },
  {
    name: 'evidence verify',
    usage: 'pgdrill evidence verify <dir> [--json]',
    summary: 'check every hash and chain of a bundle; exit 0 only if nothing was altered or removed',
    about: 'Recomputes every hash and names any file changed, removed or added and any broken link.',
    options: JSON_OPT,
    positionals: ['dir'],
    required: 1,
    net: false,
    handler: (c) => Promise.resolve(verifyEvidence(c.args.positionals[0]!, c.json)),
  },
  {
    name: 'fleet run',
    usage: 'pgdrill fleet run <plan> [--timeout <seconds>] [--json] [--url <url>] [--key <key>]',
    summary: 'run a fleet plan of DRILL_PLANS now and follow it; exit 0 only if every drill passed',
    options: { ...JSON_OPT, ...NET_OPTS, timeout: { type: 'string' } },
    positionals: ['plan'],
    required: 1,
    net: true,
    handler: fleetRun,
  },
  {
    name: 'fleet status',
    usage: 'pgdrill fleet status <id> [--json] [--url <url>] [--key <key>]',
    summary: "a fleet run's progress, or its report once done",
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['id'],
    required: 1,
    net: true,
    handler: fleetStatus,
  },
  {
    name: 'coverage',
    usage: 'pgdrill coverage [<plan>] [--json] [--url <url>] [--key <key>]',
    summary: "each backup instance in the fleet plans' scopes: last drill, verdict, age, overdue",
    options: { ...JSON_OPT, ...NET_OPTS },
    positionals: ['plan'],
    required: 0,
    net: true,
    handler: coverage,
  },
  {
    name: 'dashboard',
    usage: 'pgdrill dashboard [--out <file>] [--open] [--json] [--url <url>] [--key <key>]',
    summary: 'every backup instance: last verdict, coverage, RTO/RPO trend, regressions',
    about:
      'The dashboard (GET /api/dashboard): a summary line per backup instance, and the page written to --out\n(default .tmp/dashboard.html); --open opens it in the default browser.',
    options: { ...JSON_OPT, ...NET_OPTS, out: { type: 'string' }, open: { type: 'boolean' } },
    positionals: [],
    required: 0,
    net: true,
    handler: dashboard,
  },
  {
    name: 'serve',
    usage: 'pgdrill serve',
    summary: 'run the standalone host (app settings from the environment)',
    about:
      'Runs the standalone host on DRILL_HOST_PORT (7071) with the app settings in the environment\n(against the emulator, or against Azure with DefaultAzureCredential: az login on a laptop).',
    options: {},
    positionals: [],
    required: 0,
    net: false,
    handler: serve,
  },
  {
    name: 'demo',
    usage: 'pgdrill demo [--json] [--keep]',
    summary: 'the embedded demo: emulator, PostgreSQL, Azurite, host, drills',
    about:
      'Starts Azurite, PostgreSQL clusters, the emulator and the host, then runs a Single Server, a Flexible Server\nand a cross-region drill.',
    options: { ...JSON_OPT, keep: { type: 'boolean' } },
    positionals: [],
    required: 0,
    net: false,
    handler: demo,
  },
];

const MAIN_USAGE = 'pgdrill <command> [options]   (pgdrill --help lists the commands)';

/** How a command appears in `pgdrill --help`: its words and positionals. */
function synopsis(cmd: Command): string {
  const pos = cmd.positionals.map((p, i) => (i < cmd.required ? `<${p}>` : `[<${p}>]`));
  return [cmd.name, ...pos].join(' ');
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => synopsis(c).length));
  return `pgdrill <command> [options]

Commands:
${COMMANDS.map((c) => `  ${synopsis(c).padEnd(width)}  ${c.summary}`).join('\n')}

Options: --url <host URL> (PGDRILL_URL, default http://127.0.0.1:7071), --key <function key> (PGDRILL_KEY or
  DRILL_FUNCTION_KEY) on every command that calls the app; --json, --help. pgdrill <command> --help for more.
Exit codes: 0 done (a drill passed), 1 a failure (a drill failed or was cancelled, the app refused, the host
  could not be reached), 2 a usage error.`;
}

const commandHelp = (cmds: readonly Command[]) =>
  cmds
    .map((c) => `${c.usage}\n  ${c.summary}${c.about ? `\n  ${c.about.replace(/\n/g, '\n  ')}` : ''}`)
    .join('\n');

/** The command named by the first words of argv, and the arguments after them. */
function findCommand(argv: readonly string[]): { cmd?: Command; group?: Command[]; rest: string[] } {
  const [first = '', second = ''] = argv;
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length) {
    const cmd = group.find((c) => c.name === `${first} ${second}`);
    return cmd ? { cmd, rest: argv.slice(2) } : { group, rest: argv.slice(1) };
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    const words = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))];
    const hint = closest(first, words);
    throw new UsageError(`unknown command "${first}"${hint ? ` (did you mean ${hint}?)` : ''}`, MAIN_USAGE);
  }
  return { cmd, rest: argv.slice(1) };
}

async function main(argv: string[]): Promise<number> {
  if (!argv.length || ['help', '--help', '-h'].includes(argv[0]!)) {
    out(mainHelp());
    return 0;
  }
  const { cmd, group, rest } = findCommand(argv);
  if (!cmd) {
    if (rest.some((a) => a === '--help' || a === '-h')) {
      out(commandHelp(group!));
      return 0;
    }
    throw new UsageError(
      `${argv[0]} takes ${group!.map((c) => c.name.split(' ')[1]).join(' or ')}${rest[0] ? `, not "${rest[0]}"` : ''}`,
      group!.map((c) => c.usage).join('\n'),
    );
  }
  const args = parseCommand(cmd, rest);
  if (args.values.help) {
    out(commandHelp([cmd]));
    return 0;
  }
  const conn = cmd.net
    ? resolveConnection({ url: str(args, 'url'), key: str(args, 'key') }, process.env, cmd.usage)
    : { base: '', timeoutMs: 0 }; // serve, demo, evidence verify: they never call the app
  return cmd.handler({
    args,
    json: args.values.json === true,
    usage: cmd.usage,
    conn,
    api: (method, path, body) => call(conn, method, path, body),
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`pgdrill: ${(e as Error).message}\n`);
    if (e instanceof UsageError)
      process.stderr.write(`usage: ${(e.usage ?? MAIN_USAGE).replace(/\n/g, '\nusage: ')}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
