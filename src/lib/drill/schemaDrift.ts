/**
 * Schema drift (docs/design.md, "Schema drift and the negative control"): a restored database's schema as a
 * canonical list of objects — each a key (kind and qualified name) and its definition — hashed, kept in the
 * report, and compared with the previous drill's list of the same backup instance. The comparison names what was
 * added, removed and changed, in bounded length. Pure (the hash is node:crypto, deterministic).
 */
import { createHash } from 'node:crypto';
import { recommendedActionFor } from '../recommendedActions';
import type { CheckResult, SchemaFingerprint } from '../types/generated/drill-report';

export type { SchemaFingerprint };

/** The most objects a report keeps per database (the hash always covers them all). */
export const MAX_STORED_OBJECTS = 20_000;
/** The most names listed per kind of difference in a check's message. */
const MAX_NAMED = 8;

/** One object of a schema: `column public.orders.total` → `numeric(10,2) not null`. */
export interface SchemaObject {
  key: string;
  def: string;
}

/** A code-point comparison (never the locale's): the order, and so the hash, is the same everywhere. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The fingerprint of `objects`: sha256 over the lines "key\tdefinition" sorted by key, one a line. */
export function fingerprintOf(database: string, objects: readonly SchemaObject[]): SchemaFingerprint {
  const map = new Map<string, string>();
  for (const o of objects) {
    // Two objects under one key (never expected): both definitions are kept, in a stable order.
    const had = map.get(o.key);
    map.set(o.key, had === undefined ? o.def : [had, o.def].sort(byCodePoint).join(' | '));
  }
  const keys = [...map.keys()].sort(byCodePoint);
  const hash = createHash('sha256');
  for (const k of keys) hash.update(`${k}\t${map.get(k)!}\n`);
  const stored = keys.slice(0, MAX_STORED_OBJECTS);
  return {
    database,
    sha256: hash.digest('hex'),
    count: keys.length,
    objects: Object.fromEntries(stored.map((k) => [k, map.get(k)!])),
    ...(keys.length > stored.length ? { truncated: true } : {}),
  };
}

export interface SchemaDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed from `previous` to `current`, by object key, each list sorted. */
export function diffFingerprints(previous: SchemaFingerprint, current: SchemaFingerprint): SchemaDiff {
  const before = previous.objects;
  const after = current.objects;
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]);
  return {
    added: added.sort(byCodePoint),
    removed: removed.sort(byCodePoint),
    changed: changed.sort(byCodePoint),
  };
}

function named(label: string, keys: string[]): string | undefined {
  if (keys.length === 0) return undefined;
  const shown = keys.slice(0, MAX_NAMED).join(', ');
  return `${label} ${keys.length}: ${shown}${keys.length > MAX_NAMED ? `, and ${keys.length - MAX_NAMED} more` : ''}`;
}

/** One line for people: "added 1: column public.orders.note; changed 1: column public.orders.total". */
export function describeDiff(diff: SchemaDiff): string {
  return [named('added', diff.added), named('removed', diff.removed), named('changed', diff.changed)]
    .filter((x) => x !== undefined)
    .join('; ');
}

export type SchemaDriftMode = 'off' | 'report' | 'fail';

/** The previous drill whose fingerprint a database is compared with. */
export interface PreviousFingerprint {
  drillId: string;
  fingerprint: SchemaFingerprint;
}

/**
 * The `schema` check of one database: passed when there is nothing to compare with or nothing changed; when the
 * schema changed, passed (informational) in mode report and failed (SchemaChanged) in mode fail.
 */
export function schemaCheck(
  mode: Exclude<SchemaDriftMode, 'off'>,
  current: SchemaFingerprint,
  previous: PreviousFingerprint | undefined,
): Omit<CheckResult, 'durationMs'> {
  const base = { check: 'schema', database: current.database, actual: current.sha256 };
  const size = `${current.count} object(s), sha256 ${current.sha256.slice(0, 12)}`;
  if (!previous)
    return {
      ...base,
      status: 'passed',
      message: `no previous fingerprint of this database to compare with; recorded ${size}`,
    };
  const expected = previous.fingerprint.sha256;
  if (expected === current.sha256)
    return {
      ...base,
      status: 'passed',
      expected,
      message: `unchanged since drill ${previous.drillId} (${size})`,
    };
  let what = describeDiff(diffFingerprints(previous.fingerprint, current));
  if (previous.fingerprint.truncated || current.truncated)
    what = `${what ? `${what}; ` : ''}(lists truncated at ${MAX_STORED_OBJECTS} objects: the hashes differ)`;
  const message = `changed since drill ${previous.drillId}: ${what || 'the hashes differ'}`;
  return mode === 'fail'
    ? {
        ...base,
        status: 'failed',
        expected,
        code: 'SchemaChanged',
        recommendedActions: [recommendedActionFor('SchemaChanged')!],
        message,
      }
    : {
        ...base,
        status: 'passed',
        expected,
        message: `${message} (informational: verify.schemaDrift is report)`,
      };
}
