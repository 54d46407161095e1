/**
 * The verification sandbox against a corpus of escapes (docs/security.md): complete drills whose checks try to
 * write, commit, run programs, read server files, kill other sessions, sleep past their timeout, or reach the
 * server through dblink — once with an admin that can create the drill's read-only login (the role mode), once
 * with an admin that cannot (the weaker mode). Afterwards nothing persists, no program ran, the unrelated
 * session lives, no check ran past its timeout + 1 s, and the drill's login is gone.
 */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/lib/drill/report';
import { SINGLE_BI, startDrillRig, TARGET_SERVER, type DrillRig } from '../support/drill';

const KV = 'https://kv-test.vault.azure.net/secrets';
const TIMEOUT_MS = 1000;
const marker = join(tmpdir(), `pgdrill-escape-${process.pid}`);

let rig: DrillRig;
let unrelated: pg.Client;

function admin(database = 'postgres'): pg.Client {
  const c = new pg.Client({ ...rig.emu.ctx.servers.get('tgt-single')!.admin, database });
  c.on('error', () => undefined);
  return c;
}

async function query<T extends pg.QueryResultRow>(database: string, sql: string, values: unknown[] = []) {
  const c = admin(database);
  await c.connect();
  try {
    return (await c.query<T>(sql, values)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    // A login that may create databases but not roles: the weaker mode.
    extraSecrets: {
      'tgt-weak': { connectionStringFor: 'tgt-single', user: 'weakadmin', password: 'weak-pw' },
    },
  });
  await query('postgres', "CREATE ROLE weakadmin LOGIN CREATEDB PASSWORD 'weak-pw'");
  // dblink in every new database of the target server (restored databases are created from template1).
  await query('template1', 'CREATE EXTENSION IF NOT EXISTS dblink');
  unrelated = admin();
  unrelated.on('error', () => undefined);
  await unrelated.connect();
}, 120_000);

afterAll(async () => {
  await unrelated?.end().catch(() => undefined);
  rmSync(marker, { force: true });
  await rig?.stop();
});

async function corpus(): Promise<{ name: string; sql: string }[]> {
  const pid = (await unrelated.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const { host, port } = rig.emu.ctx.servers.get('tgt-single')!.admin;
  return [
    { name: 'commit then create', sql: 'SELECT 1; COMMIT; CREATE TABLE escape_x (i int)' },
    { name: 'commit then drop', sql: 'COMMIT; DROP TABLE orders' },
    { name: 'commit then create role', sql: 'COMMIT; CREATE ROLE escape_role' },
    { name: 'copy to program', sql: `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'` },
    { name: 'commit then sleep', sql: 'COMMIT; SELECT pg_sleep(6)' },
    { name: 'terminate another session', sql: `SELECT pg_terminate_backend(${pid})` },
    { name: 'read write transaction', sql: 'SET TRANSACTION READ WRITE' },
    { name: 'read only off', sql: 'SET default_transaction_read_only = off' },
    { name: 'write after read only off', sql: 'CREATE TABLE escape_z (i int)' },
    // A sequence moves even when its transaction rolls back: only a read-only transaction (or no privilege) stops it.
    { name: 'advance a sequence', sql: "SELECT nextval('orders_id_seq')" },
    { name: 'do block', sql: 'DO $$ BEGIN CREATE TABLE escape_y (i int); END $$' },
    { name: 'do block commit', sql: 'DO $$ BEGIN COMMIT; CREATE TABLE escape_y2 (i int); END $$' },
    {
      name: 'dblink',
      sql: `SELECT dblink_exec('host=${host} port=${port} dbname=postgres user=postgres', 'CREATE TABLE escape_dblink (i int)')`,
    },
    { name: 'timeout off then sleep', sql: "SELECT set_config('statement_timeout', '0', true), pg_sleep(6)" },
    { name: 'plain sleep', sql: 'SELECT pg_sleep(6)' },
    { name: 'become superuser', sql: 'ALTER ROLE CURRENT_USER SUPERUSER' },
    { name: 'read a server file', sql: "SELECT pg_read_file('/etc/passwd')" },
    {
      name: 'delete through a CTE',
      sql: 'WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM d',
    },
  ];
}

async function runCorpus(secret: string): Promise<DrillReport> {
  const assertions = (await corpus()).map((a) => ({ ...a, expected: 'never' }));
  const { report } = await rig.run({
    backupInstanceId: SINGLE_BI,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/${secret}` },
    verify: { statementTimeoutMs: TIMEOUT_MS, assertions },
    // Kept, so the restored database can be inspected after verification.
    cleanup: { policy: 'never' },
  });
  return report;
}

async function expectNothingEscaped(report: DrillReport): Promise<void> {
  const restored = report.restored!.database!.name;
  const tables = (
    await query<{ relname: string }>(restored, "SELECT relname FROM pg_class WHERE relname LIKE 'escape%'")
  ).map((r) => r.relname);
  expect(tables).toEqual([]);
  expect((await query<{ n: string }>(restored, 'SELECT count(*)::text AS n FROM orders'))[0]!.n).toBe('10');
  expect(
    (await query<{ v: string }>(restored, 'SELECT last_value::text AS v FROM orders_id_seq'))[0]!.v,
  ).toBe('10');
  expect(await query('postgres', "SELECT 1 FROM pg_class WHERE relname = 'escape_dblink'")).toEqual([]);
  expect(await query('postgres', "SELECT 1 FROM pg_roles WHERE rolname = 'escape_role'")).toEqual([]);
  // No program ran; the unrelated session lives; the drill's login is gone.
  expect(existsSync(marker)).toBe(false);
  expect((await unrelated.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  expect(await query('postgres', "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgdrill_ro_%'")).toEqual(
    [],
  );
  // Every check ended within its timeout + 1 s.
  for (const c of report.verification)
    expect(c.durationMs ?? 0, `${c.check} took ${c.durationMs} ms`).toBeLessThanOrEqual(TIMEOUT_MS + 1000);
  const byName = Object.fromEntries(report.verification.map((c) => [c.check, c]));
  for (const name of [
    'commit then create',
    'commit then drop',
    'commit then create role',
    'commit then sleep',
  ])
    expect(byName[`assertion ${name}`]!.message).toMatch(/exactly one statement/);
  for (const name of ['timeout off then sleep', 'plain sleep'])
    expect(byName[`assertion ${name}`]!.message).toMatch(/timed out after 1000 ms/);
  await query('postgres', `DROP DATABASE ${restored} WITH (FORCE)`);
}

describe('verification sandbox', () => {
  it('as the drill read-only login: no statement of the escape corpus persists or reaches outside', async () => {
    const report = await runCorpus('tgt-admin');
    expect(report.verification[0]).toMatchObject({ check: 'sandbox', status: 'passed' });
    console.log(
      report.verification
        .map((c) => `${c.check}: ${c.status} (${c.durationMs ?? 0} ms) ${c.message}`)
        .join('\n'),
    );
    await expectNothingEscaped(report);
    const byName = Object.fromEntries(report.verification.map((c) => [c.check, c]));
    expect(byName['assertion copy to program']!.message).toMatch(/refused|permission denied/i);
    expect(byName['assertion terminate another session']!.status).not.toBe('passed');
  }, 120_000);

  it('in the weaker mode (an admin that cannot create roles) the report says so, and nothing escapes either', async () => {
    const report = await runCorpus('tgt-weak');
    expect(report.verification[0]).toMatchObject({
      check: 'sandbox',
      status: 'skipped',
      message: expect.stringContaining('weaker mode'),
    });
    await expectNothingEscaped(report);
  }, 120_000);
});
