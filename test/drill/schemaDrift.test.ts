/**
 * Schema drift and the negative control, on complete drills against the emulator (real PostgreSQL restores),
 * Azurite (the report history the next drill reads its predecessor's fingerprint from) and the real
 * orchestrator: the first drill of an instance records a fingerprint with nothing to compare; the next one of
 * the same data finds it unchanged (the hash is deterministic); a schema change taken into a new backup is named
 * (and fails the drill when asked); a negative control catches checks that cannot fail, and passes checks that
 * demand data, running as the drill's read-only login on an empty database recorded before it was created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/lib/drill/report';
import { negativeControlDatabaseName } from '../../src/lib/drill/names';
import { arm, armToken } from '../support/emulator';
import { drillLeftovers } from '../support/leftovers';
import { FLEX_BI, SINGLE_BI, singleDatabaseRequest, startDrillRig, type DrillRig } from '../support/drill';

let rig: DrillRig;

beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

const line = (report: DrillReport, check: string, database?: string) =>
  report.verification.find((c) => c.check === check && (database === undefined || c.database === database));

async function backupAfter(sql: string, backupInstanceId = SINGLE_BI): Promise<void> {
  const token = await armToken(rig.emu);
  const res = await arm(rig.emu, token, 'POST', '/_emulator/backup', { backupInstanceId, sql });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

describe('schema drift', () => {
  it('first drill: no previous fingerprint; the same data again: unchanged, same hash; a change: named; fail mode fails', async () => {
    const first = (await rig.run(singleDatabaseRequest())).report;
    expect(first.verdict).toBe('passed');
    expect(line(first, 'schema', 'shop')).toMatchObject({
      status: 'passed',
      message: expect.stringMatching(
        /^no previous fingerprint of this database to compare with; recorded \d+ object/,
      ),
    });
    const [fp] = first.schemaFingerprints!;
    expect(fp).toMatchObject({ database: 'shop', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fp!.count).toBe(Object.keys(fp!.objects).length);
    expect(fp!.objects).toMatchObject({
      'schema public': '',
      'table public.orders': '',
      'column public.orders.amount': 'numeric(10,2) not null',
      'column public.orders.id': "integer not null default nextval('public.orders_id_seq'::regclass)",
      'index public.orders_pkey': 'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)',
      'constraint public.orders.orders_customer_id_fkey':
        'FOREIGN KEY (customer_id) REFERENCES public.customers(id)',
      'sequence public.orders_id_seq': '',
    });
    // Nothing of the catalogs, nor of what the drill itself made (its login, its grants).
    for (const key of Object.keys(fp!.objects))
      expect(key).not.toMatch(/pg_catalog|information_schema|pg_toast|pgdrill/);

    // The same recovery point again (its restored database has another name): the same fingerprint.
    const second = (await rig.run(singleDatabaseRequest())).report;
    expect(second.schemaFingerprints![0]!.sha256).toBe(fp!.sha256);
    expect(line(second, 'schema')).toMatchObject({
      status: 'passed',
      expected: fp!.sha256,
      actual: fp!.sha256,
      message: expect.stringContaining(`unchanged since drill ${first.drillId}`),
    });

    // The source's schema changes and a new backup is taken: the next drill names what changed, and still
    // passes by default (informational).
    await backupAfter(
      'ALTER TABLE orders ADD COLUMN note text; CREATE INDEX orders_updated_idx ON orders (updated_at); ' +
        'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2); ALTER TABLE customers DROP CONSTRAINT customers_pkey CASCADE',
    );
    const third = (await rig.run(singleDatabaseRequest())).report;
    expect(third.verdict).toBe('passed');
    const drift = line(third, 'schema')!;
    expect(drift.status).toBe('passed');
    expect(drift.expected).toBe(fp!.sha256);
    expect(drift.actual).not.toBe(fp!.sha256);
    expect(drift.message).toContain(`changed since drill ${second.drillId}`);
    expect(drift.message).toContain('added 2: column public.orders.note, index public.orders_updated_idx');
    expect(drift.message).toContain('removed 3: constraint public.customers.customers_pkey');
    expect(drift.message).toContain('index public.customers_pkey');
    expect(drift.message).toContain('changed 1: column public.orders.amount');
    expect(drift.message).toContain('(informational: verify.schemaDrift is report)');

    // Asked to fail on drift: another change fails the drill with SchemaChanged and what to do.
    await backupAfter('ALTER TABLE orders DROP COLUMN note');
    const fourth = (
      await rig.run(
        singleDatabaseRequest({
          verify: { tables: [{ name: 'public.orders', minRows: 1 }], schemaDrift: 'fail' },
        }),
      )
    ).report;
    expect(fourth.verdict).toBe('failed');
    expect(line(fourth, 'schema')).toMatchObject({
      status: 'failed',
      code: 'SchemaChanged',
      message: expect.stringContaining(
        `changed since drill ${third.drillId}: removed 1: column public.orders.note`,
      ),
    });
    expect(fourth.failure).toMatchObject({ phase: 'verify', code: 'SchemaChanged' });
    expect(fourth.failure!.recommendedActions![0]).toMatch(/next drill compares with this one/);

    // A failed drill's fingerprint still counts: the next drill of the same point finds nothing changed.
    const fifth = (
      await rig.run(
        singleDatabaseRequest({
          verify: { schemaDrift: 'fail', tables: [{ name: 'public.orders', minRows: 1 }] },
        }),
      )
    ).report;
    expect(fifth.verdict).toBe('passed');
    expect(line(fifth, 'schema')!.message).toContain(`unchanged since drill ${fourth.drillId}`);

    // off: no fingerprint, no line.
    const off = (await rig.run(singleDatabaseRequest({ verify: { schemaDrift: 'off' } }))).report;
    expect(line(off, 'schema')).toBeUndefined();
    expect(off.schemaFingerprints).toBeUndefined();
  }, 300_000);

  it('restore as files: one fingerprint per loaded database; without a drill server: not applicable', async () => {
    const loaded = (await rig.run({ backupInstanceId: FLEX_BI, target: rig.filesTarget() })).report;
    expect(loaded.verdict).toBe('passed');
    expect(loaded.schemaFingerprints!.map((f) => f.database).sort()).toEqual(['billing', 'inventory']);
    expect(line(loaded, 'schema', 'billing')!.status).toBe('passed');
    expect(loaded.schemaFingerprints![0]!.objects['column public.items.updated_at']).toBe(
      'timestamp with time zone not null default now()',
    );
    const { load: _load, ...notLoaded } = rig.filesTarget();
    const files = (
      await rig.run({ backupInstanceId: FLEX_BI, target: notLoaded, verify: { negativeControl: true } })
    ).report;
    expect(files.verdict).toBe('passed');
    expect(line(files, 'schema')).toMatchObject({
      status: 'skipped',
      message: expect.stringMatching(/^not applicable/),
    });
    expect(line(files, 'negativeControl')).toMatchObject({
      status: 'skipped',
      message: expect.stringMatching(/^not applicable/),
    });
  }, 180_000);
});

describe('negative control', () => {
  it('catches checks that cannot fail: every one passes on an empty database, so the drill fails', async () => {
    const { report, drillId } = await rig.run(
      singleDatabaseRequest({
        verify: {
          assertions: [
            { name: 'always one', sql: 'SELECT 1', expected: 1 },
            {
              name: 'no bad orders',
              sql: "SELECT count(*) FROM pg_class WHERE relname = 'orders' AND false",
              expected: 0,
            },
          ],
          negativeControl: true,
        },
      }),
    );
    // The checks themselves passed on the restored database; the control is what fails the drill.
    expect(line(report, 'assertion always one', 'shop')!.status).toBe('passed');
    expect(report.verdict).toBe('failed');
    const control = line(report, 'negativeControl')!;
    expect(control).toMatchObject({
      status: 'failed',
      code: 'NegativeControlPassed',
      actual: 'all 2 passed',
      message: expect.stringContaining('assertion always one, assertion no bad orders'),
    });
    expect(report.failure).toMatchObject({ phase: 'verify', code: 'NegativeControlPassed' });
    expect(report.failure!.recommendedActions![0]).toMatch(
      /^Make the checks demand data, e\.g\. a table with minRows/,
    );
    // The empty database was recorded before it was created, named after the drill, and is gone.
    const name = negativeControlDatabaseName(drillId);
    expect(report.cleanup.resources).toContainEqual(
      expect.objectContaining({
        kind: 'scratchDatabase',
        name,
        secretUri: expect.stringContaining('tgt-admin'),
      }),
    );
    expect(report.cleanup.actions).toContainEqual(
      expect.objectContaining({
        resource: expect.stringContaining(name),
        action: 'drop database',
        status: 'absent',
      }),
    );
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 180_000);

  it('passes when checks demand data, naming how many failed on empty data and which passed there anyway', async () => {
    const { report } = await rig.run(
      singleDatabaseRequest({
        verify: {
          tables: [{ name: 'public.orders', minRows: 1 }, { name: 'public.customers' }],
          assertions: [{ name: 'always one', sql: 'SELECT 1', expected: 1 }],
          negativeControl: true,
        },
      }),
    );
    expect(report.verdict).toBe('passed');
    expect(line(report, 'negativeControl')).toMatchObject({
      status: 'passed',
      database: '(empty database)',
      actual: '2 of 3 failed',
      message:
        '2 of 3 table check(s) and assertion(s) failed on an empty database, as they should; these passed there too and prove nothing alone: assertion always one',
    });
    // The checks on the empty database ran as the drill's read-only login: a write is refused there too.
    const sneaky = (
      await rig.run(
        singleDatabaseRequest({
          verify: {
            tables: [{ name: 'public.orders', minRows: 1 }],
            assertions: [{ name: 'write', sql: 'CREATE TABLE pwned (x int)', expected: null }],
            negativeControl: true,
          },
        }),
      )
    ).report;
    expect(line(sneaky, 'assertion write')!.status).toBe('error');
    expect(line(sneaky, 'negativeControl')).toMatchObject({ status: 'passed', actual: '2 of 2 failed' });
  }, 180_000);

  it('restore as files: the empty database is on the drill server; a request with no table check or assertion is caught', async () => {
    const { report, drillId } = await rig.run({
      backupInstanceId: FLEX_BI,
      target: rig.filesTarget(),
      verify: {
        tables: [{ name: 'public.items', database: 'inventory', minRows: 1 }],
        negativeControl: true,
      },
    });
    expect(report.verdict).toBe('passed');
    expect(line(report, 'negativeControl')).toMatchObject({ status: 'passed', actual: '1 of 1 failed' });
    expect(report.cleanup.resources).toContainEqual(
      expect.objectContaining({
        kind: 'scratchDatabase',
        name: negativeControlDatabaseName(drillId),
        host: rig.drillServer.host,
        port: rig.drillServer.port,
      }),
    );
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    // A request with nothing that could fail on empty data is caught too.
    const empty = (
      await rig.run({
        backupInstanceId: FLEX_BI,
        target: rig.filesTarget(),
        verify: { negativeControl: true },
      })
    ).report;
    expect(empty.verdict).toBe('failed');
    expect(line(empty, 'negativeControl')).toMatchObject({
      status: 'failed',
      code: 'NegativeControlPassed',
      actual: 'no table check or assertion to run',
    });
  }, 180_000);
});
