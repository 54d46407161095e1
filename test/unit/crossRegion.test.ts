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
import { recommendedActionFor } from '../../src/lib/recommendedActions';
import { vaultWatcherId } from '../../src/lib/drill/jobWatch';
import { crossRegionOf } from '../../src/lib/drill/report';

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

  it('accepts a target in the paired region, comparing regions without case or spaces', () => {
    expect(
      decideCrossRegion(
        { ...GRS, vaultLocation: 'West US', targetServerLocation: 'East US' },
        { kind: 'database' },
      ),
    ).toEqual({ sourceRegion: 'westus', targetRegion: 'eastus' });
    expect(decideCrossRegion({ ...GRS, crossRegionRestoreState: 'enabled' }, { kind: 'files' })).toEqual({
      sourceRegion: 'westus',
      targetRegion: 'eastus',
    });
  });

  it("falls back to Azure's region pairs when the vault lists no replicatedRegions", () => {
    const facts = { ...GRS, vaultLocation: 'eastus2euap', replicatedRegions: undefined } as CrossRegionFacts;
    expect(decideCrossRegion(facts, { kind: 'files' })).toEqual({
      sourceRegion: 'eastus2euap',
      targetRegion: 'centraluseuap',
    });
    expect(pairedRegionOf('North Europe')).toBe('westeurope');
    expect(pairedRegionOf('westus3')).toBe('eastus');
    const unknown = refusal(() =>
      decideCrossRegion({ ...facts, vaultLocation: 'nowhere' }, { kind: 'files' }),
    );
    expect(unknown.code).toBe('PairedRegionUnknown');
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
  it('replication lag is newest primary minus the chosen secondary; regional RPO drill start minus newest secondary', () => {
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
    expect(cr?.replicationLagSeconds).toBe(3 * 3600);
    expect(cr?.regionalRpoSeconds).toBe(3 * 3600);
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
