/**
 * Fleet drills, the pure part: which backup instances a fleet plan's scope selects (and why the others are
 * left out), which template each one gets, how recently each was drilled (coverage), in what order they are
 * drilled, when each may start within the plan's start window, and which may start now within the caps.
 * No I/O: the scoping activity feeds it what ARM and the report table say; the fleet orchestrator decides
 * with it. Pure and deterministic (the start offsets hash the plan and instance, no randomness).
 */
import { createHash } from 'node:crypto';
import type { DatasourceKind } from '../dataprotection/armId';
import type { FleetCapsNormalized, FleetScope, FleetTemplate } from './plans';
import type { RestoreFrom } from './request';

/** A backup instance found through ARM, with what the scope and the templates look at. */
export interface FleetInstance {
  backupInstanceId: string;
  /** The backup instance's name (what include/exclude patterns match). */
  name: string;
  vaultId: string;
  /** The vault's ARM location. */
  region?: string;
  /** A kind the app drills, or the datasource's resource type when it is not one. */
  kind: DatasourceKind | { unsupported: string };
  /** The source server's tags (empty when the server could not be read: then tag rules cannot match). */
  tags: Record<string, string>;
  protectionStatus?: string;
  /** The datasource's ARM id (what a resource alert may name). */
  datasourceId?: string;
}

export interface ScopeDecision {
  backupInstanceId: string;
  reason: string;
}

/** `*` any run of characters, `?` one; whole name, case-insensitive (ARM names are). */
export function matchesPattern(name: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Why the scope leaves this instance out, or undefined when it is in. */
export function outOfScope(scope: FleetScope, instance: FleetInstance): string | undefined {
  if (typeof instance.kind !== 'string')
    return `its datasource is a ${instance.kind.unsupported}; fleets drill Single Server databases and Flexible Servers`;
  if (scope.kinds && !scope.kinds.includes(instance.kind))
    return `its kind ${instance.kind} is not in scope.kinds (${scope.kinds.join(', ')})`;
  if (scope.include && !scope.include.some((p) => matchesPattern(instance.name, p)))
    return `its name ${instance.name} matches no scope.include pattern`;
  const excluded = scope.exclude?.find((p) => matchesPattern(instance.name, p));
  if (excluded) return `its name ${instance.name} matches scope.exclude pattern ${excluded}`;
  for (const [tag, wanted] of Object.entries(scope.tags ?? {})) {
    const key = Object.keys(instance.tags).find((k) => k.toLowerCase() === tag.toLowerCase());
    if (key === undefined) return `its source server has no tag ${tag}`;
    const value = instance.tags[key]!;
    const accepted = Array.isArray(wanted) ? wanted : [wanted];
    if (!accepted.includes('*') && !accepted.includes(value))
      return `its source server's tag ${tag} is "${value}", not ${accepted.map((v) => `"${v}"`).join(' or ')}`;
  }
  return undefined;
}

const normRegion = (r: string) => r.replace(/\s+/g, '').toLowerCase();

/**
 * The first template for the instance's kind and its vault's region, by index. restoreFrom: only templates
 * that restore from there (a Service Health run: a same-region template would restore into the incident).
 */
export function templateFor(
  templates: FleetTemplate[],
  instance: FleetInstance,
  restoreFrom?: 'secondaryRegion',
): number | undefined {
  const i = templates.findIndex(
    (t) =>
      t.kind === instance.kind &&
      (restoreFrom === undefined || t.request.restoreFrom === restoreFrom) &&
      (!t.region || (instance.region !== undefined && normRegion(t.region) === normRegion(instance.region))),
  );
  return i < 0 ? undefined : i;
}

/** A drill of the report table, as coverage reads it. */
export interface PastDrill {
  drillId: string;
  backupInstanceId: string;
  startedAt: string;
  verdict: string;
  /** Where it restored from; absent (every drill before cross-region drills existed): primaryRegion. */
  restoreFrom?: RestoreFrom;
}

/**
 * What coverage is counted for: a backup instance restored from one place. Same-region and cross-region drills
 * prove different things, so each counts only for its own kind (an instance id alone: same-region drills).
 */
export type CoverageSubject = string | { backupInstanceId: string; restoreFrom: RestoreFrom };

export interface CoverageEntry {
  backupInstanceId: string;
  /** Present for cross-region coverage only: the entry counts drills that restored from the secondary region. */
  restoreFrom?: 'secondaryRegion';
  /** The newest drill of this instance, whatever its verdict. */
  lastDrill?: { drillId: string; startedAt: string; verdict: string };
  /** When its newest passed drill started: what proves the backup restores. */
  lastPassedAt?: string;
  /** Days since lastPassedAt (one decimal), when there is one. */
  ageDays?: number;
  /** No passed drill within the coverage window (always true without a passed drill). */
  overdue: boolean;
}

const DAY_MS = 86_400_000;

/** The key coverage is counted by: instance (case-insensitively, as ARM ids are) and where it restored from. */
function coverageKey(backupInstanceId: string, restoreFrom: RestoreFrom | undefined): string {
  return `${restoreFrom ?? 'primaryRegion'} ${backupInstanceId.toLowerCase()}`;
}

/**
 * Each instance's coverage, least recently drilled first (never drilled first of all, then the oldest last
 * drill; ties by id, so the order is stable). Without a window nothing is overdue. A subject counts only the
 * drills that restored from where it says (an instance id alone: the primary region), so a monthly
 * same-region drill never proves a quarterly cross-region plan, nor the other way round.
 */
export function coverageOf(
  subjects: CoverageSubject[],
  drills: PastDrill[],
  now: Date,
  everyDays: number | undefined,
): CoverageEntry[] {
  const byKey = new Map<string, PastDrill[]>();
  for (const d of drills) {
    const key = coverageKey(d.backupInstanceId, d.restoreFrom);
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  const entries = subjects.map((subject): CoverageEntry => {
    const { backupInstanceId: id, restoreFrom }: { backupInstanceId: string; restoreFrom: RestoreFrom } =
      typeof subject === 'string' ? { backupInstanceId: subject, restoreFrom: 'primaryRegion' } : subject;
    const mine = (byKey.get(coverageKey(id, restoreFrom)) ?? []).sort((a, b) =>
      b.startedAt.localeCompare(a.startedAt),
    );
    const last = mine[0];
    const passed = mine.find((d) => d.verdict === 'passed');
    const ageMs = passed ? now.getTime() - Date.parse(passed.startedAt) : undefined;
    return {
      backupInstanceId: id,
      ...(restoreFrom === 'secondaryRegion' ? { restoreFrom } : {}),
      ...(last
        ? { lastDrill: { drillId: last.drillId, startedAt: last.startedAt, verdict: last.verdict } }
        : {}),
      ...(passed ? { lastPassedAt: passed.startedAt, ageDays: Math.round((ageMs! / DAY_MS) * 10) / 10 } : {}),
      overdue: everyDays !== undefined && (ageMs === undefined || ageMs > everyDays * DAY_MS),
    };
  });
  return entries.sort((a, b) => {
    const at = a.lastDrill?.startedAt ?? '';
    const bt = b.lastDrill?.startedAt ?? '';
    return at.localeCompare(bt) || a.backupInstanceId.localeCompare(b.backupInstanceId);
  });
}

/**
 * Whether a fleet run drills this instance: with a coverage window, only when no passed drill falls within it
 * (a failed drill does not count as proof, so a failing instance is drilled again); without one, always.
 */
export function dueForDrill(entry: CoverageEntry, everyDays: number | undefined): boolean {
  return everyDays === undefined || entry.overdue;
}

/**
 * Seconds after the window opens at which this instance's drill may start: a hash of plan, slot and
 * instance spread over the window, so the same run always gives the same offsets and drills do not all
 * start at the first second.
 */
export function startOffsetSeconds(
  plan: string,
  slot: string,
  instanceId: string,
  windowMinutes: number,
): number {
  const h = createHash('sha256').update(`${plan}\n${slot}\n${instanceId.toLowerCase()}`).digest();
  return Math.floor((h.readUInt32BE(0) / 2 ** 32) * windowMinutes * 60);
}

/** What the caps count a drill against. */
export interface CapKeys {
  vault: string;
  /** The target server (restore as database) or drill server (files loaded); none for files not loaded. */
  server?: string;
}

/** The keys of a drill built from a template for an instance in this vault. */
export function capKeysOf(template: FleetTemplate, vaultId: string): CapKeys {
  const t = template.request.target;
  const server =
    t.kind === 'database'
      ? t.serverId.toLowerCase()
      : t.load
        ? `${t.load.host.toLowerCase()}:${t.load.port ?? 5432}`
        : undefined;
  return { vault: vaultId.toLowerCase(), ...(server ? { server } : {}) };
}

/** A drill waiting for its turn. */
export interface Queued {
  index: number;
  keys: CapKeys;
  /** Not before this time (ms since epoch): its start offset within the window. */
  notBefore: number;
}

/**
 * Which queued drills may start now, in queue order, without passing any cap given the running ones: one
 * that is capped (its vault or server is full) or not yet due does not hold back the ones behind it.
 */
export function startable(
  queue: Queued[],
  running: CapKeys[],
  caps: FleetCapsNormalized,
  now: number,
): Queued[] {
  const vaults = new Map<string, number>();
  const servers = new Map<string, number>();
  const add = (k: CapKeys) => {
    vaults.set(k.vault, (vaults.get(k.vault) ?? 0) + 1);
    if (k.server) servers.set(k.server, (servers.get(k.server) ?? 0) + 1);
  };
  running.forEach(add);
  let total = running.length;
  const out: Queued[] = [];
  for (const q of queue) {
    if (total >= caps.total) break;
    if (q.notBefore > now) continue;
    if ((vaults.get(q.keys.vault) ?? 0) >= caps.perVault) continue;
    if (q.keys.server && (servers.get(q.keys.server) ?? 0) >= caps.perServer) continue;
    out.push(q);
    add(q.keys);
    total++;
  }
  return out;
}

/** ARM ids compare case-insensitively: the same instance listed twice (a vault and its group) counts once. */
export function uniqueInstances(instances: FleetInstance[]): FleetInstance[] {
  const seen = new Set<string>();
  return instances.filter((i) => {
    const key = i.backupInstanceId.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
