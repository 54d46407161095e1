/**
 * The crash matrix (docs/security.md), under CPU load (a busy process per core): the standalone host, a real
 * process, is killed with SIGKILL at each point of a drill of each kind — resolve, select, validate polling,
 * the restore POST in flight, after its 202, job monitoring, load (files), verify, the cleanup activity in
 * flight, the report upload in flight, and twice (a second kill while it resumes) — then started again. Every
 * drill ends passed with exactly one restore job, and leaves no database, login, blob, pg_restore process or
 * temporary folder behind. Prints the matrix as a table. Cross-region drills (restored from the paired region's
 * copy) are killed where a restore could start twice: reading the secondary points, the cross-region restore POST
 * in flight, after its 202, and job monitoring (once and twice).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { startAzurite } from '../../emulator/storage';
import { drillFilePrefix, drillToken } from '../../src/lib/drill/names';
import type { DrillReport } from '../../src/lib/drill/report';
import {
  AZURITE_KEY,
  DR_SECRET,
  DR_SERVER,
  FLEX_BI,
  PAIRED_REGION_TARGET,
  SINGLE_BI,
  standaloneHostEnv,
  TARGET_SERVER,
} from '../support/drill';
import { arm, armToken, sleep, startTestEmulator } from '../support/emulator';
import { drillLeftovers } from '../support/leftovers';
import { waitUntil } from '../support/wait';
import { startHoldProxy, type HoldProxy } from '../support/holdProxy';
import { call, KEY, startHostProcess, waitFor, type Host } from '../support/host';

const KV = 'https://kv-test.vault.azure.net/secrets';
const hub = `crash${randomBytes(3).toString('hex')}`;
let emu: EmulatorHandle;
let proxy: HoldProxy;
const busy: ChildProcess[] = [];
const matrix: string[] = [];
let caseNo = 0;

beforeAll(async () => {
  emu = await startTestEmulator({
    backups: 1,
    archived: 0,
    extraServers: [
      { name: 'drill-pg', kind: 'flexible', resourceGroup: 'rg-test', managed: { password: 'drill-pw' } },
      // The cross-region drills' target, in the vault's paired region.
      ...PAIRED_REGION_TARGET.extraServers,
    ],
    extraSecrets: {
      'drill-admin': { connectionStringFor: 'drill-pg' },
      ...PAIRED_REGION_TARGET.extraSecrets,
    },
    config: {
      timings: {
        validate: { durationSeconds: 3, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 2, retryAfterSeconds: 1 },
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
                sql: 'CREATE TABLE orders (id serial PRIMARY KEY, amount int); INSERT INTO orders (amount) SELECT g FROM generate_series(1, 1000) g;',
                backups: 1,
                intervalHours: 24,
                archived: 0,
              },
            },
            {
              name: 'bi-flex',
              server: 'src-flex',
              databases: ['inventory'],
              seed: {
                sql: 'CREATE TABLE items (id serial PRIMARY KEY, payload text); INSERT INTO items (payload) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 300000) g;',
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
  // Reports go through a proxy that can hold an upload (the report point).
  proxy = await startHoldProxy(process.env.TEST_AZURITE_BLOB!);
  // A busy process per core for the whole matrix.
  for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}, 240_000);

afterAll(async () => {
  for (const b of busy) b.kill('SIGKILL');
  console.log(
    `crash matrix (under load, SIGKILL then restart):\n| kind | killed during | verdict | restore jobs | left behind |\n|---|---|---|---|---|\n${matrix.join('\n')}`,
  );
  await proxy?.close();
  await emu?.stop();
});

function hostEnv(caseHub: string): Record<string, string> {
  const env = standaloneHostEnv(emu, caseHub);
  const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=${proxy.origin}/devstoreaccount1;QueueEndpoint=${process.env.TEST_AZURITE_QUEUE};TableEndpoint=${process.env.TEST_AZURITE_TABLE};`;
  return {
    ...env,
    AzureWebJobsStorage: cs,
    DRILL_FUNCTION_KEY: KEY,
    DRILL_JOB_POLL_INITIAL_SECONDS: '0.5',
    DRILL_JOB_POLL_MAX_SECONDS: '1',
    DRILL_RETRY_FIRST_DELAY_SECONDS: '0.5',
  };
}

async function emulator(method: string, path: string, body?: unknown): Promise<any> {
  return (await arm(emu, await armToken(emu), method, path, body)).body;
}

/** Resolves once the fault rule `id` has fired (the request it holds has arrived). */
async function fired(id: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const rule = ((await emulator('GET', '/_emulator/faults')).faults as any[]).find((f) => f.id === id);
    if (rule?.fired > 0) return;
    await sleep(50);
  }
  throw new Error(`fault ${id} never fired`);
}

async function logged(operation: string, status: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const requests = (await emulator('GET', '/_emulator/requests')).requests as any[];
    if (requests.some((r) => r.operation === operation && r.status === status)) return;
    await sleep(50);
  }
  throw new Error(`${operation} ${status} never seen`);
}

/** crossRegion: a Single Server drill restored from the paired region's copy onto a server there. */
type Kind = 'database' | 'files' | 'crossRegion';

/** A drill's slow verification query is running on one of the servers. */
async function verifyRunning(token: string): Promise<boolean> {
  for (const server of ['tgt-single', 'drill-pg', 'tgt-single-dr']) {
    const c = new pg.Client({ ...emu.ctx.servers.get(server)!.admin, database: 'postgres' });
    await c.connect();
    try {
      const r = await c.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname LIKE $1 AND query LIKE '%pg_sleep(3)%' AND state = 'active'",
        [`%${token}%`],
      );
      if (r.rowCount) return true;
    } finally {
      await c.end();
    }
  }
  return false;
}

/** The pid of a running pg_restore whose arguments name `token`, if any. */
function pgRestorePid(token: string): number | undefined {
  const line = execFileSync('ps', ['-eo', 'pid=,args='])
    .toString()
    .split('\n')
    .find((l) => /\bpg_restore\b/.test(l) && l.includes(token));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

function request(kind: Kind, key: string, extra: Record<string, unknown> = {}) {
  const base =
    kind === 'crossRegion'
      ? {
          backupInstanceId: SINGLE_BI,
          restoreFrom: 'secondaryRegion',
          target: { kind: 'database', serverId: DR_SERVER, secretUri: DR_SECRET },
          verify: { tables: [{ name: 'public.orders', minRows: 1000 }] },
        }
      : kind === 'database'
        ? {
            backupInstanceId: SINGLE_BI,
            target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin` },
            verify: { tables: [{ name: 'public.orders', minRows: 1000 }] },
          }
        : {
            backupInstanceId: FLEX_BI,
            target: {
              kind: 'files',
              containerUrl: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
              load: {
                host: emu.ctx.servers.get('drill-pg')!.admin.host,
                port: emu.ctx.servers.get('drill-pg')!.admin.port,
                secretUri: `${KV}/drill-admin`,
              },
            },
            verify: { tables: [{ name: 'public.items', minRows: 300000 }] },
          };
  return { ...base, idempotencyKey: key, deadline: 'PT10M', ...extra };
}

interface Point {
  name: string;
  kinds: Kind[];
  extra?: Record<string, unknown>;
  /** Sets the trap (before the drill starts) and resolves when the host should be killed. */
  arm: (host: () => Host, id: string) => Promise<() => Promise<void>>;
  /** Kill again while the restarted host resumes. */
  twice?: boolean;
}

const status = (host: () => Host, id: string, until: (s: any) => boolean) =>
  waitFor(host, id, until, 120_000, 50);

const POINTS: Point[] = [
  {
    name: 'resolve',
    kinds: ['database', 'files'],
    arm: async () => {
      const r = await emulator('POST', '/_emulator/faults', {
        operation: 'BackupInstances_Get',
        kind: 'delay',
        delayMs: 4000,
        count: 1,
      });
      return () => fired(r.faults[0].id);
    },
  },
  {
    name: 'select',
    kinds: ['database', 'files'],
    arm: async () => {
      const r = await emulator('POST', '/_emulator/faults', {
        operation: 'RecoveryPoints_List',
        kind: 'delay',
        delayMs: 4000,
        count: 1,
      });
      return () => fired(r.faults[0].id);
    },
  },
  {
    name: 'validate polling',
    kinds: ['database', 'files'],
    arm: () => Promise.resolve(() => logged('BackupInstances_ValidateForRestore', 202)),
  },
  {
    name: 'restore POST in flight',
    kinds: ['database', 'files'],
    arm: async () => {
      const r = await emulator('POST', '/_emulator/faults', {
        operation: 'BackupInstances_TriggerRestore',
        kind: 'delay',
        delayMs: 6000,
        count: 1,
      });
      return () => fired(r.faults[0].id);
    },
  },
  {
    name: 'after the 202',
    kinds: ['database', 'files'],
    arm: () => Promise.resolve(() => logged('BackupInstances_TriggerRestore', 202)),
  },
  {
    name: 'job monitoring',
    kinds: ['database', 'files', 'crossRegion'],
    arm: (host, id) =>
      Promise.resolve(() =>
        status(host, id, (s) => s.phase === 'restore' && /job/.test(s.detail ?? '')).then(() => undefined),
      ),
  },
  {
    name: 'load',
    kinds: ['files'],
    // Held in place, not raced: once this drill's pg_restore runs it is stopped (SIGSTOP), so the host is
    // killed with the load certainly in flight, however busy the machine.
    arm: (_host, id) =>
      Promise.resolve(async () => {
        const pid = await waitUntil(() => pgRestorePid(drillToken(id)), {
          what: `a pg_restore process for ${id}`,
          timeoutMs: 120_000,
          everyMs: 20,
        });
        process.kill(pid, 'SIGSTOP');
      }),
  },
  {
    name: 'verify',
    kinds: ['database', 'files'],
    extra: { verify: { assertions: [{ name: 'slow', sql: 'SELECT 1 FROM pg_sleep(3)', expected: 1 }] } },
    // Killed while the slow assertion is seen running on the server, not after a guessed delay.
    arm: (_host, id) =>
      Promise.resolve(async () => {
        await waitUntil(() => verifyRunning(drillToken(id)), {
          what: `the verification query of ${id} running`,
          timeoutMs: 120_000,
          everyMs: 50,
        });
      }),
  },
  {
    name: 'cleanup activity in flight',
    kinds: ['database', 'files'],
    extra: { cleanup: { policy: 'keep', keepFor: 'PT3S' } },
    arm: (host, id) =>
      Promise.resolve(async () => {
        // While the data is kept, hold the cleanup's first Key Vault read; kill once it has arrived.
        await status(host, id, (s) => /keeping/.test(s.detail ?? ''));
        const r = await emulator('POST', '/_emulator/faults', {
          operation: 'KeyVault_GetSecret',
          kind: 'delay',
          delayMs: 4000,
          count: 1,
        });
        await fired(r.faults[0].id);
      }),
  },
  {
    name: 'report upload in flight',
    kinds: ['database', 'files'],
    arm: (_host, id) => {
      const hold = proxy.hold((method, path) => method === 'PUT' && path.includes(`${id}.json`), 4000);
      return Promise.resolve(() => hold.arrived);
    },
  },
  // Cross-region drills: where a restore could be started twice (the trigger and the job, which lives only in
  // the paired region's job API).
  {
    name: 'secondary points read',
    kinds: ['crossRegion'],
    arm: async () => {
      const r = await emulator('POST', '/_emulator/faults', {
        operation: 'FetchSecondaryRecoveryPoints_List',
        kind: 'delay',
        delayMs: 4000,
        count: 1,
      });
      return () => fired(r.faults[0].id);
    },
  },
  {
    name: 'cross-region restore POST in flight',
    kinds: ['crossRegion'],
    arm: async () => {
      const r = await emulator('POST', '/_emulator/faults', {
        operation: 'BackupInstances_TriggerCrossRegionRestore',
        kind: 'delay',
        delayMs: 6000,
        count: 1,
      });
      return () => fired(r.faults[0].id);
    },
  },
  {
    name: 'after the cross-region 202',
    kinds: ['crossRegion'],
    arm: () => Promise.resolve(() => logged('BackupInstances_TriggerCrossRegionRestore', 202)),
  },
  {
    name: 'job monitoring, then again while resuming',
    kinds: ['database', 'files', 'crossRegion'],
    twice: true,
    arm: (host, id) =>
      Promise.resolve(() =>
        status(host, id, (s) => s.phase === 'restore' && /job/.test(s.detail ?? '')).then(() => undefined),
      ),
  },
];

async function restoreJobs(drillId: string, report: DrillReport): Promise<number> {
  const all = await emulator('GET', '/_emulator/jobs');
  // Same-region restore jobs and the paired region's cross-region ones: a restore started twice shows in either.
  const jobs = ([...all.jobs, ...all.crossRegionJobs] as any[]).filter(
    (j) => j.properties.operation === 'Restore',
  );
  if (report.request.target.kind === 'database')
    return jobs.filter((j) =>
      String(j.emulator.recoveryDestination).endsWith(`/databases/${report.restored?.database?.name}`),
    ).length;
  return jobs.filter((j) => j.emulator.filePrefix === drillFilePrefix(drillId)).length;
}

describe('crash matrix', () => {
  const cases = POINTS.flatMap((p) => p.kinds.map((kind) => [`${kind}: ${p.name}`, kind, p] as const));

  it.each(cases)(
    'SIGKILL during %s: the drill completes once, leaving nothing behind',
    async (_name, kind, point) => {
      const key = `crash-${kind}-${point.name.replace(/[^a-z]+/g, '-')}`.slice(0, 60);
      const id = `drill-${key}`;
      // A task hub of its own: nothing of another case is resumed by this case's hosts.
      const caseHub = `${hub}x${(caseNo++).toString(36)}`;
      // A clean slate: no fault rules, an empty request log (the triggers read it).
      await emulator('POST', '/_emulator/reset');
      let host = await startHostProcess(hostEnv(caseHub));
      const current = () => host;
      try {
        const killWhen = await point.arm(current, id);
        expect((await call(host, 'POST', '/api/drills', request(kind, key, point.extra))).status).toBe(202);
        await killWhen();
        host.child.kill('SIGKILL');
        await host.stop();
        host = await startHostProcess(hostEnv(caseHub));
        if (point.twice) {
          // Ready means resumed: its activities are running again. Kill it there.
          host.child.kill('SIGKILL');
          await host.stop();
          host = await startHostProcess(hostEnv(caseHub));
        }
        const done = await waitFor(current, id, (s) => s.runtimeStatus === 'Completed', 180_000, 200);
        const report = done.report as DrillReport;
        const jobs = await restoreJobs(id, report);
        const left = await drillLeftovers(emu, id);
        matrix.push(
          `| ${kind} | ${point.name} | ${report.verdict}${report.failure ? ` (${report.failure.code})` : ''} | ${jobs} | ${left.length ? left.join(', ') : 'nothing'} |`,
        );
        expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
        expect(jobs).toBe(1);
        expect(left).toEqual([]);
        expect(report.cleanup.status).toBe('done');
      } catch (err) {
        console.log(`${id} failed; host log tail:\n${host.logs.slice(-40).join('\n')}`);
        throw err;
      } finally {
        // Always: a host left running would share the task hub with the next case's.
        await host.stop('SIGKILL');
        await emulator('DELETE', '/_emulator/faults');
      }
    },
    300_000,
  );
});

describe('host storage outage', () => {
  it('Azurite stopped for 10 s while a drill runs: the host keeps running, the drill passes, its state is stored again', async () => {
    const location = mkdtempSync(`${tmpdir()}/pgdrill-azurite-outage-`);
    let azurite = await startAzurite('devstoreaccount1', { location });
    const ports = {
      blob: Number(new URL(azurite.blobEndpoint).port),
      queue: Number(new URL(azurite.queueEndpoint).port),
      table: Number(new URL(azurite.tableEndpoint).port),
    };
    const env = {
      ...hostEnv(`${hub}outage`),
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.blobEndpoint};QueueEndpoint=${azurite.queueEndpoint};TableEndpoint=${azurite.tableEndpoint};`,
    };
    const host = await startHostProcess(env);
    try {
      await emulator('POST', '/_emulator/reset');
      const id = 'drill-azurite-outage';
      expect((await call(host, 'POST', '/api/drills', request('database', 'azurite-outage'))).status).toBe(
        202,
      );
      await waitFor(
        () => host,
        id,
        (s) => s.phase === 'validate',
        60_000,
        50,
      );
      await azurite.stop();
      // While storage is down: the host answers a status it cannot look up with an error, and stays up.
      const lookup = await call(host, 'GET', '/api/drills/drill-not-in-memory');
      expect(lookup.status).toBe(500);
      expect(lookup.body.error.code).toBe('InternalError');
      await sleep(10_000);
      azurite = await startAzurite('devstoreaccount1', { location, ports });
      const done = await waitFor(
        () => host,
        id,
        (s) => s.runtimeStatus === 'Completed',
        180_000,
        200,
      );
      expect(host.child.exitCode).toBeNull();
      expect(done.report.verdict, JSON.stringify(done.report.failure)).toBe('passed');
      expect(host.logs.some((l) => l.includes('could not persist instance'))).toBe(true);
      // Every instance whose save failed is stored again by the host itself (a finished child would otherwise
      // stay "Running" in the store, and a restarted host would resume it).
      const failedSaves = new Set(
        host.logs
          .filter((l) => l.includes('could not persist instance'))
          .map((l) => JSON.parse(l).instanceId),
      );
      await waitUntil(
        () => {
          const again = new Set(
            host.logs.filter((l) => l.includes('instance stored again')).map((l) => JSON.parse(l).instanceId),
          );
          return [...failedSaves].every((i) => again.has(i)) ? true : undefined;
        },
        {
          what: `every instance whose save failed stored again (${[...failedSaves].join(', ')})`,
          timeoutMs: 60_000,
        },
      );
      // Stored again: a host started now finds the drill finished, not running.
      await host.stop('SIGKILL');
      const again = await startHostProcess(env);
      try {
        expect(again.logs.join('\n')).toMatch(/"resumedInstances":0/);
        expect((await call(again, 'GET', `/api/drills/${id}`)).body.runtimeStatus).toBe('Completed');
      } finally {
        await again.stop('SIGKILL');
      }
    } finally {
      await host.stop('SIGKILL');
      await azurite.stop();
      rmSync(location, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('one host per task hub', () => {
  it('a second host on a running host’s hub refuses to start, naming the holder and the fix; after a crash the restarted host takes the hub over at once', async () => {
    const env = hostEnv(`${hub}lease`);
    const first = await startHostProcess(env);
    try {
      // A live holder renews its lease: the second host waits one lease period, then refuses.
      const refused = await startHostProcess(env).then(
        async (h) => {
          await h.stop('SIGKILL');
          return 'started';
        },
        (err: Error) => err.message,
      );
      expect(refused).toMatch(
        new RegExp(
          `task hub "${hub}lease" is in use by another standalone host \\(pid ${first.child.pid} on `,
        ),
      );
      expect(refused).toMatch(
        /fix: Stop the other host first, or give this one a task hub of its own with DURABLE_TASK_HUB_NAME/,
      );
      expect(first.child.exitCode).toBeNull();
      expect((await call(first, 'GET', '/api/drills/nothing-here')).status).toBe(404);
    } finally {
      await first.stop('SIGKILL');
    }
    // Its holder is dead (same machine): no wait for the lease to expire.
    const second = await startHostProcess(env);
    try {
      expect(second.logs.join('\n')).toMatch(
        /took over the task hub lease of a host that is no longer running/,
      );
    } finally {
      // A clean stop frees the hub: the next host starts without taking anything over.
      await second.stop('SIGTERM');
    }
    const third = await startHostProcess(env);
    try {
      expect(third.logs.join('\n')).not.toMatch(/took over|leased by another host/);
    } finally {
      await third.stop('SIGTERM');
    }
  }, 180_000);
});
