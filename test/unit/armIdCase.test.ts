/**
 * ARM ids and names compared without regard to case: ARM answers with ids cased its own way
 * (`resourcegroups`, `BackupVaults`, upper-case GUIDs), so every place the drill matches an id it sent with one
 * it was given must ignore case (issue 14, item 5).
 */
import { describe, expect, it } from 'vitest';
import { dataProtectionActivities, isOurDestination } from '../../src/activities/dataProtection';
import type { ActivityDeps } from '../../src/activities/deps';
import { nameKey, sameArmId, sameName } from '../../src/lib/dataprotection/armId';
import { selectRecoveryPoint } from '../../src/lib/drill/selection';
import type { BackupJobResource } from '../../src/lib/types/generated/dataprotection';
import { noticesFor } from '../../src/orchestrators/vaultJobWatcher';

const SUB = '04cf684a-d41f-4550-9f70-7708a3a2283b';
const VAULT = `/subscriptions/${SUB}/resourceGroups/drills/providers/Microsoft.DataProtection/backupVaults/vault1`;
const BI = `${VAULT}/backupInstances/pg1-db1-4bd6`;
/** The same ids as ARM writes them back. */
const VAULT_ARM = `/subscriptions/${SUB.toUpperCase()}/resourcegroups/Drills/providers/microsoft.dataprotection/BackupVaults/Vault1`;
const BI_ARM = `${VAULT_ARM}/backupInstances/PG1-db1-4BD6`;
const JOB = 'a1b2c3d4-0000-4000-8000-00000000abcd';
const DB = `/subscriptions/${SUB}/resourceGroups/targets/providers/Microsoft.DBforPostgreSQL/servers/pg2/databases/pgdrill_x_db1`;

describe('ARM ids compared without regard to case', () => {
  it('sameArmId: resourcegroups, BackupVaults, GUID case and a trailing slash', () => {
    expect(sameArmId(BI, BI_ARM)).toBe(true);
    expect(sameArmId(VAULT, `${VAULT_ARM}/`)).toBe(true);
    expect(sameArmId(BI, `${VAULT_ARM}/backupInstances/other`)).toBe(false);
  });

  it('job and recovery point names: a bare name and a full ARM id, in any case', () => {
    expect(sameName(JOB, `${VAULT_ARM}/backupJobs/${JOB.toUpperCase()}`)).toBe(true);
    expect(nameKey(`${VAULT_ARM}/backupJobs/${JOB.toUpperCase()}`)).toBe(JOB);
    expect(sameName(JOB, JOB.replace('abcd', 'abce'))).toBe(false);
  });

  it("a restore job's destination matches the target database id however ARM cases it", () => {
    const armCased = DB.replace('resourceGroups', 'resourcegroups').replace('pg2', 'PG2');
    expect(isOurDestination({ recoveryDestination: armCased }, DB)).toBe(true);
  });

  it('the "id" recovery point policy finds the point whatever the case of the id given', () => {
    const points = [
      { id: 'B1F2E3D4A5C6', time: '2026-11-30T00:00:00Z', stores: ['VaultStore' as const] },
      { id: 'other', time: '2026-12-01T00:00:00Z', stores: ['VaultStore' as const] },
    ];
    const sel = selectRecoveryPoint(points, { policy: 'id', id: 'b1f2e3d4a5c6' }, new Date(), 'seed');
    expect(sel).toMatchObject({ ok: true, point: { id: 'B1F2E3D4A5C6' } });
  });

  it('the vault watcher tells a drill its job ended when the job id differs in case or is a full id', () => {
    const watched = new Map([['drill-1:job', { jobId: `${VAULT_ARM}/backupJobs/${JOB.toUpperCase()}` }]]);
    const notices = noticesFor(watched, [
      { id: JOB, status: 'Completed', terminal: true, succeeded: true, startTime: '2026-12-01T00:00:00Z' },
    ]);
    expect(notices).toHaveLength(1);
  });

  it("the no-double-restore lookup finds the drill's restore in a job list cased ARM's way", async () => {
    const job = {
      id: `${VAULT_ARM}/backupJobs/${JOB.toUpperCase()}`,
      name: JOB.toUpperCase(),
      type: 'Microsoft.DataProtection/backupVaults/backupJobs',
      properties: {
        operation: 'Restore',
        status: 'InProgress',
        startTime: '2026-12-01T10:00:05Z',
        backupInstanceId: BI_ARM,
        extendedInfo: {
          recoveryDestination: DB.replace('resourceGroups', 'resourcegroups'),
          sourceRecoverPoint: { recoveryPointID: 'B1F2E3D4A5C6' },
        },
      },
    } as unknown as BackupJobResource;
    const dp = {
      // for await reads a plain iterable too.
      *listJobs() {
        yield job;
      },
      getJob: () => Promise.resolve(job),
    };
    const acts = dataProtectionActivities({
      dataProtection: dp,
      reports: { lastRestoreAttempt: () => Promise.resolve(undefined) },
    } as unknown as ActivityDeps);
    const found = await acts.findRestoreJob({
      drillId: 'drill-1',
      backupInstanceId: BI,
      vaultId: VAULT,
      notBefore: '2026-12-01T10:00:00Z',
      destination: DB,
      recoveryPointId: 'b1f2e3d4a5c6',
    });
    expect(found.job?.id.toLowerCase()).toBe(JOB);
  });
});
