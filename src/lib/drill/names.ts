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

/**
 * The database a restore as database creates: pgdrill_{token}, or the request's label (which starts with
 * pgdrill_) followed by the token. Every name a drill creates carries its drill id, so no drill can ever take
 * another's database (or restore job) for its own.
 */
export function drillDatabaseName(drillId: string, label?: string): string {
  const token = drillToken(drillId);
  if (!label) return `${DB_PREFIX}${token}`;
  return `${label.slice(0, MAX_IDENTIFIER - token.length - 1)}_${token}`;
}

/** The prefix of the files a restore as files writes: pgdrill-{token}, or the request's label and the token. */
export function drillFilePrefix(drillId: string, label?: string): string {
  const token = drillToken(drillId);
  return label ? `${label}-${token}` : `${FILE_PREFIX}${token}`;
}

/** The drill's read-only verification login (a role name, so the database prefix and a marker). */
export function sandboxRoleName(drillId: string): string {
  return `${DB_PREFIX}ro_${drillToken(drillId)}`;
}

/** The scratch database a restored dump of `database` is loaded into. */
export function scratchDatabaseName(drillId: string, database: string): string {
  const base = `${DB_PREFIX}${drillToken(drillId)}_${database.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}`;
  if (base.length <= MAX_IDENTIFIER) return base;
  const hash = fnv1a(database).toString(36);
  return `${base.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}`;
}

/**
 * The empty scratch database of the negative control: pgdrill_{token}_negative-control. It is one of the drill's
 * scratch databases (cleanup knows it by the same prefix), and the hyphen keeps it apart from every loaded
 * dump's (scratchDatabaseName makes [a-z0-9_] of a source database name), so it can never be one of them.
 */
export function negativeControlDatabaseName(drillId: string): string {
  return `${DB_PREFIX}${drillToken(drillId)}_negative-control`;
}

/** Characters that may follow a drill's file prefix in the name of a file the restore wrote. */
const FILE_SEPARATORS = ['_', '-', '.', '/'];

/** A restored file of the drill whose prefix is `prefix`: the prefix, a separator, then anything. */
export function isRestoredFileOf(name: string, prefix: string): boolean {
  return (
    name.length > prefix.length + 1 &&
    name.startsWith(prefix) &&
    FILE_SEPARATORS.includes(name[prefix.length]!)
  );
}
