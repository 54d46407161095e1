/**
 * Cross-region drills (issue 14) against the emulator, with real PostgreSQL and Azurite: a Single Server
 * database restored onto a server in the paired region, Flexible Server files loaded into a drill server; the
 * secondary points chosen (which lag the primary ones); the job followed only through the cross-region job API;
 * refusals before any restore operation; no double restore across a lost answer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrossRegionError } from '../../src/lib/dataprotection/crossRegion';
import {
  DR_SECRET,
  DR_SERVER,
  FAST_SETTINGS,
  FLEX_BI,
  PAIRED_REGION_TARGET,
  SINGLE_BI,
  startDrillRig,
  type DrillRig,
} from '../support/drill';
import { arm, armToken, testEmulatorConfig, TEST_SUBSCRIPTION } from '../support/emulator';

const RG = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups`;
const NO_CRR_BI = `${RG}/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-nocrr/backupInstances/bi-nocrr`;
/** Every operation that validates or restores, in either region. */
const RESTORE_OPERATIONS = [
  'BackupInstances_ValidateForRestore',
  'BackupInstances_TriggerRestore',
  'BackupInstances_ValidateCrossRegionRestore',
  'BackupInstances_TriggerCrossRegionRestore',
];

let rig: DrillRig;

beforeAll(async () => {
  // The test vault as usual (geo-redundant, cross-region restore enabled by default), and one whose
  // cross-region restore is disabled.
  const vaults = testEmulatorConfig().vaults as Record<string, unknown>[];
  rig = await startDrillRig({
    ...PAIRED_REGION_TARGET,
    config: {
      // Every list a page per point: the cross-region lists' nextLink is followed.
      recoveryPointsPageSize: 1,
      vaults: [
        ...vaults,
        {
          name: 'vault-nocrr',
          resourceGroup: 'rg-test',
          crossRegionRestore: { state: 'Disabled' },
          backupInstances: [{ name: 'bi-nocrr', server: 'src-single', database: 'nocrrdb' }],
        },
      ],
    },
  });
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});
beforeEach(async () => {
  const token = await armToken(rig.emu);
  await arm(rig.emu, token, 'DELETE', '/_emulator/faults');
  // The newest backup (taken at start) is not replicated yet; the older ones are.
  await arm(rig.emu, token, 'POST', '/_emulator/crossRegion', { replicationDelaySeconds: 3600 });
});

/** The requests the emulator logged after `since`, through its admin API. */
async function requestsSince(since: number): Promise<{ seq: number; operation?: string; path: string }[]> {
  const token = await armToken(rig.emu);
  return (await arm(rig.emu, token, 'GET', `/_emulator/requests?since=${since}`)).body.requests;
}
const lastSeq = () => rig.emu.ctx.requests.at(-1)?.seq ?? 0;
const count = (reqs: { operation?: string }[], op: string) => reqs.filter((r) => r.operation === op).length;

async function crossRegionState(): Promise<any> {
  const token = await armToken(rig.emu);
  return (await arm(rig.emu, token, 'GET', '/_emulator/crossRegion')).body;
}

/** The emulator's cross-region restore jobs that restored into this database on the paired-region server. */
async function crossRegionJobsInto(database: string): Promise<any[]> {
  const destination = `${DR_SERVER}/databases/${database}`.toLowerCase();
  return (await crossRegionState()).jobs.filter(
    (j: any) => String(j.emulator.recoveryDestination).toLowerCase() === destination,
  );
}

/** One fault on the next cross-region restore POST. */
async function faultOnTrigger(rule: Record<string, unknown>): Promise<void> {
  const token = await armToken(rig.emu);
  const res = await arm(rig.emu, token, 'POST', '/_emulator/faults', {
    operation: 'BackupInstances_TriggerCrossRegionRestore',
    count: 1,
    ...rule,
  });
  expect(res.status).toBe(201);
}

function singleRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backupInstanceId: SINGLE_BI,
    restoreFrom: 'secondaryRegion',
    target: { kind: 'database', serverId: DR_SERVER, secretUri: DR_SECRET },
    verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
    deadline: 'PT10M',
    ...extra,
  };
}

describe('cross-region drills', () => {
  it('Single Server: restores the newest secondary point onto a server in the paired region, following the job only through the cross-region API', async () => {
    const before = lastSeq();
    const { report } = await rig.run(singleRequest());
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    const sent = await requestsSince(before);
    // The secondary points, not the primary ones, were chosen: the newest secondary one, older than the newest primary.
    const vault = (await crossRegionState()).vaults.find((v: any) => v.name === 'vault-test');
    const secondary = vault.backupInstances.find((b: any) => b.id.toLowerCase() === SINGLE_BI.toLowerCase())
      .secondaryRecoveryPoints as { id: string; time: string }[];
    const newestSecondary = secondary.reduce((a, b) => (Date.parse(a.time) >= Date.parse(b.time) ? a : b));
    expect(report.recoveryPoint!.id).toBe(newestSecondary.id);
    const cr = report.crossRegion!;
    expect(cr).toMatchObject({ sourceRegion: 'westus', restoreRegion: 'eastus' });
    expect(Date.parse(cr.recoveryPointTime!)).toBe(Date.parse(newestSecondary.time));
    expect(Date.parse(cr.newestPrimaryPointTime!)).toBeGreaterThan(Date.parse(cr.recoveryPointTime!));
    // Replication lag and the regional RPO, as the report defines them.
    expect(cr.replicationLagSeconds).toBeCloseTo(
      (Date.parse(cr.newestPrimaryPointTime!) - Date.parse(cr.recoveryPointTime!)) / 1000,
      3,
    );
    expect(cr.replicationLagSeconds!).toBeGreaterThan(3600);
    expect(cr.regionalRpoSeconds).toBeCloseTo(
      (Date.parse(report.startedAt) - Date.parse(cr.newestSecondaryPointTime!)) / 1000,
      3,
    );
    expect(report.rpoSeconds).toBeCloseTo(cr.regionalRpoSeconds!, 3);
    // Every call went to the paired region's cross-region API; the job never through the vault's job API.
    expect(count(sent, 'FetchSecondaryRecoveryPoints_List')).toBeGreaterThan(0);
    expect(count(sent, 'BackupInstances_ValidateCrossRegionRestore')).toBe(1);
    expect(count(sent, 'BackupInstances_TriggerCrossRegionRestore')).toBe(1);
    expect(count(sent, 'FetchCrossRegionRestoreJob_Get')).toBeGreaterThan(0);
    for (const op of [
      'Jobs_Get',
      'Jobs_List',
      'BackupInstances_ValidateForRestore',
      'BackupInstances_TriggerRestore',
    ])
      expect(count(sent, op), op).toBe(0);
    for (const r of sent.filter((x) => x.operation?.includes('CrossRegion')))
      expect(r.path).toContain('/locations/eastus/');
    // The job is the cross-region one (bare GUID), and the database it created is gone after cleanup.
    const job = (await crossRegionState()).jobs.find((j: any) => j.name === report.job!.id);
    expect(job.properties.operationCategory).toBe('CrossRegionRestore');
    expect(report.job!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.restored!.database!.serverId.toLowerCase()).toBe(DR_SERVER.toLowerCase());
    expect(report.cleanup.status).toBe('done');
  }, 180_000);

  it('Flexible Server: files restored in the paired region and loaded into a drill server', async () => {
    const before = lastSeq();
    const { report } = await rig.run({
      backupInstanceId: FLEX_BI,
      restoreFrom: 'secondaryRegion',
      // A files target states its region: the container URL does not show it ("East US": sent as eastus).
      target: { ...rig.filesTarget(), restoreLocation: 'East US' },
      verify: { tables: [{ name: 'public.items', minRows: 1, database: 'inventory' }] },
      deadline: 'PT10M',
    });
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(report.crossRegion).toMatchObject({ sourceRegion: 'westus', restoreRegion: 'eastus' });
    expect(report.restored!.loaded!.map((l) => l.database).sort()).toEqual(['billing', 'inventory']);
    const sent = await requestsSince(before);
    expect(count(sent, 'BackupInstances_TriggerCrossRegionRestore')).toBe(1);
    expect(count(sent, 'Jobs_Get') + count(sent, 'Jobs_List')).toBe(0);
    expect(Date.parse(report.crossRegion!.newestPrimaryPointTime!)).toBeGreaterThan(
      Date.parse(report.recoveryPoint!.time),
    );
  }, 180_000);

  it('a vault without cross-region restore is refused before any restore or validate request', async () => {
    const before = lastSeq();
    const { report } = await rig.run({ ...singleRequest(), backupInstanceId: NO_CRR_BI });
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({
      phase: 'resolve',
      code: 'CrossRegionRestoreNotEnabled',
      isUserError: true,
    });
    expect(report.failure!.recommendedActions!.join(' ')).toMatch(/Cross Region Restore/);
    const sent = await requestsSince(before);
    for (const op of [...RESTORE_OPERATIONS, 'FetchSecondaryRecoveryPoints_List'])
      expect(count(sent, op), op).toBe(0);
  }, 120_000);

  it('a target outside the paired region is refused before any restore or validate request, naming the field', async () => {
    const before = lastSeq();
    // tgt-single is in westus, the vault's own region.
    const { report } = await rig.run(
      singleRequest({
        target: {
          kind: 'database',
          serverId: `${RG}/rg-test/providers/Microsoft.DBforPostgreSQL/servers/tgt-single`,
          secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
        },
      }),
    );
    expect(report.failure).toMatchObject({
      phase: 'resolve',
      code: 'TargetNotInPairedRegion',
      isUserError: true,
    });
    expect(report.failure!.message).toContain('target.serverId');
    const sent = await requestsSince(before);
    for (const op of RESTORE_OPERATIONS) expect(count(sent, op), op).toBe(0);
    // A files target whose restoreLocation is not the paired region: the same.
    const files = await rig.run({
      backupInstanceId: FLEX_BI,
      restoreFrom: 'secondaryRegion',
      target: { ...rig.filesTarget(), restoreLocation: 'westus' },
    });
    expect(files.report.failure).toMatchObject({ code: 'TargetNotInPairedRegion' });
    expect(files.report.failure!.message).toContain('target.restoreLocation');
    for (const op of RESTORE_OPERATIONS) expect(count(await requestsSince(before), op), op).toBe(0);
  }, 120_000);

  it('api-version 2021-07-01 is refused early with the fix, before any request', async () => {
    const before = lastSeq();
    const { report } = await rig.run(singleRequest(), undefined, {
      ...FAST_SETTINGS,
      apiVersion: '2021-07-01',
    });
    expect(report.failure).toMatchObject({
      phase: 'resolve',
      code: 'CrossRegionRestoreNotInApiVersion',
      isUserError: true,
    });
    expect(report.failure!.message).toContain(
      'set DATAPROTECTION_API_VERSION to 2023-11-01 or later (2026-06-01)',
    );
    const sent = await requestsSince(before);
    expect(sent.filter((r) => r.path.includes('Microsoft.DataProtection'))).toEqual([]);
    // The client refuses such a call too, without sending it.
    const old = rig.armClient(false, '2021-07-01');
    const iterator = old.listSecondaryRecoveryPoints(SINGLE_BI, {
      sourceRegion: 'westus',
      targetRegion: 'eastus',
    });
    await expect(iterator.next()).rejects.toBeInstanceOf(CrossRegionError);
    expect((await requestsSince(before)).filter((r) => r.path.includes('/locations/'))).toEqual([]);
  }, 120_000);

  it('no double restore: a cross-region trigger whose answer was lost is retried and finds the restore through the cross-region job list', async () => {
    await faultOnTrigger({ kind: 'dropResponse' });
    const before = lastSeq();
    const { report } = await rig.run(singleRequest());
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    const sent = await requestsSince(before);
    expect(count(sent, 'BackupInstances_TriggerCrossRegionRestore')).toBe(1);
    // The retry looked through the paired region's cross-region job list, never the vault's.
    expect(count(sent, 'FetchCrossRegionRestoreJobs_List')).toBeGreaterThan(0);
    expect(count(sent, 'Jobs_List')).toBe(0);
    const mine = await crossRegionJobsInto(report.restored!.database!.name);
    expect(mine).toHaveLength(1);
    expect(mine[0].name).toBe(report.job!.id);
    expect(
      rig.logs.filter((l) => l.includes('reusing its job') && l.includes(`"drillId":"${report.drillId}"`)),
    ).toHaveLength(1);
  }, 180_000);

  it('no double restore: a cross-region POST that Azure accepts only after the client gave up is waited out, not sent again', async () => {
    // Held 25 s: past the client's 10 s request timeout and its retry, within the 40 s the drill waits for such an
    // attempt (the same-region test in drills.test.ts explains the numbers).
    await faultOnTrigger({ kind: 'delay', delayMs: 25_000 });
    const started = Date.now();
    const { report } = await rig.runWith({ restoreSettleSeconds: 40 }, singleRequest());
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(rig.logs.some((l) => l.includes('may still be accepted') && l.includes(report.drillId))).toBe(
      true,
    );
    // The held POST has been carried out by now (a fixed delay of the fault, not a race).
    await new Promise((r) => setTimeout(r, Math.max(0, started + 27_000 - Date.now())));
    const mine = await crossRegionJobsInto(report.restored!.database!.name);
    expect(mine).toHaveLength(1);
    expect(mine[0].name).toBe(report.job!.id);
  }, 180_000);

  it('the client reads every page of the secondary points (nextLink posted with the body), with an optional $filter', async () => {
    const token = await armToken(rig.emu);
    await arm(rig.emu, token, 'POST', '/_emulator/crossRegion', { replicationDelaySeconds: null });
    const client = rig.armClient(false);
    const regions = { sourceRegion: 'westus', targetRegion: 'eastus' };
    const before = lastSeq();
    const all: string[] = [];
    for await (const rp of client.listSecondaryRecoveryPoints(SINGLE_BI, regions))
      all.push(rp.properties.recoveryPointTime);
    // Two replicated points (the archive-only one is not replicated), one per page.
    expect(all).toHaveLength(2);
    expect(count(await requestsSince(before), 'FetchSecondaryRecoveryPoints_List')).toBe(2);
    const newest = Math.max(...all.map((t) => Date.parse(t)));
    const older: string[] = [];
    for await (const rp of client.listSecondaryRecoveryPoints(SINGLE_BI, regions, {
      endDate: new Date(newest - 60_000),
    }))
      older.push(rp.properties.recoveryPointTime);
    expect(older).toHaveLength(1);
    expect(Date.parse(older[0]!)).toBeLessThan(newest);
  }, 60_000);
});
