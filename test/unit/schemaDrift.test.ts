/**
 * The pure parts of schema drift and the negative control: the fingerprint is a hash of the sorted list (input
 * order does not matter, any definition does), the comparison names added, removed and changed objects in
 * bounded length, the check follows the mode, and the control's verdict follows the checks on the empty database.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isControlled, judgeNegativeControl, negativeControlSpec } from '../../src/lib/drill/negativeControl';
import { negativeControlDatabaseName, scratchDatabaseName } from '../../src/lib/drill/names';
import { notOwnedBy } from '../../src/lib/drill/resources';
import { planNegativeControl } from '../../src/lib/drill/restorePlan';
import {
  describeDiff,
  diffFingerprints,
  fingerprintOf,
  MAX_STORED_OBJECTS,
  schemaCheck,
} from '../../src/lib/drill/schemaDrift';

const objects = [
  { key: 'table public.orders', def: '' },
  { key: 'column public.orders.id', def: 'integer not null' },
  { key: 'column public.orders.amount', def: 'numeric(10,2) not null' },
];

describe('schema fingerprint', () => {
  it('is sha256 over "key<TAB>definition" lines sorted by key, whatever order the catalog returned', () => {
    const a = fingerprintOf('shop', objects);
    const b = fingerprintOf('shop', [...objects].reverse());
    expect(a).toEqual(b);
    const lines = [...objects]
      .sort((x, y) => (x.key < y.key ? -1 : 1))
      .map((o) => `${o.key}\t${o.def}\n`)
      .join('');
    expect(a.sha256).toBe(createHash('sha256').update(lines).digest('hex'));
    expect(a).toMatchObject({ database: 'shop', count: 3 });
    expect(Object.keys(a.objects)).toEqual([
      'column public.orders.amount',
      'column public.orders.id',
      'table public.orders',
    ]);
    // Any definition changes the hash.
    expect(
      fingerprintOf('shop', [...objects.slice(0, 2), { ...objects[2]!, def: 'numeric(12,2) not null' }])
        .sha256,
    ).not.toBe(a.sha256);
  });

  it('keeps at most MAX_STORED_OBJECTS in the report; the hash and count cover them all', () => {
    const many = Array.from({ length: MAX_STORED_OBJECTS + 5 }, (_, i) => ({
      key: `table s.t${i}`,
      def: '',
    }));
    const fp = fingerprintOf('big', many);
    expect(fp.count).toBe(MAX_STORED_OBJECTS + 5);
    expect(Object.keys(fp.objects)).toHaveLength(MAX_STORED_OBJECTS);
    expect(fp.truncated).toBe(true);
    expect(fingerprintOf('big', many.slice(1)).sha256).not.toBe(fp.sha256);
  });

  it('the difference names added, removed and changed objects, at most 8 of each', () => {
    const before = fingerprintOf('shop', objects);
    const after = fingerprintOf('shop', [
      { key: 'table public.orders', def: '' },
      { key: 'column public.orders.amount', def: 'numeric(12,2) not null' },
      ...Array.from({ length: 10 }, (_, i) => ({ key: `column public.orders.c${i}`, def: 'text' })),
    ]);
    const diff = diffFingerprints(before, after);
    expect(diff.removed).toEqual(['column public.orders.id']);
    expect(diff.changed).toEqual(['column public.orders.amount']);
    expect(diff.added).toHaveLength(10);
    expect(describeDiff(diff)).toBe(
      'added 10: column public.orders.c0, column public.orders.c1, column public.orders.c2, column public.orders.c3, ' +
        'column public.orders.c4, column public.orders.c5, column public.orders.c6, column public.orders.c7, and 2 more; ' +
        'removed 1: column public.orders.id; changed 1: column public.orders.amount',
    );
  });

  it('the schema check: nothing to compare; unchanged; changed (report passes, fail fails with SchemaChanged)', () => {
    const fp = fingerprintOf('shop', objects);
    expect(schemaCheck('report', fp, undefined)).toMatchObject({
      check: 'schema',
      database: 'shop',
      status: 'passed',
      actual: fp.sha256,
      message: expect.stringMatching(/^no previous fingerprint/),
    });
    const same = { drillId: 'drill-a', fingerprint: fp };
    expect(schemaCheck('fail', fp, same)).toMatchObject({ status: 'passed', expected: fp.sha256 });
    const changed = fingerprintOf('shop', objects.slice(1));
    const prev = { drillId: 'drill-a', fingerprint: changed };
    expect(schemaCheck('report', fp, prev)).toMatchObject({
      status: 'passed',
      message:
        'changed since drill drill-a: added 1: table public.orders (informational: verify.schemaDrift is report)',
    });
    expect(schemaCheck('fail', fp, prev)).toMatchObject({
      status: 'failed',
      code: 'SchemaChanged',
      expected: changed.sha256,
      recommendedActions: [expect.stringMatching(/next drill compares with this one/)],
    });
  });
});

describe('negative control', () => {
  it('runs every table check and assertion, whichever database it names, and nothing else', () => {
    const spec = negativeControlSpec({
      statementTimeoutMs: 500,
      schemas: ['public'],
      tables: [{ name: 'public.a', database: 'inventory', minRows: 1 }],
      canary: { sql: 'SELECT now()' },
      assertions: [{ name: 'x', sql: 'SELECT 1', expected: 1, database: 'billing' }],
    });
    expect(spec).toEqual({
      statementTimeoutMs: 500,
      tables: [{ name: 'public.a', minRows: 1 }],
      assertions: [{ name: 'x', sql: 'SELECT 1', expected: 1 }],
    });
    expect(['table public.a', 'assertion x', 'canary', 'connect', 'schema public'].map(isControlled)).toEqual(
      [true, true, false, false, false],
    );
  });

  it('passes when one check fails on empty data (errors count), fails when all pass or there is none', () => {
    expect(
      judgeNegativeControl([
        { check: 'connect', status: 'passed' },
        { check: 'table public.a', status: 'error' },
        { check: 'assertion x', status: 'passed' },
      ]),
    ).toMatchObject({
      status: 'passed',
      actual: '1 of 2 failed',
      message: expect.stringContaining('assertion x'),
    });
    expect(judgeNegativeControl([{ check: 'assertion x', status: 'passed' }])).toMatchObject({
      check: 'negativeControl',
      status: 'failed',
      code: 'NegativeControlPassed',
      actual: 'all 1 passed',
    });
    expect(judgeNegativeControl([{ check: 'connect', status: 'passed' }])).toMatchObject({
      status: 'failed',
      actual: 'no table check or assertion to run',
    });
  });

  it("its database carries the drill's id, is the drill's own for cleanup, and no loaded dump can have its name", () => {
    const name = negativeControlDatabaseName('drill-abc');
    expect(name).toMatch(/^pgdrill_\w+_negative-control$/);
    expect(name.length).toBeLessThanOrEqual(63);
    const { creates, verifyTarget } = planNegativeControl('drill-abc', {
      database: 'shop',
      connectDatabase: 'pgdrill_x',
      secretUri: 'https://kv.vault.azure.net/secrets/tgt',
      adminDatabase: 'postgres',
    });
    expect(creates).toEqual({
      kind: 'scratchDatabase',
      name,
      secretUri: 'https://kv.vault.azure.net/secrets/tgt',
      adminDatabase: 'postgres',
    });
    expect(verifyTarget).toMatchObject({ connectDatabase: name, database: '(empty database)' });
    expect(notOwnedBy('drill-abc', creates)).toBeNull();
    expect(notOwnedBy('drill-other', creates)).not.toBeNull();
    for (const db of ['negative-control', 'negative_control', 'NEGATIVE-CONTROL'])
      expect(scratchDatabaseName('drill-abc', db)).not.toBe(name);
  });
});
