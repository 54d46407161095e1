/**
 * The verification sandbox (docs/design.md, "Safety"; docs/security.md): a login created for one drill on one
 * server, that can read the restored data and nothing else — no superuser, no CREATEDB/CREATEROLE, read access
 * through pg_read_all_data (PostgreSQL 14+) or SELECT grants in the drill's own databases (older servers),
 * default_transaction_read_only, statement and idle-in-transaction timeouts and a connection limit set on the
 * role, and a random password that never leaves the activity (only its SCRAM verifier is sent, so even a server
 * that logs DDL never sees it). The role's name carries the drill's id; it is dropped when verification ends,
 * and by cleanup if the activity died first.
 *
 * Where the admin login can create no role (neither superuser nor CREATEROLE), checks run in a weaker mode:
 * as the admin, each user statement alone (extended protocol) in a read-only transaction that is rolled back.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { withConnection, quoteIdent, quoteLiteral, type PgLogin } from './client';
import { AppError } from '../errors';
import { DB_PREFIX } from '../drill/names';

export interface SandboxOptions {
  /** statement_timeout of the role (checks also set it per transaction). */
  statementTimeoutMs: number;
  /** The role stops being able to log in after this (its drill's deadline). */
  validUntil: Date;
}

export type Sandbox =
  | { mode: 'role'; role: string; password: string; readAccess: 'pg_read_all_data' | 'grants' }
  | { mode: 'admin'; reason: string };

/** SCRAM-SHA-256 verifier of `password` (RFC 5802/7677), as PostgreSQL stores it. */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

const INSUFFICIENT_PRIVILEGE = '42501';

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Creates (or re-creates, for a retried attempt of the same drill) the drill's read-only role on the server
 * of `admin`, able to read `databases`. Falls back to the admin mode when the admin may not create roles.
 */
export async function openSandbox(
  admin: PgLogin,
  adminDatabase: string,
  role: string,
  databases: string[],
  options: SandboxOptions,
): Promise<Sandbox> {
  const password = randomBytes(24).toString('base64url');
  const setup = await withConnection(admin, adminDatabase, async (c) => {
    const me = await c.query<{ rolsuper: boolean; rolcreaterole: boolean; n: string }>(
      "SELECT rolsuper, rolcreaterole, current_setting('server_version_num') AS n FROM pg_roles WHERE rolname = current_user",
    );
    const row = me.rows[0];
    if (!row || (!row.rolsuper && !row.rolcreaterole))
      return {
        mode: 'admin' as const,
        reason: `the admin login ${admin.user} may not create roles (no CREATEROLE)`,
      };
    const major = Math.floor(Number(row.n) / 10000);
    const exists = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const attributes = [
      'LOGIN',
      'NOSUPERUSER',
      'NOCREATEDB',
      'NOCREATEROLE',
      'NOREPLICATION',
      'INHERIT',
      'CONNECTION LIMIT 4',
      `PASSWORD ${quoteLiteral(scramVerifier(password))}`,
      `VALID UNTIL ${quoteLiteral(options.validUntil.toISOString())}`,
    ].join(' ');
    try {
      await c.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${quoteIdent(role)} WITH ${attributes}`);
    } catch (err) {
      if (pgCode(err) === INSUFFICIENT_PRIVILEGE)
        return {
          mode: 'admin' as const,
          reason: `the admin login may not create roles: ${(err as Error).message}`,
        };
      throw err;
    }
    const ms = Math.max(1, Math.floor(options.statementTimeoutMs));
    for (const [name, value] of [
      ['default_transaction_read_only', 'on'],
      ['statement_timeout', String(ms)],
      ['idle_in_transaction_session_timeout', String(Math.max(ms * 2, 10_000))],
      ['lock_timeout', String(ms)],
    ] as const)
      await c.query(`ALTER ROLE ${quoteIdent(role)} SET ${name} = ${quoteLiteral(value)}`);
    if (major >= 14) {
      try {
        await c.query(`GRANT pg_read_all_data TO ${quoteIdent(role)}`);
        return { mode: 'role' as const, readAccess: 'pg_read_all_data' as const };
      } catch (err) {
        if (pgCode(err) !== INSUFFICIENT_PRIVILEGE) throw err;
        // Not allowed to hand out pg_read_all_data: grant SELECT in the drill's own databases instead.
      }
    }
    return { mode: 'role' as const, readAccess: 'grants' as const };
  });
  if (setup.mode === 'admin') return setup;
  if (setup.readAccess === 'grants') for (const db of databases) await grantReadOnly(admin, db, role);
  return { mode: 'role', role, password, readAccess: setup.readAccess };
}

/** SELECT on every table and sequence of every user schema of `database` (objects the admin owns). */
async function grantReadOnly(admin: PgLogin, database: string, role: string): Promise<void> {
  await withConnection(admin, database, async (c) => {
    await c.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(role)}`);
    const schemas = await c.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
    );
    for (const { nspname } of schemas.rows) {
      const s = quoteIdent(nspname);
      await c.query(`GRANT USAGE ON SCHEMA ${s} TO ${quoteIdent(role)}`);
      await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${quoteIdent(role)}`);
      await c.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${quoteIdent(role)}`);
    }
  });
}

/**
 * Drops the drill's role: its privileges in `databases` that still exist, its sessions, then the role.
 * 'absent' when there was none.
 */
export async function dropSandboxRole(
  admin: PgLogin,
  adminDatabase: string,
  role: string,
  databases: string[] = [],
): Promise<'done' | 'absent'> {
  // The last guard before DROP OWNED BY: only a drill's verification login, whatever the caller checked.
  if (!role.startsWith(`${DB_PREFIX}ro_`))
    throw new AppError(
      'RefusedRoleName',
      `refusing to drop role ${role}: only ${DB_PREFIX}ro_* are drill logins`,
      {
        recommendedActions: ['Nothing to do: the drill never touches roles it did not create.'],
      },
    );
  const present = await withConnection(admin, adminDatabase, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (!r.rowCount) return { exists: false, dbs: [] as string[] };
    const dbs = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])',
      [databases],
    );
    return { exists: true, dbs: dbs.rows.map((d) => d.datname) };
  });
  if (!present.exists) return 'absent';
  for (const db of present.dbs)
    await withConnection(admin, db, (c) => c.query(`DROP OWNED BY ${quoteIdent(role)}`)).catch(
      () => undefined,
    );
  await withConnection(admin, adminDatabase, async (c) => {
    // Its own sessions end first (an admin that may not signal them still drops the role once they close).
    await c
      .query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
      .catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  });
  return 'done';
}
