/** The sweeper removes what a drill recorded creating when its cleanup failed, and nothing else. */
import { InvocationContext } from '@azure/functions';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweeper } from '../../src/functions/sweeper';
import type { CreatedResource } from '../../src/lib/drill/resources';
import { dropSandboxRole } from '../../src/lib/postgres/sandbox';
import { AZURITE_KEY, SINGLE_BI, startDrillRig, TARGET_SERVER, type DrillRig } from '../support/drill';

let rig: DrillRig;
beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

async function onTarget<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ ...rig.emu.ctx.servers.get('tgt-single')!.admin, database: 'postgres' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function databases(): Promise<string[]> {
  return onTarget(async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
  );
}

async function roles(): Promise<string[]> {
  return onTarget(async (c) =>
    (await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname),
  );
}

const KEEP = {
  backupInstanceId: SINGLE_BI,
  target: {
    kind: 'database',
    serverId: TARGET_SERVER,
    secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
  },
  cleanup: { policy: 'never' },
} as const;

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

  it('a tampered report cannot make cleanup touch what its drill did not create: foreign names are refused and stay', async () => {
    const mine = await rig.run(KEEP);
    const other = await rig.run(KEEP); // another drill's kept database
    const otherDb = other.report.restored!.database!.name;
    await onTarget(async (c) => {
      await c.query('CREATE DATABASE customer_data');
      await c.query('CREATE ROLE app_owner LOGIN');
    });
    const container = new ContainerClient(
      rig.containerUrl,
      new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
    );
    const otherPrefix = other.report.restored!.database!.name.replace('pgdrill_', 'pgdrill-');
    await container.getBlockBlobClient(`${otherPrefix}/db.dump`).upload('x', 1);
    await container.getBlockBlobClient('customers/db.dump').upload('x', 1);
    const secretUri = 'https://kv-test.vault.azure.net/secrets/tgt-admin';
    const ownDb = mine.report.restored!.database!.name;
    const foreign: CreatedResource[] = [
      { kind: 'database', name: 'customer_data', serverId: TARGET_SERVER, secretUri },
      { kind: 'database', name: otherDb, serverId: TARGET_SERVER, secretUri },
      { kind: 'database', name: `${ownDb}x`, serverId: TARGET_SERVER, secretUri },
      { kind: 'role', name: 'app_owner', secretUri, adminDatabase: 'postgres', databases: ['customer_data'] },
      { kind: 'role', name: 'postgres', secretUri, adminDatabase: 'postgres', databases: [] },
      {
        kind: 'blobs',
        containerUrl: rig.containerUrl,
        prefix: otherPrefix,
        names: [`${otherPrefix}/db.dump`],
      },
      { kind: 'blobs', containerUrl: rig.containerUrl, prefix: 'customers', names: ['customers/db.dump'] },
      {
        kind: 'blobs',
        containerUrl: rig.containerUrl,
        prefix: 'pgdrill-',
        names: [`${otherPrefix}/db.dump`],
      },
    ];
    await rig.reports.save({
      ...mine.report,
      endedAt: new Date(Date.now() - 48 * 3600_000).toISOString(),
      cleanup: {
        ...mine.report.cleanup,
        status: 'failed',
        resources: [...foreign, ...(mine.report.cleanup.resources as CreatedResource[])],
      },
    });
    const sweep = createSweeper({
      reports: () => rig.reports,
      cleanup: (input) => rig.activities.cleanupDrill(input),
      afterHours: () => 24,
    });
    const results = await sweep(timer, new InvocationContext({ functionName: 'sweepLeftovers' }));
    expect(results.filter((r) => r.drillId === mine.drillId)).toEqual([
      { drillId: mine.drillId, status: 'partial' },
    ]);
    const actions = (await rig.reports.get(mine.drillId))!.cleanup.actions.filter((a) =>
      a.message?.startsWith('sweeper'),
    );
    // One line per resource: every foreign one refused, naming why; the drill's own database dropped.
    expect(actions.map((a) => a.status)).toEqual([...foreign.map(() => 'refused'), 'done', 'absent']);
    for (const a of actions.slice(0, foreign.length))
      expect(a.message).toMatch(
        new RegExp(`does not carry drill ${mine.drillId}|is not drill ${mine.drillId}`),
      );
    // Everything foreign is still there, untouched.
    const dbs = await databases();
    expect(dbs).toEqual(expect.arrayContaining(['customer_data', otherDb]));
    expect(dbs).not.toContain(ownDb);
    expect(await roles()).toEqual(expect.arrayContaining(['app_owner', 'postgres']));
    expect(await container.getBlockBlobClient(`${otherPrefix}/db.dump`).exists()).toBe(true);
    expect(await container.getBlockBlobClient('customers/db.dump').exists()).toBe(true);
    // Tidy for the next tests.
    await onTarget(async (c) => {
      await c.query('DROP DATABASE customer_data');
      await c.query('DROP ROLE app_owner');
    });
    await container.getBlockBlobClient(`${otherPrefix}/db.dump`).delete();
    await container.getBlockBlobClient('customers/db.dump').delete();
    await rig.activities.cleanupDrill({
      drillId: other.drillId,
      resources: other.report.cleanup.resources as CreatedResource[],
    });
    expect(await databases()).not.toContain(otherDb);
  }, 180_000);

  it('the library refuses to drop a role that is not a drill login, whoever calls it', async () => {
    await onTarget((c) => c.query('CREATE ROLE app_owner2 LOGIN'));
    const admin = rig.emu.ctx.servers.get('tgt-single')!.admin;
    await expect(dropSandboxRole(admin, 'postgres', 'app_owner2')).rejects.toMatchObject({
      code: 'RefusedRoleName',
    });
    expect(await roles()).toContain('app_owner2');
    await onTarget((c) => c.query('DROP ROLE app_owner2'));
  }, 60_000);
});
