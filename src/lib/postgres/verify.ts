/**
 * Verification of restored data (docs/design.md, "Safety"; docs/security.md). The login it is given is the
 * drill's read-only role (sandbox.ts), or the admin in the weaker mode. Either way every check runs in its own
 * BEGIN READ ONLY transaction with a statement_timeout, is rolled back, and user SQL is sent with the extended
 * query protocol, which runs exactly one statement: "SELECT 1; COMMIT; DROP TABLE t" is refused by the server
 * before anything runs. A check that outlives its timeout by a second is cancelled from the client side too.
 * Each check yields one result line for the report.
 */
import pg from 'pg';
import type { CheckResult } from '../types/generated/drill-report';
import type { Verification } from '../types/generated/drill-request';
import { connect, quoteIdent, type PgLogin } from './client';
import { toFailure } from '../errors';
import { majorOf } from './dumpHeader';
import type { SchemaObject } from '../drill/schemaDrift';

export interface VerifyOptions {
  /** Source database name the spec's optional "database" fields refer to. */
  sourceDatabase: string;
  spec: Verification;
  recoveryPointTime: string;
  /** Server version the dump came from (restore as files), for the version check. */
  dumpServerVersion?: string;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/** How long past its statement_timeout a check may run before the client cancels it. */
const CLIENT_GRACE_MS = 1_000;
const MULTIPLE_STATEMENTS = /cannot insert multiple commands into a prepared statement/i;

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

type Outcome = Omit<CheckResult, 'check' | 'database' | 'durationMs'>;

/** One connection that checks run on; replaced when a check had to be cancelled from the client side. */
class CheckSession {
  private client: pg.Client | undefined;

  constructor(
    private readonly login: PgLogin,
    private readonly database: string,
    private readonly timeoutMs: number,
  ) {}

  async open(): Promise<void> {
    this.client = await connect(this.login, this.database, {
      applicationName: 'pg-restore-drill verify',
      queryTimeoutMs: this.timeoutMs + CLIENT_GRACE_MS,
    });
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** Runs `fn` in a read-only transaction with the statement timeout, then rolls back. */
  async inReadOnlyTransaction<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    if (!this.client) await this.open();
    const c = this.client!;
    try {
      await c.query('BEGIN READ ONLY');
      await c.query(`SET LOCAL statement_timeout = ${Math.floor(this.timeoutMs)}`);
      const outcome = await fn(c);
      await c.query('ROLLBACK');
      return outcome;
    } catch (err) {
      if (/query read timeout/i.test((err as Error).message)) {
        // The server did not stop it: cancel it through the protocol, and start the next check afresh.
        await cancelRunning(c, this.login, this.database);
        await this.close();
      } else await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/** Sends a protocol cancel request for whatever `client` runs now (needs no privilege). */
async function cancelRunning(client: pg.Client, login: PgLogin, database: string): Promise<void> {
  const active = (client as unknown as { activeQuery?: unknown }).activeQuery;
  if (!active) return;
  const canceller = new pg.Client({ host: login.host, port: login.port, user: login.user, database });
  canceller.on('error', () => undefined);
  (canceller as unknown as { cancel(c: pg.Client, q: unknown): void }).cancel(client, active);
  await new Promise((r) => setTimeout(r, 200));
}

/** User SQL: one statement, extended protocol, first column of the first row. */
async function userValue(c: pg.Client, sql: string): Promise<unknown> {
  const r = await c.query({ text: sql, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig);
  return (r.rows[0] as unknown[] | undefined)?.[0];
}

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { message: string; code?: string };
  if (e.code === '57014' || /query read timeout/i.test(e.message))
    return `timed out after ${timeoutMs} ms (statement_timeout)`;
  if (e.code === '42601' && MULTIPLE_STATEMENTS.test(e.message))
    return 'the SQL must be exactly one statement: it holds more than one, and none of them ran';
  if (e.code === '25006') return `refused: checks are read-only (${e.message})`;
  if (e.code === '42501') return `refused: the drill's read-only login may not do that (${e.message})`;
  return e.message;
}

export async function verifyDatabase(
  login: PgLogin,
  database: string,
  options: VerifyOptions,
): Promise<CheckResult[]> {
  const { spec, sourceDatabase } = options;
  const db = sourceDatabase;
  const results: CheckResult[] = [];
  const timeout = spec.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const session = new CheckSession(login, database, timeout);
  const started = Date.now();
  try {
    await session.open();
  } catch (err) {
    // A server briefly unreachable: the whole verification is retried (the activity fails retryably).
    if (toFailure(err).isRetryable) throw err;
    results.push({
      check: 'connect',
      database: db,
      status: 'error',
      message: `cannot connect to ${database} on ${login.host}:${login.port} as ${login.user}: ${(err as Error).message}`,
      durationMs: Date.now() - started,
    });
    return results;
  }
  results.push({
    check: 'connect',
    database: db,
    status: 'passed',
    message: `connected to ${database} on ${login.host}:${login.port}`,
    durationMs: Date.now() - started,
  });

  const check = async (name: string, fn: (c: pg.Client) => Promise<Outcome>): Promise<void> => {
    const t0 = Date.now();
    try {
      const r = await session.inReadOnlyTransaction(fn);
      results.push({ check: name, database: db, ...r, durationMs: Date.now() - t0 });
    } catch (err) {
      // The connection was lost (the server stopped): retry the whole verification rather than judge the data.
      if (toFailure(err).isRetryable && !/query read timeout/i.test((err as Error).message)) throw err;
      results.push({
        check: name,
        database: db,
        status: 'error',
        message: describeError(err, timeout),
        durationMs: Date.now() - t0,
      });
    }
  };

  try {
    await check('server version', async (c) => {
      const r = await c.query<{ v: string; n: string }>(
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
      await check(`schema ${schema}`, async (c) => {
        const r = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
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
      await check(`table ${t.name}`, async (c) => {
        const [schema, table] = t.name.split('.') as [string, string];
        const exists = await c.query<{ oid: number; reltuples: number }>(
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
          const n = await c.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
          );
          rows = Number(n.rows[0]!.n);
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
      await check('canary', async (c) => {
        const raw = await userValue(c, canary.sql);
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
      await check(`assertion ${a.name}`, async (c) => {
        const actual = asText(await userValue(c, a.sql));
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
    await session.close();
  }
  return results;
}

/**
 * The objects of a database's user schemas (pg_catalog, information_schema, pg_toast, temporary schemas and
 * what extensions own are left out; roles, grants and comments are not objects here, so the drill's own
 * verification login leaves no trace): schemas; tables, views, materialized views, foreign tables and sequences;
 * columns with type, NOT NULL, identity, generated expression and default; indexes and table constraints with
 * their definitions. Read in one read-only transaction with search_path empty, so every name in a definition is
 * schema-qualified the same way whoever reads it.
 */
export async function readSchemaObjects(
  login: PgLogin,
  database: string,
  timeoutMs: number,
): Promise<SchemaObject[]> {
  const session = new CheckSession(login, database, timeoutMs);
  try {
    return await session.inReadOnlyTransaction(async (c) => {
      await c.query("SELECT set_config('search_path', '', true)");
      const n = await c.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
      const major = Math.floor(Number(n.rows[0]!.n) / 10000);
      const r = await c.query<{ key: string; def: string }>(schemaObjectsSql(major));
      return r.rows.map((row) => ({ key: row.key, def: row.def ?? '' }));
    });
  } finally {
    await session.close();
  }
}

/** The catalog query of readSchemaObjects; identity columns exist from PostgreSQL 10, generated ones from 12. */
function schemaObjectsSql(major: number): string {
  const identity =
    major >= 10
      ? `|| CASE a.attidentity WHEN 'a' THEN ' generated always as identity' WHEN 'd' THEN ' generated by default as identity' ELSE '' END`
      : '';
  const generated =
    major >= 12
      ? `WHEN a.attgenerated = 's' THEN ' generated always as (' || pg_get_expr(ad.adbin, ad.adrelid) || ') stored'`
      : '';
  return `
WITH ns AS (
  SELECT s.oid, s.nspname FROM pg_namespace s
  WHERE s.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND s.nspname NOT LIKE 'pg\\_temp\\_%' AND s.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_namespace'::regclass AND d.objid = s.oid AND d.deptype = 'e')
), rel AS (
  SELECT c.oid, c.relname, c.relkind, n.nspname FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT 'schema ' || nspname AS key, '' AS def FROM ns
UNION ALL
SELECT CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'sequence' END
       || ' ' || nspname || '.' || relname,
       CASE relkind WHEN 'p' THEN 'partitioned' ELSE '' END
FROM rel
UNION ALL
SELECT 'column ' || r.nspname || '.' || r.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       ${identity}
       || CASE ${generated}
               WHEN ad.adbin IS NOT NULL THEN ' default ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END
FROM rel r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE r.relkind <> 'S'
UNION ALL
SELECT 'index ' || r.nspname || '.' || i.relname, pg_get_indexdef(i.oid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN rel r ON r.oid = x.indrelid
UNION ALL
SELECT 'constraint ' || r.nspname || '.' || r.relname || '.' || con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN rel r ON r.oid = con.conrelid`;
}
