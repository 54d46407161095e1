/**
 * Creating and dropping the databases a drill owns, and running pg_restore. Dropping is guarded: only names
 * with the drill prefix that the drill recorded before creating them.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { AppError } from '../errors';
import { DB_PREFIX } from '../drill/names';
import { libpqSslMode, sslOption } from './connection';

const execFileAsync = promisify(execFile);

export interface PgLogin {
  host: string;
  port: number;
  user: string;
  password: string;
  sslMode?: string;
}

export async function withConnection<T>(
  login: PgLogin,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    ...login,
    database,
    ssl: sslOption(login.sslMode),
    connectionTimeoutMillis: 15_000,
    application_name: 'pg-restore-drill',
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function serverVersion(
  login: PgLogin,
  database: string,
): Promise<{ text: string; major: number }> {
  return withConnection(login, database, async (c) => {
    const r = await c.query<{ v: string; n: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n",
    );
    return { text: r.rows[0]!.v, major: Math.floor(Number(r.rows[0]!.n) / 10000) };
  });
}

/** Creates a database the drill owns (dropping a leftover of an earlier attempt of the same drill first). */
export async function recreateDrillDatabase(
  login: PgLogin,
  adminDatabase: string,
  name: string,
): Promise<void> {
  if (!name.startsWith(DB_PREFIX))
    throw new AppError(
      'RefusedDatabaseName',
      `refusing to create ${name}: drill databases start with ${DB_PREFIX}`,
    );
  await withConnection(login, adminDatabase, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
}

export type DropOutcome = 'done' | 'absent';

/** Drops a drill database, disconnecting its sessions. Refuses names without the drill prefix. */
export async function dropDrillDatabase(
  login: PgLogin,
  adminDatabase: string,
  name: string,
): Promise<DropOutcome> {
  if (!name.startsWith(DB_PREFIX))
    throw new AppError(
      'RefusedDatabaseName',
      `refusing to drop ${name}: only databases named ${DB_PREFIX}* are drill databases`,
    );
  return withConnection(login, adminDatabase, async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) return 'absent';
    const major = Math.floor(
      Number((await c.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n) /
        10000,
    );
    if (major >= 13) await c.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
    else {
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await c.query(`DROP DATABASE ${quoteIdent(name)}`);
    }
    return 'done';
  });
}

/**
 * The environment of the PostgreSQL client tools: where to find programs, and nothing else of the app's
 * environment (no app settings, no identity endpoint secrets); callers add the PG* variables they need.
 */
export function toolEnv(searchPath: string | undefined): Record<string, string> {
  return searchPath ? { PATH: searchPath } : {};
}

export async function pgRestoreVersion(
  pgRestore: string,
  searchPath?: string,
): Promise<{ text: string; major: number }> {
  const { stdout } = await execFileAsync(pgRestore, ['--version'], { env: toolEnv(searchPath) });
  const m = /(\d+)(?:\.(\d+))?/.exec(stdout);
  return { text: stdout.trim(), major: m ? Number(m[1]) : 0 };
}

export interface RestoreOptions {
  noOwner: boolean;
  noPrivileges: boolean;
  jobs: number;
}

/** pg_restore --exit-on-error into `database`. The password goes through the environment, never argv. */
export function runPgRestore(
  pgRestore: string,
  login: PgLogin,
  database: string,
  file: string,
  options: RestoreOptions,
  searchPath?: string,
): Promise<void> {
  const args = [
    '--exit-on-error',
    '-h',
    login.host,
    '-p',
    String(login.port),
    '-U',
    login.user,
    '-d',
    database,
  ];
  if (options.noOwner) args.push('--no-owner');
  if (options.noPrivileges) args.push('--no-privileges');
  if (options.jobs > 1) args.push('--jobs', String(options.jobs));
  args.push(file);
  return new Promise((resolve, reject) => {
    const child = spawn(pgRestore, args, {
      env: {
        ...toolEnv(searchPath),
        PGPASSWORD: login.password,
        PGSSLMODE: libpqSslMode(login.sslMode),
        PGCONNECT_TIMEOUT: '15',
        PGAPPNAME: 'pg-restore-drill load',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (err) =>
      reject(
        new AppError(
          'PgRestoreNotFound',
          `cannot run ${pgRestore}: ${err.message}. Install the PostgreSQL client tools or set PG_BIN_DIR.`,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new AppError(
              'LoadFailed',
              `pg_restore --exit-on-error stopped (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
            ),
          ),
    );
  });
}
