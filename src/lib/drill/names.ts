/**
 * Names a drill gives to what it creates: a fixed prefix plus the drill's own id, so cleanup can recognise
 * its own resources and refuse everything else. Pure.
 */
export const DB_PREFIX = 'pgdrill_';
export const FILE_PREFIX = 'pgdrill-';
const MAX_IDENTIFIER = 63; // PostgreSQL NAMEDATALEN - 1

/** FNV-1a 32-bit: a small stable hash for names and deterministic choices (not for security). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A short, lower-case token of a drill id fit for database names and blob prefixes. */
export function drillToken(drillId: string): string {
  const clean = drillId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .slice(-16);
  return `${clean}${fnv1a(drillId).toString(36)}`.slice(0, 24);
}

export function defaultDatabaseName(drillId: string): string {
  return `${DB_PREFIX}${drillToken(drillId)}`;
}

export function defaultFilePrefix(drillId: string): string {
  return `${FILE_PREFIX}${drillToken(drillId)}`;
}

/** The scratch database a restored dump of `database` is loaded into. */
export function scratchDatabaseName(drillId: string, database: string): string {
  const base = `${DB_PREFIX}${drillToken(drillId)}_${database.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`;
  if (base.length <= MAX_IDENTIFIER) return base;
  const hash = fnv1a(database).toString(36);
  return `${base.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}`;
}

/** Cleanup's guard: a database name this drill may drop. */
export function isDrillDatabase(name: string, drillId: string, recorded: readonly string[]): boolean {
  return (
    name.startsWith(DB_PREFIX) &&
    recorded.includes(name) &&
    name.length <= MAX_IDENTIFIER &&
    drillId.length > 0
  );
}
