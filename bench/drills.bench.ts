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
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import { FakeClock } from '../src/host/clock';
import { OrchestrationDriver } from '../src/host/driver';
import { ACTIVITIES } from '../src/activities/names';
import { ORCHESTRATORS } from '../src/orchestrators/names';
import { orchestratorFunctions } from '../src/orchestrators';
import { parseDrillRequest } from '../src/lib/drill/request';
import type { DrillReport } from '../src/lib/drill/report';
import {
  DEFAULT_SETTINGS,
  FAST_SETTINGS,
  SINGLE_BI,
  FLEX_BI,
  standaloneHostEnv,
  startDrillRig,
  TARGET_SERVER,
} from '../test/support/drill';
import { sleep } from '../test/support/emulator';
import { startHostProcess } from '../test/support/host';
import { ok, scriptedHandlers } from '../test/support/scripted';

const rows: [string, string][] = [];
const row = (what: string, value: string) => rows.push([what, value]);
const root = join(__dirname, '..');

it('(a) orchestration overhead and (b) real ARM requests, against the emulator', async () => {
  const rig = await startDrillRig({
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
  });
  try {
    const n = 5;
    let wall = 0;
    let own = 0;
    let requests = 0;
    for (let i = 0; i < n; i++) {
      const before = rig.emu.ctx.requests.filter((r) => r.service === 'arm').length;
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
      requests += rig.emu.ctx.requests.filter((r) => r.service === 'arm').length - before;
      if (report.verdict !== 'passed') throw new Error(`drill ${report.drillId} ${report.verdict}`);
    }
    row(
      '(a) drill wall time (mean of 5, emulator: validate 2 s, restore op 1 s, job 3 s)',
      `${(wall / n).toFixed(2)} s`,
    );
    row('(a) emulator operation time per drill', `${(own / n).toFixed(2)} s`);
    row(
      '(a) orchestration overhead per drill (wall − emulator)',
      `${((wall - own) / n).toFixed(2)} s = ${(((wall - own) / wall) * 100).toFixed(1)} % of wall`,
    );
    row(
      '(b) ARM requests per drill against the emulator (real client, real pipeline)',
      `${(requests / n).toFixed(1)}`,
    );
  } finally {
    await rig.stop();
  }
}, 300_000);

/** A scripted "Azure" on the fake clock: operations that take `validateS`/`restoreS` with Retry-After `ra`, a job of `jobS`. */
function simulated(jobS: number, validateS = 45, restoreS = 30, ra = 10) {
  const clock = new FakeClock();
  const t0 = clock.now();
  let requests = 0;
  const opStart = new Map<string, number>();
  let jobStart = 0;
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
      [ACTIVITIES.triggerRestore]: () => (
        (requests += 2),
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
        const done = clock.now() - jobStart >= jobS * 1000;
        return ok({
          id: 'j',
          status: done ? 'Completed' : 'InProgress',
          terminal: done,
          succeeded: done,
          duration: `${Math.floor(jobS / 3600)}:${String(Math.floor((jobS % 3600) / 60)).padStart(2, '0')}:00`,
        });
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
  return {
    driver,
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
        { drillId: 'sim', request, trigger: { kind: 'test' }, settings: DEFAULT_SETTINGS },
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
  const minimum = 2 + 1 + 1 + 2 + fixedOps + 1; // resolve, list, validate POST, job lookup + POST, operation polls, one job poll
  const fixed10 = 2 + 1 + 1 + 2 + fixedOps + (3600 / 10 + 1);
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
  const sim10 = simulated(10 * 3600);
  const ten = await sim10.run();
  let events = 0;
  let longest = 0;
  for (const histories of sim10.driver.histories.values())
    for (const h of histories) {
      events += h.length;
      longest = Math.max(longest, h.length);
    }
  row(
    '(c) history events of one drill with a 10-hour job (all instances and generations)',
    `${events} (longest single history ${longest}; ${ten.requests} ARM requests)`,
  );
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
        const armBefore = rig.emu.ctx.requests.filter((r) => r.service === 'arm').length;
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
        const arms = rig.emu.ctx.requests.filter((r) => r.service === 'arm').length - armBefore;
        const passed = [...verdicts.values()].filter((v) => v === 'passed').length;
        row(`(d) ${n} drills at once (files, emulator job 2 s): wall time`, `${wall.toFixed(1)} s`);
        row(`(d) ${n} drills: peak host RSS`, `${rss.toFixed(0)} MiB`);
        row(
          `(d) ${n} drills: ARM requests per minute`,
          `${((arms / wall) * 60).toFixed(0)} (${arms} in all)`,
        );
        row(`(d) ${n} drills: all passed`, `${passed === n ? 'yes' : 'no'} (${passed}/${n})`);
      }
    } finally {
      await rig.stop();
    }
  },
  30 * 60_000,
);

it('prints the table and writes bench/RESULTS.md', () => {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  const table = ['| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  process.stdout.write(`\n${table}\n\nmachine: ${machine}\n`);
  writeFileSync(
    join(root, 'bench', 'RESULTS.md'),
    `# Benchmark results\n\nMeasured with \`npm run bench\` on ${machine}. Every figure comes from the same run.\n\n${table}\n`,
  );
});
