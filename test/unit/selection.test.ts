/** Recovery point selection: pure, deterministic, every policy and data store preference. */
import { describe, expect, it } from 'vitest';
import { selectRecoveryPoint, type PointSummary } from '../../src/lib/drill/selection';

const start = new Date('2026-11-27T12:00:00Z');
const day = (d: number) => new Date(start.getTime() - d * 86_400_000).toISOString();
const points: PointSummary[] = [
  { id: 'a40', time: day(40), stores: ['ArchiveStore'] },
  { id: 'a20', time: day(20), stores: ['ArchiveStore', 'VaultStore'] }, // archived and rehydrated
  { id: 'v7', time: day(7), stores: ['VaultStore'] },
  { id: 'v3', time: day(3), stores: ['VaultStore'] },
  { id: 'v1', time: day(1), stores: ['VaultStore'] },
];
const pick = (policy: Parameters<typeof selectRecoveryPoint>[1], seed = 'drill-1') =>
  selectRecoveryPoint(points, policy, start, seed);

describe('recovery point selection', () => {
  it('latest and oldest, preferring vault copies', () => {
    expect(pick({ policy: 'latest' })).toMatchObject({
      ok: true,
      point: { id: 'v1' },
      dataStore: 'VaultStore',
      candidates: 4,
    });
    expect(pick({ policy: 'oldest' })).toMatchObject({
      ok: true,
      point: { id: 'a20' },
      dataStore: 'VaultStore',
    });
  });

  it('ArchiveStore restores archived points with rehydration; any takes the vault copy when there is one', () => {
    expect(pick({ policy: 'oldest', dataStore: 'ArchiveStore' })).toMatchObject({
      ok: true,
      point: { id: 'a40' },
      dataStore: 'ArchiveStore',
      candidates: 2,
    });
    expect(pick({ policy: 'oldest', dataStore: 'any' })).toMatchObject({
      point: { id: 'a40' },
      dataStore: 'ArchiveStore',
    });
    expect(pick({ policy: 'latest', dataStore: 'any' })).toMatchObject({
      point: { id: 'v1' },
      dataStore: 'VaultStore',
    });
  });

  it('preferVault falls back to archived points only when no vault copy exists', () => {
    const archivedOnly = points.filter((p) => !p.stores.includes('VaultStore'));
    expect(selectRecoveryPoint(archivedOnly, { policy: 'latest' }, start, 's')).toMatchObject({
      ok: true,
      point: { id: 'a40' },
      dataStore: 'ArchiveStore',
    });
  });

  it('id and latestBefore', () => {
    expect(pick({ policy: 'id', id: 'v7' })).toMatchObject({ point: { id: 'v7' } });
    expect(pick({ policy: 'id', id: 'nope' })).toEqual({
      ok: false,
      code: 'NoRecoveryPoint',
      message: expect.stringContaining('no recovery point with id nope'),
    });
    expect(pick({ policy: 'latestBefore', before: day(2) })).toMatchObject({ point: { id: 'v3' } });
    expect(pick({ policy: 'latestBefore', before: day(100) })).toMatchObject({
      ok: false,
      message: expect.stringContaining('at or before'),
    });
  });

  it('randomWithinWindow is drawn from the seed: the same drill always picks the same point', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const a = pick({ policy: 'randomWithinWindow', windowDays: 10 }, `drill-${i}`);
      const b = pick({ policy: 'randomWithinWindow', windowDays: 10 }, `drill-${i}`);
      expect(a).toEqual(b);
      if (a.ok) seen.add(a.point.id);
    }
    expect([...seen].sort()).toEqual(['v1', 'v3', 'v7']); // all and only the points of the last 10 days
    expect(pick({ policy: 'randomWithinWindow', windowDays: 0.5 } as never)).toMatchObject({
      ok: false,
      message: expect.stringContaining('last 0.5 day'),
    });
  });

  it('no points at all says so', () => {
    expect(selectRecoveryPoint([], { policy: 'latest' }, start, 's')).toEqual({
      ok: false,
      code: 'NoRecoveryPoint',
      message: 'the backup instance has no recovery points',
    });
  });
});
