/**
 * Benchmarks of the drill machinery, each figure measured in this run:
 *  (a) orchestration overhead per drill: wall time minus the emulator's own operation time, and as a ratio;
 *  (b) ARM requests per drill, against the minimum the Retry-After values allow and a fixed 10-second poller
 *      on the same job (a realistic drill simulated on the replay engine's fake clock: validation 45 s, restore
 *      operation 30 s, Retry-After 10 s, a one-hour job), plus the real count against the emulator;
 *  (c) history events of one drill whose job runs a simulated 10 hours;
 *  (d) 50 and 200 drills at once through the standalone host (a child process): wall time, peak host RSS,
 *      ARM requests per minute, and whether all passed.
 * Prints one table and writes bench/RESULTS.md.
 */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, it } from 'vitest';
import { FakeClock } from '../src/host/clock';
import { OrchestrationDriver } from '../src/host/driver';
import { ACTIVITIES } from '../src/activities/names';
import { ORCHESTRATORS } from '../src/orchestrators/names';
import { orchestratorFunctions } from '../src/orchestrators';
import { parseDrillRequest } from '../src/lib/drill/request';
import type { DrillReport } from '../src/lib/drill/report';
import type { FleetReport } from '../src/lib/drill/fleetReport';
import {
  AZURITE_KEY,
  DEFAULT_SETTINGS,
  FAST_SETTINGS,
  SINGLE_BI,
  FLEX_BI,
  standaloneHostEnv,
  startDrillRig,
  TARGET_SERVER,
  type DrillRig,
} from '../test/support/drill';
import { sleep, TEST_SUBSCRIPTION } from '../test/support/emulator';
import { startHostProcess } from '../test/support/host';
import { ok, scriptedHandlers } from '../test/support/scripted';
import { jobWatchActivities } from '../src/activities/jobWatch';
import type { ActivityDeps, OrchestrationClient } from '../src/activities/deps';
import { driverClient } from '../src/host/driverClient';
import type { DrillSettings } from '../src/lib/drill/settings';

const rows: [string, string][] = [];
/** bench/results.json: a flat object of named numbers, from this run. */
const results: Record<string, number> = {};
const row = (what: string, value: string) => rows.push([what, value]);
const root = join(__dirname, '..');

/**
 * The rig of the rows that run drills in this process ((a) and (e)): one per run, because the managed identity
 * client caches its token process-wide, and a second emulator would refuse the first one's token.
 */
let inProcessRig: Promise<DrillRig> | undefined;
const sharedRig = () =>
  (inProcessRig ??= startDrillRig({
    backups: 2,
    archived: 0,
    config: {
      timings: {
        validate: { durationSeconds: 2, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 1, retryAfterSeconds: 1 },
        restoreJobSeconds: 3,
        rehydrationSeconds: 1,
      },
    },
  }));
afterAll(async () => {
  await (await inProcessRig)?.stop();
});

it('(a) orchestration overhead and (b) real ARM requests, against the emulator', async () => {
  const rig = await sharedRig();
  {
    const n = 5;
    let wall = 0;
    let own = 0;
    let lag = 0;
    let requests = 0;
    for (let i = 0; i < n; i++) {
      const before = rig.emu.ctx.requestCounts.byService.arm ?? 0;
      const t0 = Date.now();
      const { report } = await rig.run(
        {
          backupInstanceId: SINGLE_BI,
          target: {
            kind: 'database',
            serverId: TARGET_SERVER,
            secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
          },
        },
        undefined,
        { ...FAST_SETTINGS, jobPoll: { initialSeconds: 1, factor: 1.5, maxSeconds: 5 } },
      );
      wall += (Date.now() - t0) / 1000;
      // The emulator's own time: validation, then the job as Azure reports it (the job starts with the restore
      // trigger, so the restore operation runs inside it).
      own += 2 + (report.job?.azureDurationSeconds ?? 0);
      // ... and how long after the job's end the drill heard of it: a polling interval, not overhead.
      lag += report.detectionLagSeconds ?? 0;
      requests += (rig.emu.ctx.requestCounts.byService.arm ?? 0) - before;
      if (report.verdict !== 'passed') throw new Error(`drill ${report.drillId} ${report.verdict}`);
    }
    row(
      '(a) drill wall time (mean of 5, emulator: validate 2 s, restore op 1 s, job 3 s)',
      `${(wall / n).toFixed(2)} s`,
    );
    row('(a) emulator operation time per drill', `${(own / n).toFixed(2)} s`);
    row(
      '(a) orchestration overhead per drill (wall − emulator − detection lag; verify, cleanup and report included)',
      `${((wall - own - lag) / n).toFixed(2)} s = ${(((wall - own - lag) / wall) * 100).toFixed(1)} % of wall (detection lag ${(lag / n).toFixed(2)} s)`,
    );
    row(
      '(b) ARM requests per drill against the emulator (real client, real pipeline)',
      `${(requests / n).toFixed(1)}`,
    );
    results['drill.armRequests'] = Number((requests / n).toFixed(1));
    results['drill.overheadSeconds'] = Number(((wall - own - lag) / n).toFixed(2));
    results['drill.detectionLagSecondsEmulator'] = Number((lag / n).toFixed(2));
  }
}, 300_000);

/** A scripted "Azure" on the fake clock: operations that take `validateS`/`restoreS` with Retry-After `ra`, a job of `jobS`. */
function simulated(
  jobS: number,
  settings: DrillSettings = DEFAULT_SETTINGS,
  validateS = 45,
  restoreS = 30,
  ra = 10,
) {
  const clock = new FakeClock();
  const t0 = clock.now();
  let requests = 0;
  /** The vault watcher's list requests: shared by every drill in the vault, counted apart. */
  let watcherRequests = 0;
  /** When the drill heard its job ended (from its own poll or the watcher's event). */
  let noticedAt = 0;
  const opStart = new Map<string, number>();
  let jobStart = 0;
  const jobEnd = () => jobStart + jobS * 1000;
  const jobSummary = () => {
    const done = jobStart > 0 && clock.now() >= jobEnd();
    return {
      id: 'j',
      status: done ? 'Completed' : 'InProgress',
      terminal: done,
      succeeded: done,
      startTime: new Date(jobStart).toISOString(),
      ...(done ? { endTime: new Date(jobEnd()).toISOString() } : {}),
      duration: `${Math.floor(jobS / 3600)}:${String(Math.floor((jobS % 3600) / 60)).padStart(2, '0')}:00`,
    };
  };
  // The real watcher activities, with the in-process driver's client (set once the driver exists).
  const orchestrations: { client?: OrchestrationClient } = {};
  const watchActivities = jobWatchActivities({
    orchestrations,
    now: () => new Date(clock.now()),
  } as ActivityDeps);
  const { handlers } = scriptedHandlers(
    {
      [ACTIVITIES.resolveBackupInstance]: () => (
        (requests += 2),
        ok({
          backupInstanceId: SINGLE_BI,
          vaultId: SINGLE_BI.split('/backupInstances')[0]!,
          datasourceId:
            '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/s/databases/d',
          datasourceKind: 'singleServerDatabase',
        })
      ),
      [ACTIVITIES.selectRecoveryPoint]: () => (
        (requests += 1),
        ok({
          ok: true,
          point: { id: 'rp', time: new Date(t0 - 3600_000).toISOString(), stores: ['VaultStore'] },
          dataStore: 'VaultStore',
          candidates: 1,
        })
      ),
      [ACTIVITIES.startValidateRestore]: () => (
        (requests += 1),
        opStart.set('validateRestore', clock.now()),
        ok({
          operation: 'validateRestore',
          status: 'running',
          pollUrl: 'x',
          pollKind: 'azureAsyncOperation',
          retryAfterSeconds: ra,
          polls: 0,
        })
      ),
      // A first attempt posts at once (the vault's jobs are scanned only when a trigger is retried).
      [ACTIVITIES.triggerRestore]: () => (
        (requests += 1),
        opStart.set('restore', clock.now()),
        ok({
          state: {
            operation: 'restore',
            status: 'running',
            pollUrl: 'x',
            pollKind: 'azureAsyncOperation',
            retryAfterSeconds: ra,
            polls: 0,
          },
          reused: false,
        })
      ),
      [ACTIVITIES.pollOperation]: (input) => {
        requests += 1;
        const s = input.state;
        const dur = s.operation === 'validateRestore' ? validateS : restoreS;
        const done = clock.now() - opStart.get(s.operation)! >= dur * 1000;
        if (done && s.operation === 'restore') jobStart = clock.now();
        return ok({
          ...s,
          polls: s.polls + 1,
          ...(done ? { status: 'succeeded', ...(s.operation === 'restore' ? { jobId: 'j' } : {}) } : {}),
        });
      },
      [ACTIVITIES.getJob]: () => {
        requests += 1;
        const job = jobSummary();
        if (job.terminal) noticedAt = clock.now();
        return ok(job);
      },
      [ACTIVITIES.watchRestoreJob]: async (input) => ok(await watchActivities.watchRestoreJob(input)),
      [ACTIVITIES.endedRestoreJobs]: () => {
        watcherRequests += 1;
        const job = jobSummary();
        return ok({ ended: job.terminal ? [job] : [] });
      },
      [ACTIVITIES.notifyJobsEnded]: async (input) => {
        noticedAt = clock.now();
        return ok(await watchActivities.notifyJobsEnded(input));
      },
      [ACTIVITIES.verifyRestore]: () => ok([{ check: 'connect', status: 'passed', message: 'ok' }]),
      [ACTIVITIES.cleanupDrill]: (input) =>
        ok(
          input.resources.map(() => ({
            actions: [{ resource: 'db', action: 'drop database', status: 'done' as const }],
            retryable: false,
          })),
        ),
      [ACTIVITIES.saveReport]: () => ok({ table: 't', blobUrl: 'b', htmlUrl: 'h' }),
      [ACTIVITIES.findRestoreJob]: () => ok({ job: null }),
    },
    {},
    () => clock.now(),
  );
  const driver = new OrchestrationDriver({
    orchestrators: orchestratorFunctions,
    clock,
    keepHistories: true,
    activities: handlers,
  });
  orchestrations.client = driverClient(driver);
  return {
    driver,
    /** Seconds from the job's end (Azure's clock) to the drill hearing of it. */
    detectionLagSeconds: () => (noticedAt - jobEnd()) / 1000,
    watcherRequests: () => watcherRequests,
    async run() {
      const request = parseDrillRequest({
        backupInstanceId: SINGLE_BI,
        target: {
          kind: 'database',
          serverId: TARGET_SERVER,
          secretUri: 'https://kv.vault.azure.net/secrets/s',
        },
        deadline: 'P2D',
      });
      await driver.start(
        ORCHESTRATORS.restoreDrill,
        { drillId: 'sim', request, trigger: { kind: 'test' }, settings },
        'sim',
      );
      const s = await driver.waitForCompletion('sim', 120_000);
      return { report: s.output as DrillReport, requests };
    },
  };
}

it('(b) ARM requests for a one-hour job, and (c) history of a 10-hour job, on the replay engine', async () => {
  const hour = await simulated(3600).run();
  if (hour.report.verdict !== 'passed') throw new Error('simulated drill failed');
  const fixedOps = Math.ceil(45 / 10) + Math.ceil(30 / 10); // operations polled every 10 s either way
  const minimum = 2 + 1 + 1 + 1 + fixedOps + 1; // resolve, list, validate POST, restore POST, operation polls, one job poll
  const fixed10 = 2 + 1 + 1 + 1 + fixedOps + (3600 / 10 + 1);
  row(
    '(b) simulated drill (validate 45 s, restore op 30 s, Retry-After 10 s, job 1 h): ARM requests',
    `${hour.requests}`,
  );
  row(
    '(b) minimum the Retry-After values allow (one job poll at the exact end)',
    `${minimum} (ratio ${(hour.requests / minimum).toFixed(2)})`,
  );
  row(
    '(b) a fixed 10-second poller on the same job',
    `${fixed10} (ours is ${((hour.requests / fixed10) * 100).toFixed(1)} %)`,
  );
  const historyEvents = (sim: ReturnType<typeof simulated>) => {
    let events = 0;
    let longest = 0;
    for (const [id, histories] of sim.driver.histories)
      if (!id.startsWith('watch-'))
        for (const h of histories) {
          events += h.length;
          longest = Math.max(longest, h.length);
        }
    return { events, longest };
  };
  const sim10 = simulated(10 * 3600);
  const ten = await sim10.run();
  if (ten.report.verdict !== 'passed') throw new Error('simulated 10-hour drill failed');
  const h10 = historyEvents(sim10);
  const { jobWatch: _off, ...polling } = DEFAULT_SETTINGS;
  const simPoll = simulated(10 * 3600, polling);
  const tenPolled = await simPoll.run();
  const hPoll = historyEvents(simPoll);
  row(
    "(c) history events of one drill with a 10-hour job, the vault's watcher on (the drill's instances, all generations)",
    `${h10.events} (longest single history ${h10.longest}; ${ten.requests} ARM requests of its own, ${sim10.watcherRequests()} list requests by the watcher)`,
  );
  row(
    '(c) the same drill polling its own job (DRILL_JOB_WATCH_INTERVAL_SECONDS=0)',
    `${hPoll.events} (${tenPolled.requests} ARM requests); the watcher's is ${((h10.events / hPoll.events) * 100).toFixed(1)} % of it`,
  );
  // Detection lag: from the job's end (Azure's clock) to the drill hearing of it, over job lengths that fall
  // at every point of the watcher's interval.
  const lags: number[] = [];
  for (let i = 0; i < 12; i++) {
    const sim = simulated(3600 + i * 2.5);
    await sim.run();
    lags.push(sim.detectionLagSeconds());
  }
  const lagMax = Math.max(...lags);
  row(
    '(c) job completion noticed after the job ended (12 job lengths 1 h + 0–27.5 s, watcher interval 30 s)',
    `max ${lagMax.toFixed(1)} s, median ${lags.sort((a, b) => a - b)[6]!.toFixed(1)} s`,
  );
  results['drill.armRequestsSimulated1hJob'] = hour.requests;
  results['drill.historyEvents10hJob'] = h10.events;
  results['drill.historyEvents10hJobPolling'] = hPoll.events;
  results['drill.detectionLagSecondsMax'] = Number(lagMax.toFixed(1));
}, 120_000);

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

it(
  '(d) 50 and 200 drills at once through the standalone host',
  async () => {
    const rig = await startDrillRig({
      backups: 2,
      archived: 0,
      config: {
        timings: {
          validate: { durationSeconds: 1, retryAfterSeconds: 1 },
          restoreOperation: { durationSeconds: 1, retryAfterSeconds: 1 },
          restoreJobSeconds: 2,
          rehydrationSeconds: 1,
        },
      },
    });
    try {
      for (const n of [50, 200]) {
        const hub = `bench${n}${Date.now() % 100000}`;
        const host = await startHostProcess({
          ...standaloneHostEnv(rig.emu, hub),
          DRILL_JOB_POLL_INITIAL_SECONDS: '1',
          DRILL_JOB_POLL_MAX_SECONDS: '2',
          DRILL_RETRY_FIRST_DELAY_SECONDS: '1',
        });
        const url = host.url;
        const armBefore = rig.emu.ctx.requestCounts.byService.arm ?? 0;
        const t0 = Date.now();
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const res = await fetch(`${url}/api/drills`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              backupInstanceId: FLEX_BI,
              target: { kind: 'files', containerUrl: rig.containerUrl },
              idempotencyKey: `${hub}-${i}`,
            }),
          });
          ids.push(((await res.json()) as { id: string }).id);
        }
        const verdicts = new Map<string, string>();
        while (verdicts.size < n && Date.now() - t0 < 15 * 60_000) {
          for (const id of ids.filter((x) => !verdicts.has(x))) {
            const s = (await (await fetch(`${url}/api/drills/${id}`)).json()) as {
              runtimeStatus: string;
              report?: DrillReport;
            };
            if (s.runtimeStatus === 'Completed') verdicts.set(id, s.report!.verdict);
            else if (s.runtimeStatus === 'Failed') verdicts.set(id, 'orchestration failed');
          }
          await sleep(500);
        }
        const wall = (Date.now() - t0) / 1000;
        const rss = peakRss(host.child.pid!);
        await host.stop();
        const arms = (rig.emu.ctx.requestCounts.byService.arm ?? 0) - armBefore;
        const passed = [...verdicts.values()].filter((v) => v === 'passed').length;
        row(`(d) ${n} drills at once (files, emulator job 2 s): wall time`, `${wall.toFixed(1)} s`);
        row(`(d) ${n} drills: peak host RSS`, `${rss.toFixed(0)} MiB`);
        row(
          `(d) ${n} drills: ARM requests per minute`,
          `${((arms / wall) * 60).toFixed(0)} (${arms} in all)`,
        );
        row(`(d) ${n} drills: all passed`, `${passed === n ? 'yes' : 'no'} (${passed}/${n})`);
        results[`host.drills${n}.wallSeconds`] = Number(wall.toFixed(1));
        results[`host.drills${n}.rssMiB`] = Math.round(rss);
        results[`host.drills${n}.armRequestsPerSecond`] = Number((arms / wall).toFixed(1));
        results[`host.drills${n}.passed`] = passed;
      }
    } finally {
      await rig.stop();
    }
  },
  30 * 60_000,
);

it(
  '(e) load: our load step against plain pg_restore and pg_restore -j 2, same dump and server',
  async () => {
    const rig = await sharedRig();
    const work = mkdtempSync(join(tmpdir(), 'pgdrill-bench-load-'));
    try {
      const server = rig.emu.ctx.servers.get('drill-pg')!.admin;
      const env = {
        ...process.env,
        PGPASSWORD: server.password,
        PGHOST: server.host,
        PGPORT: String(server.port),
        PGUSER: server.user,
      };
      const psql = (db: string, sql: string) =>
        execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-qAtX', '-d', db, '-c', sql], {
          env,
          encoding: 'utf8',
        });
      // 1.5M rows in three tables with primary keys and one secondary index each: pg_restore -j has work to share.
      psql('postgres', 'DROP DATABASE IF EXISTS benchsrc');
      psql('postgres', 'CREATE DATABASE benchsrc');
      for (const t of ['orders', 'customers', 'events'])
        psql(
          'benchsrc',
          `CREATE TABLE ${t} (id bigint PRIMARY KEY, label text, amount numeric(12,2), at timestamptz);
         INSERT INTO ${t} SELECT g, md5(g::text), (g % 10000) / 100.0, timestamptz '2026-01-01' + g * interval '1 second'
           FROM generate_series(1, 500000) g;
         CREATE INDEX ${t}_at ON ${t} (at);`,
        );
      const dump = join(work, 'bench.dump');
      execFileSync('pg_dump', ['-Fc', '-d', 'benchsrc', '-f', dump], { env });
      const bytes = statSync(dump).size;
      const blobName = `bench-load-${Date.now()}/benchsrc.dump`;
      const container = new ContainerClient(
        rig.containerUrl,
        new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
      );
      await container.getBlockBlobClient(blobName).uploadFile(dump);
      const version = psql('postgres', 'SHOW server_version').trim();
      const plain = (jobs: number) => {
        psql('postgres', 'DROP DATABASE IF EXISTS benchplain');
        psql('postgres', 'CREATE DATABASE benchplain');
        const t0 = process.hrtime.bigint();
        execFileSync(
          'pg_restore',
          [
            '--exit-on-error',
            '--no-owner',
            '--no-privileges',
            ...(jobs > 1 ? ['-j', String(jobs)] : []),
            '-d',
            'benchplain',
            dump,
          ],
          { env },
        );
        return Number(process.hrtime.bigint() - t0) / 1e9;
      };
      const ours = async (jobs?: number) => {
        const t0 = process.hrtime.bigint();
        await rig.activities.loadDump({
          containerUrl: rig.containerUrl,
          file: { name: blobName, bytes, database: 'benchsrc', dumpServerVersion: version },
          load: { ...rig.drillServer, ...(jobs ? { jobs } : {}) },
          scratchDatabase: 'pgdrill_bench_load',
        });
        return Number(process.hrtime.bigint() - t0) / 1e9;
      };
      const times: Record<string, number[]> = {
        plain1: [],
        plain2: [],
        plain4: [],
        ours1: [],
        ours2: [],
        ours4: [],
        oursDefault: [],
      };
      // Interleaved rounds, so a busy spell of the machine hits every variant alike; the median of each.
      for (let round = 0; round < 3; round++) {
        times.plain1!.push(plain(1));
        times.plain2!.push(plain(2));
        times.plain4!.push(plain(4));
        times.ours1!.push(await ours(1));
        times.ours2!.push(await ours(2));
        times.ours4!.push(await ours(4));
        times.oursDefault!.push(await ours());
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<
        string,
        number
      >;
      const mib = (bytes / 2 ** 20).toFixed(1);
      row(
        `(e) load a ${mib} MiB dump of 1.5M rows: pg_restore from a local file, -j 1 / 2 / 4 (median of 3)`,
        `${m.plain1!.toFixed(2)} s / ${m.plain2!.toFixed(2)} s / ${m.plain4!.toFixed(2)} s`,
      );
      row(
        '(e) our load step (download from blob storage + fresh database + pg_restore): jobs 1 / 2 / 4',
        `${m.ours1!.toFixed(2)} s / ${m.ours2!.toFixed(2)} s / ${m.ours4!.toFixed(2)} s`,
      );
      row(
        '(e) our load step at the default, against pg_restore -j 2 (ratio: theirs / ours, ≥ 0.95 is the goal)',
        `${m.oursDefault!.toFixed(2)} s = ${(m.plain2! / m.oursDefault!).toFixed(2)}× pg_restore -j 2, ${(m.plain1! / m.oursDefault!).toFixed(2)}× plain pg_restore`,
      );
      results['load.dumpMiB'] = Number(mib);
      results['load.seconds'] = Number(m.oursDefault!.toFixed(2));
      results['load.ratioVsPgRestoreJ2'] = Number((m.plain2! / m.oursDefault!).toFixed(2));
      results['load.ratioVsPgRestore'] = Number((m.plain1! / m.oursDefault!).toFixed(2));
      results['load.ratioJobs1VsPgRestoreJ2'] = Number((m.plain2! / m.ours1!).toFixed(2));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
  20 * 60_000,
);

it(
  '(f) a fleet of 1,000 backup instances in 5 vaults, maxConcurrent 200, under ARM throttling',
  async () => {
    const vaults = 5;
    const perVault = 200;
    const rig = await startDrillRig({
      backups: 1,
      archived: 0,
      extraServers: [
        { name: 'fleet-src', kind: 'flexible', resourceGroup: 'rg-bench', managed: { password: 'src-pw' } },
      ],
      config: {
        timings: {
          validate: { durationSeconds: 1, retryAfterSeconds: 1 },
          restoreOperation: { durationSeconds: 1, retryAfterSeconds: 1 },
          restoreJobSeconds: 2,
          rehydrationSeconds: 1,
        },
        // ARM's own limits per subscription: reads 250 refilled at 25/s, writes 200 at 10/s.
        throttling: { enabled: true },
        vaults: Array.from({ length: vaults }, (_, v) => ({
          name: `vault-bench-${v}`,
          resourceGroup: 'rg-bench',
          backupInstances: [
            {
              name: `db-${v}`,
              server: 'fleet-src',
              databases: ['app'],
              seed: {
                sql: 'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);',
                backups: 1,
                archived: 0,
              },
              copies: perVault - 1,
            },
          ],
        })),
      },
    });
    try {
      const hub = `benchfleet${Date.now() % 100000}`;
      const plan = {
        name: 'bench-fleet',
        schedule: '0 0 3 1 1 *',
        startWindowMinutes: 1,
        scope: { resourceGroups: [`/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-bench`] },
        templates: [
          { kind: 'flexibleServer', request: { target: { kind: 'files', containerUrl: rig.containerUrl } } },
        ],
        coverage: { everyDays: 7 },
        maxConcurrent: { total: 200, perVault: 40 },
      };
      const readsPerSecond = 8;
      const writesPerSecond = 4;
      const host = await startHostProcess({
        ...standaloneHostEnv(rig.emu, hub),
        DRILL_PLANS: JSON.stringify([plan]),
        DRILL_ARM_READS_PER_SECOND: String(readsPerSecond),
        DRILL_ARM_WRITES_PER_SECOND: String(writesPerSecond),
      });
      // ARM requests per second, sampled from the emulator's exact counts.
      const samples: number[] = [];
      const count = () => rig.emu.ctx.requestCounts.byService.arm ?? 0;
      const throttledBefore = rig.emu.ctx.requestCounts.byStatus['429'] ?? 0;
      const armBefore = count();
      let last = count();
      const sampler = setInterval(() => {
        const c = count();
        samples.push(c - last);
        last = c;
      }, 1000);
      const t0 = Date.now();
      let report: FleetReport | undefined;
      try {
        const res = await fetch(`${host.url}/api/fleets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ plan: 'bench-fleet' }),
        });
        if (res.status !== 202) throw new Error(`POST /api/fleets: ${res.status} ${await res.text()}`);
        const { id } = (await res.json()) as { id: string };
        while (Date.now() - t0 < 60 * 60_000) {
          await sleep(5000);
          const s = (await (await fetch(`${host.url}/api/fleets/${id}`)).json()) as {
            runtimeStatus: string;
            report?: FleetReport;
            error?: string;
          };
          if (s.runtimeStatus === 'Completed') {
            report = s.report;
            break;
          }
          if (s.runtimeStatus === 'Failed') throw new Error(`fleet failed: ${s.error}`);
        }
      } finally {
        clearInterval(sampler);
      }
      const wall = (Date.now() - t0) / 1000;
      const rss = peakRss(host.child.pid!);
      await host.stop();
      if (!report) throw new Error('the fleet did not finish within an hour');
      let max10 = 0;
      for (let i = 0; i + 10 <= samples.length; i++)
        max10 = Math.max(max10, samples.slice(i, i + 10).reduce((a, b) => a + b, 0) / 10);
      const arms = count() - armBefore;
      const throttled = (rig.emu.ctx.requestCounts.byStatus['429'] ?? 0) - throttledBefore;
      const c = report.counts;
      process.stdout.write(
        `fleet report counts: ${JSON.stringify(c)}; failures: ${JSON.stringify(report.drills.filter((d) => d.verdict !== 'passed').slice(0, 5))}\n`,
      );
      row(
        `(f) fleet: ${vaults * perVault} instances in ${vaults} vaults, maxConcurrent 200 (40 per vault), ARM throttling at Azure's limits, budget ${readsPerSecond} reads + ${writesPerSecond} writes/s: passed`,
        `${c.passed} of ${c.inScope} in scope (${c.failed} failed, ${c.skipped} skipped, ${c.overdue} overdue after)`,
      );
      row(
        '(f) fleet: wall time',
        `${wall.toFixed(0)} s (${(wall / Math.max(1, c.drilled)).toFixed(2)} s per drill)`,
      );
      row(
        '(f) fleet: ARM requests, highest rate in any 10 s window / mean',
        `${max10.toFixed(1)}/s / ${(arms / wall).toFixed(1)}/s (${arms} in all, ${(arms / Math.max(1, c.drilled)).toFixed(1)} per drill); ${throttled} throttled (429)`,
      );
      row('(f) fleet: peak host RSS', `${rss.toFixed(0)} MiB`);
      results['fleet.instances'] = c.inScope;
      results['fleet.passed'] = c.passed;
      results['fleet.failed'] = c.failed;
      results['fleet.wallSeconds'] = Math.round(wall);
      results['fleet.armRequests'] = arms;
      results['fleet.armRequestsPerSecondMax10s'] = Number(max10.toFixed(1));
      results['fleet.throttled'] = throttled;
      results['fleet.hostRssMiB'] = Math.round(rss);
    } finally {
      await rig.stop();
    }
  },
  90 * 60_000,
);

it('prints the table and writes bench/RESULTS.md', () => {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  const table = ['| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  process.stdout.write(`\n${table}\n\nmachine: ${machine}\n`);
  writeFileSync(
    join(root, 'bench', 'RESULTS.md'),
    `# Benchmark results\n\nMeasured with \`npm run bench\` on ${machine}. Every figure comes from the same run.\n\n${table}\n`,
  );
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
});
