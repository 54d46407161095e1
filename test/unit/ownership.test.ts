/** Cleanup trusts no recorded name: only names the drill itself could have created pass (pure). */
import { describe, expect, it } from 'vitest';
import {
  drillDatabaseName,
  drillFilePrefix,
  drillToken,
  isRestoredFileOf,
  sandboxRoleName,
  scratchDatabaseName,
} from '../../src/lib/drill/names';
import { notOwnedBy, type CreatedResource } from '../../src/lib/drill/resources';

const A = 'drill-2b9e1c4a-aaaa-4bbb-8ccc-000000000001';
const B = 'drill-2b9e1c4a-aaaa-4bbb-8ccc-000000000002';
const secretUri = 'https://kv.vault.azure.net/secrets/admin';
const db = (name: string): CreatedResource => ({ kind: 'database', name, serverId: '/s', secretUri });
const scratch = (name: string): CreatedResource => ({
  kind: 'scratchDatabase',
  name,
  host: 'h',
  port: 5432,
  adminDatabase: 'postgres',
  secretUri,
});
const role = (name: string): CreatedResource => ({
  kind: 'role',
  name,
  secretUri,
  adminDatabase: 'postgres',
  databases: [],
});
const blobs = (prefix: string): CreatedResource => ({
  kind: 'blobs',
  containerUrl: 'https://c',
  prefix,
  names: [],
});

describe('notOwnedBy', () => {
  it('accepts every name the drill creates, with or without a label', () => {
    for (const r of [
      db(drillDatabaseName(A)),
      db(drillDatabaseName(A, 'pgdrill_orders')),
      db(drillDatabaseName(A, `pgdrill_${'x'.repeat(54)}`)), // label cut to fit 63 characters
      scratch(scratchDatabaseName(A, 'orders')),
      scratch(scratchDatabaseName(A, 'A very long database name '.repeat(4))),
      role(sandboxRoleName(A)),
      blobs(drillFilePrefix(A)),
      blobs(drillFilePrefix(A, 'pgdrill-nightly')),
    ])
      expect(notOwnedBy(A, r), JSON.stringify(r)).toBeNull();
  });

  it("refuses another drill's names, foreign names and near misses", () => {
    const t = drillToken(A);
    for (const r of [
      db('customer_data'),
      db('postgres'),
      db(drillDatabaseName(B)),
      db(drillDatabaseName(B, 'pgdrill_orders')),
      db(`${drillDatabaseName(A)}x`),
      db(`pgdrill_${t}_extra`), // starts like A's, ends like nothing of A's
      db(`PGDRILL_${t}`),
      scratch(scratchDatabaseName(B, 'orders')),
      scratch(`pgdrill_${t}`), // no database part
      scratch('customer_data'),
      role('postgres'),
      role('app_owner'),
      role(sandboxRoleName(B)),
      role(`${sandboxRoleName(A)}x`),
      blobs(drillFilePrefix(B)),
      blobs('pgdrill-'),
      blobs(''),
      blobs('customers'),
      blobs(`${drillFilePrefix(A)}x`),
      blobs(`pgdrill-${t}/../x`),
    ])
      expect(notOwnedBy(A, r), JSON.stringify(r)).toMatch(new RegExp(`drill ${A}`));
  });

  it("a file of another drill whose prefix extends this drill's is not this drill's file", () => {
    const p = drillFilePrefix(A);
    expect(isRestoredFileOf(`${p}/db.dump`, p)).toBe(true);
    expect(isRestoredFileOf(`${p}_db.dump`, p)).toBe(true);
    expect(isRestoredFileOf(`${p}zzz_db.dump`, p)).toBe(false);
    expect(isRestoredFileOf(p, p)).toBe(false);
  });
});
