/**
 * Verification of restored data (docs/design.md, "Safety"). Every check runs in its own BEGIN READ ONLY
 * transaction with a statement_timeout, so a check can neither change the restored data nor hang the drill.
 * Each check yields one result line for the report.
 */
import pg from 'pg';
import type { CheckResult } from '../types/generated/drill-report';
import type { Verification } from '../types/generated/drill-request';
import { majorOf } from './dumpHeader';
import { sslOption } from './connection';

export interface VerifyConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslMode?: string;
}

export interface VerifyOptions {
  /** Source database name the spec's optional "database" fields refer to. */
  sourceDatabase: string;
  spec: Verification;
  recoveryPointTime: string;
  /** Server version the dump came from (restore as files), for the version check. */
  dumpServerVersion?: string;
}

function applies(item: { database?: string }, sourceDatabase: string): boolean {
  return item.database === undefined || item.database === sourceDatabase;
}

/** A query result value as text: timestamps as ISO 8601, JSON values as JSON. */
function asText(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (raw instanceof Date) return raw.toISOString();
  if (
    typeof raw === 'string' ||
    typeof raw === 'number' ||
    typeof raw === 'boolean' ||
    typeof raw === 'bigint'
  )
    return String(raw);
  return JSON.stringify(raw);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function verifyDatabase(conn: VerifyConnection, options: VerifyOptions): Promise<CheckResult[]> {
  const { spec, sourceDatabase } = options;
  const db = sourceDatabase;
  const results: CheckResult[] = [];
  const timeout = spec.statementTimeoutMs ?? 30_000;
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password,
    database: conn.database,
    ssl: sslOption(conn.sslMode),
    connectionTimeoutMillis: 15_000,
    application_name: 'pg-restore-drill verify',
  });
  const started = Date.now();
  try {
    await client.connect();
  } catch (err) {
    results.push({
      check: 'connect',
      database: db,
      status: 'error',
      message: `cannot connect to ${conn.database} on ${conn.host}:${conn.port}: ${(err as Error).message}`,
      durationMs: Date.now() - started,
    });
    return results;
  }
  results.push({
    check: 'connect',
    database: db,
    status: 'passed',
    message: `connected to ${conn.database} on ${conn.host}:${conn.port}`,
    durationMs: Date.now() - started,
  });

  /** Runs `fn` in a read-only transaction with the statement timeout; returns its result line. */
  const check = async (
    name: string,
    fn: () => Promise<Omit<CheckResult, 'check' | 'database' | 'durationMs'>>,
  ): Promise<void> => {
    const t0 = Date.now();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.floor(timeout)}`);
      const r = await fn();
      await client.query('ROLLBACK');
      results.push({ check: name, database: db, ...r, durationMs: Date.now() - t0 });
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const e = err as { message: string; code?: string };
      const message = e.code === '57014' ? `timed out after ${timeout} ms (statement_timeout)` : e.message;
      results.push({ check: name, database: db, status: 'error', message, durationMs: Date.now() - t0 });
    }
  };

  try {
    await check('server version', async () => {
      const r = await client.query<{ v: string; n: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n",
      );
      const server = r.rows[0]!.v;
      const dumpMajor = majorOf(options.dumpServerVersion);
      const serverMajor = Math.floor(Number(r.rows[0]!.n) / 10000);
      if (dumpMajor === undefined) return { status: 'passed', actual: server, message: `server ${server}` };
      const ok = serverMajor >= dumpMajor;
      return {
        status: ok ? 'passed' : 'failed',
        expected: `>= ${dumpMajor}`,
        actual: server,
        message: ok
          ? `server ${server} can hold a dump of ${options.dumpServerVersion}`
          : `server ${server} is older than the dump's source (${options.dumpServerVersion})`,
      };
    });
    for (const schema of spec.schemas ?? []) {
      await check(`schema ${schema}`, async () => {
        const r = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        return r.rowCount
          ? { status: 'passed', message: `schema ${schema} exists` }
          : {
              status: 'failed',
              expected: 'exists',
              actual: 'missing',
              message: `schema ${schema} is missing`,
            };
      });
    }
    for (const t of (spec.tables ?? []).filter((x) => applies(x, db))) {
      await check(`table ${t.name}`, async () => {
        const [schema, table] = t.name.split('.') as [string, string];
        const exists = await client.query<{ oid: number; reltuples: number }>(
          `SELECT c.oid, c.reltuples::float8 AS reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm', 'v', 'f')`,
          [schema, table],
        );
        if (!exists.rowCount)
          return {
            status: 'failed',
            expected: 'exists',
            actual: 'missing',
            message: `table ${t.name} is missing`,
          };
        if (t.minRows === undefined) return { status: 'passed', message: `table ${t.name} exists` };
        let rows: number;
        let how: string;
        if (t.estimate) {
          rows = Math.max(0, Math.round(exists.rows[0]!.reltuples));
          how = 'estimated (pg_class.reltuples)';
        } else {
          const c = await client.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
          );
          rows = Number(c.rows[0]!.n);
          how = 'counted';
        }
        const ok = rows >= t.minRows;
        return {
          status: ok ? 'passed' : 'failed',
          expected: `>= ${t.minRows}`,
          actual: rows,
          message: `${rows} row(s) ${how} in ${t.name}; minimum ${t.minRows}`,
        };
      });
    }
    const canary = spec.canary;
    if (canary && applies(canary, db)) {
      await check('canary', async () => {
        const r = await client.query({ text: canary.sql, rowMode: 'array' });
        const raw = (r.rows[0] as unknown[] | undefined)?.[0];
        const tolerance = (canary.toleranceMinutes ?? 60) * 60_000;
        const floor = Date.parse(options.recoveryPointTime) - tolerance;
        const rawText = asText(raw);
        const value = raw instanceof Date ? raw : rawText === null ? undefined : new Date(rawText);
        if (!value || Number.isNaN(value.getTime())) {
          return {
            status: 'failed',
            expected: `a time >= ${new Date(floor).toISOString()}`,
            actual: asText(raw),
            message: 'the canary query returned no time',
          };
        }
        const ok = value.getTime() >= floor;
        const lagMinutes = Math.round((Date.parse(options.recoveryPointTime) - value.getTime()) / 6000) / 10;
        return {
          status: ok ? 'passed' : 'failed',
          expected: `>= ${new Date(floor).toISOString()}`,
          actual: value.toISOString(),
          message: ok
            ? `newest data is ${lagMinutes} min older than the recovery point (tolerance ${canary.toleranceMinutes ?? 60} min)`
            : `newest data is ${lagMinutes} min older than the recovery point, beyond the tolerance of ${canary.toleranceMinutes ?? 60} min: the backup is staler than its timestamp`,
        };
      });
    }
    for (const a of (spec.assertions ?? []).filter((x) => applies(x, db))) {
      await check(`assertion ${a.name}`, async () => {
        const r = await client.query({ text: a.sql, rowMode: 'array' });
        const raw = (r.rows[0] as unknown[] | undefined)?.[0];
        const actual = asText(raw);
        const expected = a.expected === null ? null : String(a.expected);
        const ok = actual === expected;
        return {
          status: ok ? 'passed' : 'failed',
          expected: a.expected,
          actual,
          message: ok ? `${a.name}: ${actual}` : `${a.name}: expected ${expected}, got ${actual}`,
        };
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return results;
}
