/** The sweeper removes what a drill recorded creating when its cleanup failed, and nothing else. */
import { InvocationContext } from '@azure/functions';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweeper } from '../../src/functions/sweeper';
import { SINGLE_BI, startDrillRig, TARGET_SERVER, type DrillRig } from '../support/drill';

let rig: DrillRig;
beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

async function databases(): Promise<string[]> {
  const c = new pg.Client({ ...rig.emu.ctx.servers.get('tgt-single')!.admin, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

const timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

describe('sweeper', () => {
  it('retries a failed cleanup from the recorded resources, once the drill is old enough, and only once per period', async () => {
    // A drill that keeps its database (policy never); then pretend its cleanup had failed two days ago.
    const { report, drillId } = await rig.run({
      backupInstanceId: SINGLE_BI,
      target: {
        kind: 'database',
        serverId: TARGET_SERVER,
        secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
      },
      cleanup: { policy: 'never' },
    });
    const leftover = report.restored!.database!.name;
    expect(await databases()).toContain(leftover);
    // What the drill recorded creating: the database, and its verification login (dropped by verify already).
    expect(report.cleanup.resources).toEqual([
      {
        kind: 'database',
        name: leftover,
        serverId: TARGET_SERVER,
        secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
      },
      expect.objectContaining({ kind: 'role', name: expect.stringMatching(/^pgdrill_ro_/) }),
    ]);
    const old = new Date(Date.now() - 48 * 3600_000).toISOString();
    await rig.reports.save({
      ...report,
      endedAt: old,
      cleanup: {
        ...report.cleanup,
        status: 'failed',
        actions: [
          { resource: leftover, action: 'drop database', status: 'failed', message: 'server unreachable' },
        ],
      },
    });

    const sweep = createSweeper({
      reports: () => rig.reports,
      cleanup: (input) => rig.activities.cleanupDrill(input),
      afterHours: () => 24,
    });
    const ctx = new InvocationContext({ functionName: 'sweepLeftovers' });
    expect(await sweep(timer, ctx)).toEqual([{ drillId, status: 'done' }]);
    expect(await databases()).not.toContain(leftover);
    const swept = await rig.reports.get(drillId);
    expect(swept!.cleanup).toMatchObject({ status: 'done', sweptAt: expect.any(String) });
    expect(swept!.cleanup.actions.slice(-2)).toMatchObject([
      { action: 'drop database', status: 'done', message: 'sweeper' },
      { action: 'drop role', status: 'absent', message: 'sweeper' },
    ]);
    // Done now: nothing more to sweep.
    expect(await sweep(timer, ctx)).toEqual([]);
  }, 120_000);

  it('leaves drills that ended recently, and drills whose policy kept their data', async () => {
    const { report, drillId } = await rig.run({
      backupInstanceId: SINGLE_BI,
      target: {
        kind: 'database',
        serverId: TARGET_SERVER,
        secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
      },
      cleanup: { policy: 'never' },
    });
    const sweep = createSweeper({
      reports: () => rig.reports,
      cleanup: (input) => rig.activities.cleanupDrill(input),
      afterHours: () => 24,
    });
    const ctx = new InvocationContext({ functionName: 'sweepLeftovers' });
    expect((await sweep(timer, ctx)).map((r) => r.drillId)).not.toContain(drillId); // policy never: status skipped
    await rig.reports.save({ ...report, cleanup: { ...report.cleanup, status: 'failed' } }); // failed, but just now
    expect((await sweep(timer, ctx)).map((r) => r.drillId)).not.toContain(drillId);
    expect(await databases()).toContain(report.restored!.database!.name);
  }, 120_000);

  it('a drill whose sweep failed is swept again only after a period, not on the next run', async () => {
    const { report, drillId } = await rig.run({
      backupInstanceId: SINGLE_BI,
      target: {
        kind: 'database',
        serverId: TARGET_SERVER,
        secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
      },
      cleanup: { policy: 'never' },
    });
    await rig.reports.save({
      ...report,
      endedAt: new Date(Date.now() - 48 * 3600_000).toISOString(),
      cleanup: { ...report.cleanup, status: 'failed' },
    });
    let calls = 0;
    let now = new Date();
    const sweep = createSweeper({
      reports: () => rig.reports,
      // The server is still unreachable: every resource fails.
      cleanup: (input) => {
        if (input.drillId === drillId) calls++;
        return Promise.resolve(
          input.resources.map(() => ({
            actions: [
              { resource: 'x', action: 'drop database', status: 'failed' as const, message: 'unreachable' },
            ],
            retryable: true,
          })),
        );
      },
      afterHours: () => 24,
      now: () => now,
    });
    const ctx = new InvocationContext({ functionName: 'sweepLeftovers' });
    const mine = async () => (await sweep(timer, ctx)).filter((r) => r.drillId === drillId);
    expect(await mine()).toEqual([{ drillId, status: 'failed' }]);
    expect(calls).toBe(1);
    expect(await mine()).toEqual([{ drillId, status: 'recently swept' }]);
    expect(calls).toBe(1);
    // A period later it is tried again.
    now = new Date(now.getTime() + 25 * 3600_000);
    expect(await mine()).toEqual([{ drillId, status: 'failed' }]);
    expect(calls).toBe(2);
    // Tidy: the real cleanup, for the next tests.
    await rig.activities.cleanupDrill({ drillId, resources: report.cleanup.resources as never });
  }, 120_000);
});
