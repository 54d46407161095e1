/**
 * pgdrill as a user meets it when something is wrong, and `watch`, `list` and `history` against a real drill:
 * the built CLI (dist/) as a child process; usage errors (exit 2: one line, then the command's usage line);
 * failures (exit 1: exactly one line) against real servers: a plain HTTP server that checks a key or never
 * answers, a closed port, the standalone host with the emulator, PostgreSQL and Azurite.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import reportSchema from '../../schemas/drill-report.schema.json';
import type { EmulatorHandle } from '../../emulator/index';
import { singleDatabaseRequest, standaloneHostEnv } from '../support/drill';
import { startTestEmulator } from '../support/emulator';
import { call, KEY, startHostProcess, waitFor, type Host } from '../support/host';

const root = join(__dirname, '..', '..');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, run to its end, with `env` over a clean environment (no PGDRILL_* of the caller's). */
function cli(
  args: string[],
  env: Record<string, string> = {},
  onStdout?: (s: string) => void,
): Promise<Result> {
  const base = { ...process.env };
  for (const k of ['PGDRILL_URL', 'PGDRILL_KEY', 'DRILL_FUNCTION_KEY', 'PGDRILL_REQUEST_TIMEOUT_SECONDS'])
    delete base[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), ...args], {
      env: { ...base, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (s: string) => s.split('\n').filter(Boolean);

/** A usage error: exit 2, the message, then the command's usage line; nothing on stdout. */
function expectUsage(r: Result, message: string, usage: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const err = lines(r.stderr);
  expect(err).toHaveLength(2);
  expect(err[0]).toBe(`pgdrill: ${message}`);
  expect(err[1]).toMatch(usage);
  expect(r.stdout).toBe('');
}

/** A failure: exit 1 and exactly this one line on stderr. */
function expectFailure(r: Result, message: string): void {
  expect(r.code, r.stderr).toBe(1);
  expect(lines(r.stderr)).toEqual([`pgdrill: ${message}`]);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('pgdrill usage errors (exit 2, the message and the usage line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdrill-usage-'));
  const file = join(dir, 'request.json');
  writeFileSync(file, '{}');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string[], string, RegExp][] = [
    [
      'a misspelt flag',
      ['run', file, '--tiemout', '5'],
      'unknown option --tiemout (did you mean --timeout?)',
      /^usage: pgdrill run <request.json>/,
    ],
    [
      'an unknown flag',
      ['list', '--frobnicate'],
      'unknown option --frobnicate: pgdrill list --help lists the options',
      /^usage: pgdrill list/,
    ],
    [
      'a timeout that is not a number',
      ['run', file, '--timeout', 'abc'],
      '--timeout abc: give a positive number of seconds, e.g. --timeout 86400',
      /^usage: pgdrill run/,
    ],
    [
      'a negative timeout',
      ['run', file, '--timeout', '-5'],
      '--timeout -5: give a positive number of seconds',
      /^usage: pgdrill run/,
    ],
    [
      'a negative timeout, inline',
      ['run', file, '--timeout=-5'],
      '--timeout -5: give a positive number of seconds, e.g. --timeout 86400',
      /^usage: pgdrill run/,
    ],
    [
      'a zero interval',
      ['watch', 'd1', '--interval', '0'],
      '--interval 0: give a positive number of seconds, e.g. --interval 2',
      /^usage: pgdrill watch <id>/,
    ],
    [
      'an interval that would hammer the host',
      ['watch', 'd1', '--interval', '0.001'],
      '--interval 0.001: poll at most ten times a second (--interval 0.1 or more)',
      /^usage: pgdrill watch <id>/,
    ],
    [
      '--top 0',
      ['history', '--top', '0'],
      '--top 0: give a whole number, at least 1, e.g. --top 50',
      /^usage: pgdrill history/,
    ],
    [
      'a bad date',
      ['history', '--since', 'yesterday'],
      '--since yesterday: give an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z',
      /^usage: pgdrill history/,
    ],
    [
      'a bad --until',
      ['evidence', 'export', '--out', dir, '--until', '2026-13-45'],
      '--until 2026-13-45: give an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z',
      /^usage: pgdrill evidence export/,
    ],
    [
      'a bad verdict',
      ['history', '--verdict', 'ok'],
      '--verdict ok: one of passed, failed, cancelled',
      /^usage: pgdrill history/,
    ],
    [
      'a flag without its value',
      ['list', '--url'],
      '--url needs a value: --url <value>',
      /^usage: pgdrill list/,
    ],
    [
      'a value for a switch',
      ['list', '--json=yes'],
      '--json takes no value: write just --json',
      /^usage: pgdrill list/,
    ],
    [
      'an extra positional',
      ['status', 'd1', 'd2'],
      'unexpected argument "d2": this command takes <id>',
      /^usage: pgdrill status <id>/,
    ],
    ['a missing positional', ['watch'], 'missing the <id> argument', /^usage: pgdrill watch <id>/],
    [
      'an empty --url',
      ['list', '--url', ''],
      "--url is empty: give the host's URL, e.g. --url http://127.0.0.1:7071 (or set PGDRILL_URL)",
      /^usage: pgdrill list/,
    ],
    [
      'a --url that is not http(s)',
      ['status', 'd1', '--url', 'ftp://host'],
      '--url "ftp://host" is not an http(s) URL: give one like http://127.0.0.1:7071 (--url or PGDRILL_URL)',
      /^usage: pgdrill status/,
    ],
    [
      'a --url that is no URL',
      ['list', '--url', '127.0.0.1:7071'],
      '--url "127.0.0.1:7071" is not an http(s) URL: give one like http://127.0.0.1:7071 (--url or PGDRILL_URL)',
      /^usage: pgdrill list/,
    ],
    [
      'an empty --key',
      ['list', '--key', ''],
      '--key is empty: give the function key, or leave --key out',
      /^usage: pgdrill list/,
    ],
    [
      'a misspelt command',
      ['lsit'],
      'unknown command "lsit" (did you mean list?)',
      /^usage: pgdrill <command>/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message, usage) => {
    expectUsage(await cli(args), message, usage);
  });

  it('an empty PGDRILL_URL names the variable', async () => {
    expectUsage(
      await cli(['list'], { PGDRILL_URL: '' }),
      "PGDRILL_URL is empty: give the host's URL, e.g. --url http://127.0.0.1:7071 (or set PGDRILL_URL)",
      /^usage: pgdrill list/,
    );
  });

  it('a group without its subcommand lists the usage of each', async () => {
    const r = await cli(['fleet', 'go']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'pgdrill: fleet takes run or status, not "go"',
      expect.stringMatching(/^usage: pgdrill fleet run <plan>/),
      expect.stringMatching(/^usage: pgdrill fleet status <id>/),
    ]);
  });

  it('--help still prints the help, exit 0, whatever else is wrong', async () => {
    const r = await cli(['run', '--help', '--tiemout']);
    // parseArgs refuses the unknown flag first: a usage error; --help alone prints the help.
    expect(r.code).toBe(2);
    const help = await cli(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^pgdrill watch <id> \[--interval <seconds>\]/);
  });
});

describe('pgdrill failures (exit 1, one line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdrill-fail-'));
  let keyed: Server;
  let keyedUrl: string;
  let silent: Server;
  let silentUrl: string;
  let closedUrl: string;

  beforeAll(async () => {
    // A server that answers like a function app: 401 without the key (its own message), 403 with a wrong one.
    keyed = createServer((req, res) => {
      const key = req.headers['x-functions-key'];
      res.setHeader('content-type', 'application/json');
      if (key === undefined) {
        res.statusCode = 401;
        res.end(
          JSON.stringify({ error: { code: 'Unauthorized', message: 'this function needs a function key' } }),
        );
      } else if (key !== 'right-key') {
        res.statusCode = 403;
        res.end('{}');
      } else res.end(JSON.stringify({ running: [], finished: [] }));
    });
    keyedUrl = await listen(keyed);
    // One that accepts the connection and never answers.
    silent = createServer(() => undefined);
    silentUrl = await listen(silent);
    // A port that was just free: nothing listens there.
    const probe = createServer();
    closedUrl = await listen(probe);
    await new Promise((r) => probe.close(r));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await Promise.all([keyed, silent].map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong key: refused, naming the URL and where the key comes from', async () => {
    expectFailure(
      await cli(['list', '--url', keyedUrl, '--key', 'wrong']),
      `the function key was refused by ${keyedUrl}: check --key / PGDRILL_KEY`,
    );
    expectFailure(
      await cli(['list', '--url', keyedUrl], { PGDRILL_KEY: 'wrong' }),
      `the function key was refused by ${keyedUrl}: check --key / PGDRILL_KEY`,
    );
    const ok = await cli(['list', '--url', keyedUrl, '--key', 'right-key']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('no drills\n');
  });

  it("no key where one is needed: the app's message and how to pass one", async () => {
    expectFailure(
      await cli(['list', '--url', keyedUrl]),
      `HTTP 401 Unauthorized: this function needs a function key (${keyedUrl}: pass --key or set PGDRILL_KEY)`,
    );
  });

  it('an unreachable host: the cause, and what to do', async () => {
    expectFailure(
      await cli(['status', 'd1', '--url', closedUrl]),
      `cannot reach ${closedUrl}: connection refused (is the host running? \`npm run serve\`)`,
    );
    expectFailure(
      await cli(['list', '--url', 'http://pgdrill-no-such-host.invalid']),
      'cannot reach http://pgdrill-no-such-host.invalid: no such host name (check --url / PGDRILL_URL)',
    );
  });

  it('a host that never answers: the call times out', async () => {
    const t0 = Date.now();
    expectFailure(
      await cli(['list', '--url', silentUrl], { PGDRILL_REQUEST_TIMEOUT_SECONDS: '1' }),
      `cannot reach ${silentUrl}: no answer in 1 s (PGDRILL_REQUEST_TIMEOUT_SECONDS changes the limit)`,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a request file that cannot be read or is not JSON: one line naming it, not the help', async () => {
    const missing = join(dir, 'request.json');
    expectFailure(await cli(['run', missing, '--url', closedUrl]), `cannot read ${missing}: no such file`);
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expectFailure(
      await cli(['run', folder, '--url', closedUrl]),
      `cannot read ${folder}: it is a folder, not a file`,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "backupInstanceId": "x"\n  "target": {}\n}\n');
    expectFailure(
      await cli(['run', broken, '--url', closedUrl]),
      `${broken} is not JSON: Expected ',' or '}' after property value at line 3, column 3`,
    );
    const trailing = join(dir, 'trailing.json');
    writeFileSync(trailing, '{"a": [1, 2,]}');
    expectFailure(
      await cli(['run', trailing, '--url', closedUrl]),
      `${trailing} is not JSON: Unexpected token ']' at line 1, column 13`,
    );
  });
});

describe('pgdrill watch, list and history against the standalone host', () => {
  let emu: EmulatorHandle;
  let host: Host;

  beforeAll(async () => {
    emu = await startTestEmulator({
      backups: 1,
      archived: 0,
      // A restore job long enough to be watched (and cancelled) in the middle of it.
      config: {
        timings: {
          validate: { durationSeconds: 0.2, retryAfterSeconds: 1 },
          restoreOperation: { durationSeconds: 0.3, retryAfterSeconds: 1 },
          restoreJobSeconds: 4,
          rehydrationSeconds: 1,
        },
      },
    });
    host = await startHostProcess({
      ...standaloneHostEnv(emu, `cli${Date.now().toString(36)}`),
      DRILL_FUNCTION_KEY: KEY,
      DRILL_JOB_POLL_INITIAL_SECONDS: '0.5',
      DRILL_JOB_POLL_MAX_SECONDS: '1',
      DRILL_RETRY_FIRST_DELAY_SECONDS: '0.5',
    });
  }, 180_000);
  afterAll(async () => {
    await host?.stop();
    await emu?.stop();
  });

  it('watch follows a drill phase by phase to its verdict (exit 0); a cancelled one exits 1; an unknown id exits 1', async () => {
    const started = await call(
      host,
      'POST',
      '/api/drills',
      singleDatabaseRequest({ idempotencyKey: 'cli-watch', label: 'watched by the CLI test' }),
    );
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = started.body.id as string;
    const watched = await cli(['watch', id, '--json', '--interval', '0.3', '--url', host.url, '--key', KEY]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toBe('');
    const changes = lines(watched.stdout).map((l) => JSON.parse(l));
    // One line per change, never the same state twice in a row.
    for (let i = 1; i < changes.length; i++)
      expect(changes[i]).not.toEqual({ ...changes[i - 1], elapsedSeconds: changes[i].elapsedSeconds });
    const phases = changes.map((c) => c.phase);
    // The restore job is configured to last seconds, so it is always seen; shorter phases (verify takes
    // well under a second here) can fall between two polls on a busy machine, so the test asks only that
    // what was seen came in the drill's order.
    expect(phases).toContain('restore');
    // The report schema lists the phases in the order a drill runs them; 'done' follows the last.
    const order = [...reportSchema.properties.phases.items.properties.name.enum, 'done'];
    for (const p of phases) expect(order, `unknown phase ${p}`).toContain(p);
    const ranks = phases.map((p) => order.indexOf(p));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const c of changes) {
      expect(c.drillId).toBe(id);
      expect(typeof c.elapsedSeconds).toBe('number');
      for (const k of Object.keys(c))
        expect(['drillId', 'runtimeStatus', 'phase', 'detail', 'job', 'elapsedSeconds', 'verdict']).toContain(
          k,
        );
    }
    // The backup job's own status while the restore ran.
    expect(changes.some((c) => c.phase === 'restore' && c.job?.status)).toBe(true);
    expect(changes.at(-1)).toMatchObject({ runtimeStatus: 'Completed', verdict: 'passed' });

    // A finished drill: one line of its state and the verdict line.
    const again = await cli(['watch', id, '--url', host.url, '--key', KEY]);
    expect(again.code, again.stderr).toBe(0);
    const text = lines(again.stdout);
    expect(text).toHaveLength(2);
    expect(text[0]).toMatch(new RegExp(`^${id}\\s+\\d+ s\\s+done`));
    expect(text[1]).toMatch(new RegExp(`^${id}: PASSED after [\\d.]+ (s|min) \\(pgdrill report ${id}\\)$`));

    // A drill cancelled while it is watched: the verdict is cancelled, exit 1.
    const second = await call(
      host,
      'POST',
      '/api/drills',
      singleDatabaseRequest({ idempotencyKey: 'cli-watch-cancel' }),
    );
    expect(second.status).toBe(202);
    const cancelId = second.body.id as string;
    let cancelled = false;
    const watching = cli(
      ['watch', cancelId, '--interval', '0.3', '--url', host.url, '--key', KEY],
      {},
      (so) => {
        if (!cancelled && /\srestore\b/.test(so)) {
          cancelled = true;
          void call(host, 'POST', `/api/drills/${cancelId}/cancel`);
        }
      },
    );
    const c = await watching;
    expect(cancelled).toBe(true);
    expect(c.code, c.stderr).toBe(1);
    expect(lines(c.stdout).at(-1)).toMatch(new RegExp(`^${cancelId}: CANCELLED after`));

    expectFailure(
      await cli(['watch', 'drill-nope', '--url', host.url, '--key', KEY]),
      `no drill drill-nope at ${host.url} (pgdrill list shows the drills)`,
    );
    expectFailure(
      await cli(['watch', id, '--url', host.url, '--key', 'not-the-key']),
      `the function key was refused by ${host.url}: check --key / PGDRILL_KEY`,
    );
  }, 180_000);

  it("list and history: a header row and aligned columns; JSON objects with the drill's fields only", async () => {
    // The drills of the test above, finished (or one of its own when run alone).
    await call(
      host,
      'POST',
      '/api/drills',
      singleDatabaseRequest({ idempotencyKey: 'cli-watch', label: 'watched by the CLI test' }),
    );
    const id = 'drill-cli-watch';
    await waitFor(
      () => host,
      id,
      (s) => s.runtimeStatus === 'Completed',
    );
    await waitFor(
      () => host,
      'drill-cli-watch-cancel',
      (s) => s.runtimeStatus === 'Completed',
    ).catch(() => undefined);

    const list = await cli(['list', '--url', host.url, '--key', KEY]);
    expect(list.code, list.stderr).toBe(0);
    const table = lines(list.stdout);
    expect(table[0]).toMatch(
      /^DRILL\s+STATUS\s+STARTED\s+DURATION\s+RTO\s+RPO\s+PHASE \/ FAILURE\s+BACKUP INSTANCE$/,
    );
    const row = table.find((l) => l.startsWith(`${id} `))!;
    expect(row).toMatch(/\spassed\s/);
    // Aligned: every column starts where its header does.
    for (const header of ['STATUS', 'STARTED', 'DURATION', 'BACKUP INSTANCE'])
      for (const l of table.slice(1)) expect(l[table[0]!.indexOf(header) - 1]).toBe(' ');
    expect(row.indexOf('/subscriptions/')).toBe(table[0]!.indexOf('BACKUP INSTANCE'));

    const allowed = [
      'drillId',
      'status',
      'phase',
      'label',
      'backupInstanceId',
      'plan',
      'targetKind',
      'restoreFrom',
      'startedAt',
      'endedAt',
      'durationSeconds',
      'rtoSeconds',
      'rpoSeconds',
      'failureCode',
    ];
    const listJson = await cli(['list', '--json', '--url', host.url, '--key', KEY]);
    expect(listJson.code, listJson.stderr).toBe(0);
    expect(listJson.stdout).not.toMatch(
      /etag|partitionKey|rowKey|timestamp|odata|backupInstanceKey|sha256|reportUrl/i,
    );
    const objects = lines(listJson.stdout).map((l) => JSON.parse(l));
    for (const o of objects) for (const k of Object.keys(o)) expect(allowed).toContain(k);
    const mine = objects.find((o) => o.drillId === id);
    expect(mine).toMatchObject({
      status: 'passed',
      label: 'watched by the CLI test',
      targetKind: 'database',
      rtoSeconds: expect.any(Number),
      rpoSeconds: expect.any(Number),
      durationSeconds: expect.any(Number),
    });
    expect(mine.backupInstanceId).toMatch(/backupInstances\/bi-single$/);

    const hist = await cli(['history', '--url', host.url, '--key', KEY]);
    expect(hist.code, hist.stderr).toBe(0);
    const htable = lines(hist.stdout);
    expect(htable[0]).toMatch(/^DRILL\s+VERDICT\s+STARTED\s+RTO\s+RPO\s+FAILURE\s+BACKUP INSTANCE$/);
    expect(htable.find((l) => l.startsWith(`${id} `))).toMatch(
      /^drill-cli-watch\s+passed\s+\d{4}-\d\d-\d\dT[\d:]+Z\s/,
    );
    const hjson = await cli(['history', '--json', '--verdict', 'passed', '--url', host.url, '--key', KEY]);
    expect(hjson.code, hjson.stderr).toBe(0);
    const hobjects = lines(hjson.stdout).map((l) => JSON.parse(l));
    expect(hobjects.map((o) => o.drillId)).toContain(id);
    for (const o of hobjects) {
      expect(o.status).toBe('passed');
      for (const k of Object.keys(o)) expect(allowed).toContain(k);
    }
    // The other commands' JSON carries no storage fields either.
    for (const args of [
      ['status', id, '--json'],
      ['report', id, '--json'],
      ['dashboard', '--json', '--out', join(tmpdir(), `pgdrill-dash-${id}.html`)],
    ]) {
      const r = await cli([...args, '--url', host.url, '--key', KEY]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/"(etag|partitionKey|rowKey|timestamp|backupInstanceKey|odata\.\w+)"/);
    }
  }, 180_000);
});

describe('pgdrill doctor waits for the doctor, not the per-call limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdrill-doctor-wait-'));
  let slow: Server;
  let slowUrl: string;
  beforeAll(async () => {
    // A host whose doctor takes longer than the per-call limit (a check waiting on a hanging dependency).
    slow = createServer((req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            ok: false,
            checkedAt: '2026-12-02T19:00:00.000Z',
            backupInstanceId:
              '/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b',
            restoreFrom: 'primaryRegion',
            checks: [
              {
                id: 'secret-readable',
                title: 'The Key Vault secret is readable and parses',
                status: 'failed',
                evidence: "no answer within 20 s (the check's time limit)",
                fix: 'Check the network path.',
                code: 'CheckTimedOut',
                durationMs: 20_000,
              },
            ],
          }),
        );
      }, 2_500);
    });
    slowUrl = await listen(slow);
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the doctor's answer that comes after PGDRILL_REQUEST_TIMEOUT_SECONDS", async () => {
    const file = join(dir, 'doctor-slow.json');
    writeFileSync(file, '{}');
    const r = await cli(['doctor', file, '--url', slowUrl], { PGDRILL_REQUEST_TIMEOUT_SECONDS: '1' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      "FAIL  The Key Vault secret is readable and parses: no answer within 20 s (the check's time limit)",
    );
  });
});

describe('pgdrill watch on an orchestration that is not a drill', () => {
  let other: Server;
  let otherUrl: string;
  beforeAll(async () => {
    // GET /api/drills/{id} answers for any orchestration: a doctor run ends with its own report, no verdict.
    other = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const completed = { runtimeStatus: 'Completed', phase: 'done', createdTime: '2026-12-02T19:00:00Z' };
      res.end(
        JSON.stringify(
          req.url?.includes('doctor-')
            ? {
                ...completed,
                id: 'doctor-nightly@20261202T190000Z',
                report: { runId: 'doctor-nightly@20261202T190000Z', status: 'passed' },
              }
            : { ...completed, id: 'empty', report: null },
        ),
      );
    });
    otherUrl = await listen(other);
  });
  afterAll(async () => {
    other.closeAllConnections();
    await new Promise((r) => other.close(r));
  });

  it('says it is not a drill, in one line, rather than crashing or polling forever', async () => {
    for (const id of ['doctor-nightly@20261202T190000Z', 'empty']) {
      const r = await Promise.race([
        cli(['watch', id, '--url', otherUrl, '--interval', '0.2']),
        new Promise<Result>((resolve) =>
          setTimeout(() => resolve({ code: null, stdout: '', stderr: 'still polling after 5 s' }), 5_000),
        ),
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(lines(r.stderr)).toEqual([
        `pgdrill: ${id} completed without a drill report: it is not a drill (a fleet run: pgdrill fleet status ${id}; a doctor run: GET /api/plans/{plan}/doctor)`,
      ]);
    }
  });
});
