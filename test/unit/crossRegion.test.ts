/**
 * Cross-region drills, pure parts: the refusals a drill makes before any restore operation (api-version, vault
 * without cross-region restore, target outside the paired region), the paired-region fallback, and the
 * replication lag and regional RPO of the report.
 */
import { describe, expect, it } from 'vitest';
import {
  assertCrossRegionApiVersion,
  CrossRegionError,
  decideCrossRegion,
  pairedRegionOf,
  type CrossRegionFacts,
} from '../../src/lib/dataprotection/crossRegion';
import { toFailure } from '../../src/lib/errors';
import { dataProtectionActivities } from '../../src/activities/dataProtection';
import type { ActivityDeps } from '../../src/activities/deps';
import type { BackupJobResource, RestoreRequest } from '../../src/lib/types/generated/dataprotection';
import { recommendedActionFor } from '../../src/lib/recommendedActions';
import { vaultWatcherId } from '../../src/lib/drill/jobWatch';
import { crossRegionOf } from '../../src/lib/drill/report';
import { planRestore } from '../../src/lib/drill/restorePlan';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { noReplicatedPoint } from '../../src/lib/drill/selection';

const VAULT =
  '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v';
const GRS: CrossRegionFacts = {
  vaultId: VAULT,
  vaultLocation: 'westus',
  crossRegionRestoreState: 'Enabled',
  storageTypes: ['GeoRedundant'],
  replicatedRegions: ['eastus'],
};

function refusal(fn: () => unknown): { code: string; message: string; isUserError: boolean } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CrossRegionError);
    const f = toFailure(err);
    return { code: f.code, message: f.message, isUserError: f.isUserError };
  }
  throw new Error('expected a refusal');
}

describe('cross-region drills: refusals before any restore', () => {
  it('refuses api-version 2021-07-01 with the fix, and accepts 2023-11-01 and later', () => {
    const r = refusal(() => assertCrossRegionApiVersion('2021-07-01'));
    expect(r.code).toBe('CrossRegionRestoreNotInApiVersion');
    expect(r.isUserError).toBe(true);
    expect(r.message).toContain('DATAPROTECTION_API_VERSION to 2023-11-01 or later (2026-06-01)');
    expect(() => assertCrossRegionApiVersion('2023-11-01')).not.toThrow();
    expect(() => assertCrossRegionApiVersion('2026-06-01')).not.toThrow();
  });

  it('refuses a vault without cross-region restore, or without geo-redundant storage', () => {
    const off = refusal(() =>
      decideCrossRegion({ ...GRS, crossRegionRestoreState: 'Disabled' }, { kind: 'files' }),
    );
    expect(off.code).toBe('CrossRegionRestoreNotEnabled');
    expect(off.message).toContain('crossRegionRestoreSettings.state');
    expect(off.message).toContain('restoreFrom');
    const unset = refusal(() =>
      decideCrossRegion(
        { ...GRS, crossRegionRestoreState: undefined },
        {
          kind: 'files',
        },
      ),
    );
    expect(unset.code).toBe('CrossRegionRestoreNotEnabled');
    const lrs = refusal(() =>
      decideCrossRegion({ ...GRS, storageTypes: ['LocallyRedundant'] }, { kind: 'files' }),
    );
    expect(lrs.code).toBe('CrossRegionRestoreNotEnabled');
    expect(lrs.message).toContain('LocallyRedundant');
  });

  it('refuses a database target whose server is outside the paired region, naming target.serverId', () => {
    const r = refusal(() =>
      decideCrossRegion({ ...GRS, targetServerLocation: 'westus' }, { kind: 'database' }),
    );
    expect(r.code).toBe('TargetNotInPairedRegion');
    expect(r.message).toContain('target.serverId');
    expect(r.message).toContain('eastus');
  });

  it('refuses a files target whose restoreLocation is outside the paired region', () => {
    const r = refusal(() => decideCrossRegion(GRS, { kind: 'files', restoreLocation: 'centralus' }));
    expect(r.code).toBe('TargetNotInPairedRegion');
    expect(r.message).toContain('target.restoreLocation');
  });

  it('refuses a files target without restoreLocation: a container URL does not show its region', () => {
    // Defaulting to the paired region would let a container in the primary region pass as cross-region.
    const r = refusal(() => decideCrossRegion(GRS, { kind: 'files' }));
    expect(r.code).toBe('TargetNotInPairedRegion');
    expect(r.message).toContain('/target/restoreLocation');
    expect(r.message).toContain(
      'set target.restoreLocation to the paired region the container is in (eastus)',
    );
  });

  it('an alert-started drill is never told to set restoreFrom to primaryRegion', () => {
    const cases: (() => unknown)[] = [
      () =>
        decideCrossRegion(
          { ...GRS, crossRegionRestoreState: 'Disabled' },
          { kind: 'files' },
          { alert: true },
        ),
      () => decideCrossRegion({ ...GRS, storageTypes: [] }, { kind: 'files' }, { alert: true }),
      () => decideCrossRegion({ ...GRS, vaultLocation: undefined }, { kind: 'files' }, { alert: true }),
      () => decideCrossRegion(GRS, { kind: 'files', restoreLocation: 'westus' }, { alert: true }),
      () => decideCrossRegion(GRS, { kind: 'files' }, { alert: true }),
      () =>
        decideCrossRegion({ ...GRS, targetServerLocation: 'westus' }, { kind: 'database' }, { alert: true }),
    ];
    for (const fn of cases) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      const f = toFailure(err);
      expect(f.message).not.toContain('primaryRegion');
      expect(f.recommendedActions.join(' ')).not.toContain('primaryRegion');
    }
    const outside = toFailure(
      (() => {
        try {
          decideCrossRegion(GRS, { kind: 'files', restoreLocation: 'westus' }, { alert: true });
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(outside.message).toContain("plan's cross-region template");
    // Started by a person: the primary region stays a way out.
    expect(
      refusal(() => decideCrossRegion(GRS, { kind: 'files', restoreLocation: 'westus' })).message,
    ).toContain('set restoreFrom to primaryRegion');
  });

  it('accepts a target in the paired region, comparing regions without case or spaces', () => {
    expect(
      decideCrossRegion(
        { ...GRS, vaultLocation: 'West US', targetServerLocation: 'East US' },
        { kind: 'database' },
      ),
    ).toEqual({ sourceRegion: 'westus', targetRegion: 'eastus' });
    expect(
      decideCrossRegion(
        { ...GRS, crossRegionRestoreState: 'enabled' },
        { kind: 'files', restoreLocation: 'East US' },
      ),
    ).toEqual({
      sourceRegion: 'westus',
      targetRegion: 'eastus',
    });
  });

  it("falls back to Azure's region pairs when the vault lists no replicatedRegions", () => {
    const facts = { ...GRS, vaultLocation: 'eastus2euap', replicatedRegions: undefined } as CrossRegionFacts;
    expect(
      decideCrossRegion({ ...facts, targetServerLocation: 'centraluseuap' }, { kind: 'database' }),
    ).toEqual({
      sourceRegion: 'eastus2euap',
      targetRegion: 'centraluseuap',
    });
    expect(pairedRegionOf('North Europe')).toBe('westeurope');
    expect(pairedRegionOf('westus3')).toBe('eastus');
    const unknown = refusal(() =>
      decideCrossRegion({ ...facts, vaultLocation: 'nowhere' }, { kind: 'files' }),
    );
    expect(unknown.code).toBe('PairedRegionUnknown');
    expect(unknown.message).toContain('check that the vault is geo-redundant');
    const noLocation = refusal(() =>
      decideCrossRegion({ ...GRS, vaultLocation: undefined }, { kind: 'files' }),
    );
    expect(noLocation.code).toBe('PairedRegionUnknown');
    expect(noLocation.message).toContain('check the vault');
  });

  it('every refusal code has a recommended action', () => {
    for (const code of [
      'CrossRegionRestoreNotEnabled',
      'TargetNotInPairedRegion',
      'PairedRegionUnknown',
      'CrossRegionRestoreNotInApiVersion',
    ])
      expect(recommendedActionFor(code), code).toBeDefined();
  });
});

describe('cross-region report figures', () => {
  it('replication lag is newest primary minus newest secondary (not the chosen point); regional RPO drill start minus newest secondary', () => {
    const cr = crossRegionOf({
      startedAt: '2026-01-05T12:00:00.000Z',
      crossRegion: {
        sourceRegion: 'westus',
        restoreRegion: 'eastus',
        recoveryPointTime: '2026-01-05T08:00:00.000Z',
        newestSecondaryPointTime: '2026-01-05T09:00:00.000Z',
        newestPrimaryPointTime: '2026-01-05T11:00:00.000Z',
      },
    });
    // 11:00 - 09:00, whatever point (08:00) the policy restored.
    expect(cr?.replicationLagSeconds).toBe(2 * 3600);
    expect(cr?.regionalRpoSeconds).toBe(3 * 3600);
  });

  it('an "oldest" drill: the lag is not the chosen point\'s age, and neither figure is negative', () => {
    const cr = crossRegionOf({
      startedAt: '2026-01-05T12:00:00.000Z',
      crossRegion: {
        sourceRegion: 'westus',
        restoreRegion: 'eastus',
        recoveryPointTime: '2025-12-01T00:00:00.000Z',
        newestSecondaryPointTime: '2026-01-05T10:00:00.000Z',
        newestPrimaryPointTime: '2026-01-05T10:00:00.000Z',
      },
    });
    expect(cr?.replicationLagSeconds).toBe(0);
    expect(cr?.regionalRpoSeconds).toBe(2 * 3600);
    const later = crossRegionOf({
      startedAt: '2026-01-05T12:00:00.000Z',
      crossRegion: {
        sourceRegion: 'westus',
        restoreRegion: 'eastus',
        newestSecondaryPointTime: '2026-01-05T12:30:00.000Z',
        newestPrimaryPointTime: '2026-01-05T11:00:00.000Z',
      },
    });
    expect(later?.replicationLagSeconds).toBe(0);
    expect(later?.regionalRpoSeconds).toBe(0);
  });

  it('leaves out what it cannot measure (primary list unread), and is absent for same-region drills', () => {
    const cr = crossRegionOf({
      startedAt: '2026-01-05T12:00:00.000Z',
      crossRegion: {
        sourceRegion: 'westus',
        restoreRegion: 'eastus',
        recoveryPointTime: '2026-01-05T08:00:00.000Z',
        newestSecondaryPointTime: '2026-01-05T08:00:00.000Z',
      },
    });
    expect(cr).not.toHaveProperty('replicationLagSeconds');
    expect(cr?.regionalRpoSeconds).toBe(4 * 3600);
    expect(crossRegionOf({ startedAt: '2026-01-05T12:00:00.000Z' })).toBeUndefined();
  });
});

describe('cross-region job watchers', () => {
  it('a vault has one watcher for its own jobs and another per paired region, whatever the id casing', () => {
    const regions = { sourceRegion: 'westus', targetRegion: 'eastus' };
    expect(vaultWatcherId(VAULT, regions)).not.toBe(vaultWatcherId(VAULT));
    expect(vaultWatcherId(VAULT.toUpperCase(), { ...regions, targetRegion: 'EastUS' })).toBe(
      vaultWatcherId(VAULT, regions),
    );
  });
});

describe('cross-region restore body and selection', () => {
  it('sends restoreLocation as the ARM name of the paired region, not as typed', () => {
    const request = parseDrillRequest({
      backupInstanceId: `${VAULT}/backupInstances/bi1`,
      restoreFrom: 'secondaryRegion',
      target: {
        kind: 'files',
        containerUrl: 'https://acct.blob.core.windows.net/drills',
        restoreLocation: 'North Europe',
      },
    });
    const datasourceId =
      '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/src';
    const plan = (restoreRegion?: string) =>
      planRestore({
        drillId: 'drill-crr-1',
        request,
        instance: { datasourceId, location: 'westeurope' },
        recoveryPointId: 'rp-1',
        dataStore: 'VaultStore',
        ...(restoreRegion ? { restoreRegion } : {}),
      }).body as { restoreTargetInfo: { restoreLocation?: string } };
    expect(plan('northeurope').restoreTargetInfo.restoreLocation).toBe('northeurope');
    // Same-region drills: as before (as typed), so their replay decides the same.
    expect(plan().restoreTargetInfo.restoreLocation).toBe('North Europe');
  });

  it('an empty paired-region list says nothing is replicated yet, with the newest primary time', () => {
    const r = noReplicatedPoint('2026-01-05T11:00:00.000Z');
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.message;
    expect(message).toContain('no recovery point has been replicated to the paired region yet');
    expect(message).toContain('2026-01-05T11:00:00.000Z');
    expect(message).toContain('archive-tier');
    expect(message).not.toContain('has no recovery points');
    expect(noReplicatedPoint().ok ? '' : noReplicatedPoint()).toMatchObject({ code: 'NoRecoveryPoint' });
  });
});

describe('cross-region restore job lookups', () => {
  const BI = `${VAULT}/backupInstances/bi1`;
  const REGIONS = { sourceRegion: 'westus', targetRegion: 'eastus' };
  const crrJob = (name: string, startTime: string, destination: string) =>
    ({
      id: `/subscriptions/x/providers/Microsoft.DataProtection/locations/eastus/backupJobs/${name}`,
      name,
      type: 'Microsoft.DataProtection/backupVaults/backupJobs',
      properties: {
        operation: 'Restore',
        operationCategory: 'CrossRegionRestore',
        status: 'InProgress',
        startTime,
        backupInstanceId: BI,
        extendedInfo: { recoveryDestination: destination, sourceRecoverPoint: { recoveryPointID: 'rp-1' } },
      },
    }) as unknown as BackupJobResource;

  function activities(jobs: BackupJobResource[], calls: { since?: Date; posts: number }) {
    const dp = {
      *listCrossRegionRestoreJobs(_vault: string, _regions: unknown, since?: Date) {
        calls.since = since;
        yield* jobs;
      },
      triggerCrossRegionRestore: () => {
        calls.posts++;
        return Promise.resolve({ operation: 'restore', status: 'succeeded', retryAfterSeconds: 0, polls: 0 });
      },
    };
    return dataProtectionActivities({
      dataProtection: dp,
      now: () => new Date('2026-01-05T10:10:00Z'),
      reports: {
        // An earlier attempt, long enough ago that its settle window is over.
        lastRestoreAttempt: () => Promise.resolve({ at: new Date('2026-01-05T10:01:00Z'), definite: false }),
        recordRestoreAttempt: () => Promise.resolve(),
      },
    } as unknown as ActivityDeps);
  }
  const input = {
    drillId: 'drill-crr-1',
    backupInstanceId: BI,
    vaultId: VAULT,
    body: { recoveryPointId: 'rp-1' } as unknown as RestoreRequest,
    notBefore: '2026-01-05T10:00:00Z',
    destination: 'https://acct.blob.core.windows.net/drills/pgdrill-crr-1',
    crossRegion: REGIONS,
  };

  it('asks the list for jobs since the drill began (60 s of slack), and filters by start itself too', async () => {
    const calls = { posts: 0 } as { since?: Date; posts: number };
    // The service ignored $filter: an old job of another destination is skipped, the drill's own is found.
    const acts = activities(
      [
        crrJob('old', '2025-12-01T00:00:00Z', 'https://acct.blob.core.windows.net/other'),
        crrJob('ours', '2026-01-05T10:01:05Z', input.destination),
      ],
      calls,
    );
    const out = await acts.triggerRestore(input);
    expect(calls.since?.toISOString()).toBe('2026-01-05T09:59:00.000Z');
    expect(out).toMatchObject({ reused: true, state: { jobId: 'ours' } });
    expect(calls.posts).toBe(0);
  });

  it('a CRR job of the same instance and point whose destination is not recognisably ours: no second POST', async () => {
    const calls = { posts: 0 } as { since?: Date; posts: number };
    const acts = activities(
      [crrJob('unclear-job', '2026-01-05T10:01:05Z', 'https://acct.blob.core.windows.net/drills')],
      calls,
    );
    const err = await acts.triggerRestore(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    const f = toFailure(err);
    expect(f.code).toBe('RestoreNotConfirmed');
    expect(f.message).toContain('unclear-job');
    expect(f.message).toContain('by hand');
    expect(calls.posts).toBe(0);
    // Nothing of the kind in the list: the POST goes out.
    const none = activities([], calls);
    await none.triggerRestore(input);
    expect(calls.posts).toBe(1);
  });
});
