/**
 * Choosing the recovery point a drill restores. Pure and deterministic: "random" choices are drawn from the
 * drill id, so a replayed or retried drill picks the same point.
 */
import { sameName } from '../dataprotection/armId';
import { fnv1a } from './names';

export interface PointSummary {
  id: string;
  time: string;
  /** Data stores holding a usable copy now (an archived point that was rehydrated counts as VaultStore too). */
  stores: ('VaultStore' | 'ArchiveStore')[];
}

export interface SelectionPolicy {
  policy: 'latest' | 'id' | 'latestBefore' | 'randomWithinWindow' | 'oldest';
  id?: string;
  before?: string;
  windowDays?: number;
  dataStore?: 'preferVault' | 'VaultStore' | 'ArchiveStore' | 'any';
}

export type Selection =
  | { ok: true; point: PointSummary; dataStore: 'VaultStore' | 'ArchiveStore'; candidates: number }
  | { ok: false; code: 'NoRecoveryPoint'; message: string };

function byTime(a: PointSummary, b: PointSummary): number {
  return Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id);
}

export function selectRecoveryPoint(
  points: PointSummary[],
  policy: SelectionPolicy,
  drillStart: Date,
  seed: string,
): Selection {
  const store = policy.dataStore ?? 'preferVault';
  const hasVault = (p: PointSummary) => p.stores.includes('VaultStore');
  const hasArchive = (p: PointSummary) => p.stores.includes('ArchiveStore');
  let pool: PointSummary[];
  switch (store) {
    case 'VaultStore':
      pool = points.filter(hasVault);
      break;
    case 'ArchiveStore':
      pool = points.filter(hasArchive);
      break;
    case 'any':
      pool = points.filter((p) => hasVault(p) || hasArchive(p));
      break;
    default: {
      // Prefer points that restore without rehydration; fall back to archived ones only when needed.
      const vault = points.filter(hasVault);
      pool = vault.length ? vault : points.filter(hasArchive);
    }
  }
  if (policy.policy === 'latestBefore')
    pool = pool.filter((p) => Date.parse(p.time) <= Date.parse(policy.before!));
  if (policy.policy === 'randomWithinWindow') {
    const from = drillStart.getTime() - policy.windowDays! * 86_400_000;
    pool = pool.filter((p) => Date.parse(p.time) >= from && Date.parse(p.time) <= drillStart.getTime());
  }
  if (policy.policy === 'id') pool = pool.filter((p) => sameName(p.id, policy.id!));
  pool = [...pool].sort(byTime);
  const none = (why: string): Selection => ({ ok: false, code: 'NoRecoveryPoint', message: why });
  if (pool.length === 0) {
    if (points.length === 0) return none('the backup instance has no recovery points');
    const what: Record<SelectionPolicy['policy'], string> = {
      latest: 'no recovery point',
      oldest: 'no recovery point',
      id: `no recovery point with id ${policy.id}`,
      latestBefore: `no recovery point at or before ${policy.before}`,
      randomWithinWindow: `no recovery point in the last ${policy.windowDays} day(s)`,
    };
    return none(`${what[policy.policy]} qualifies (data store: ${store}; ${points.length} point(s) in all)`);
  }
  let point: PointSummary;
  if (policy.policy === 'oldest') point = pool[0]!;
  else if (policy.policy === 'randomWithinWindow') point = pool[fnv1a(seed) % pool.length]!;
  else point = pool[pool.length - 1]!;
  const dataStore = store === 'ArchiveStore' || !hasVault(point) ? 'ArchiveStore' : 'VaultStore';
  return { ok: true, point, dataStore, candidates: pool.length };
}

/**
 * A cross-region drill whose paired region lists no recovery point: the backup instance may well have points,
 * they are just not replicated yet (replication trails by hours; archive-tier points never replicate).
 */
export function noReplicatedPoint(newestPrimaryTime?: string): Selection {
  return {
    ok: false,
    code: 'NoRecoveryPoint',
    message: `no recovery point has been replicated to the paired region yet${newestPrimaryTime ? ` (the newest point in the vault's own region is from ${newestPrimaryTime})` : ''}: replication to the paired region trails the primary by hours, and archive-tier points are never replicated; run the drill again later, or restore from primaryRegion`,
  };
}

/** The time of the newest point, if any (ISO 8601). */
export function newestPointTime(points: readonly PointSummary[]): string | undefined {
  let newest: PointSummary | undefined;
  for (const p of points) if (!newest || byTime(p, newest) > 0) newest = p;
  return newest?.time;
}
