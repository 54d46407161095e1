/**
 * Creating and dropping the databases a drill owns, and running pg_restore. Dropping is guarded: only names
 * with the drill prefix, and sessions still connected (an orphaned pg_restore of a killed attempt) are ended.
 * pg_restore runs in its own process group with its temporary dump in a folder named after the scratch
 * database, so a later attempt or the cleanup can end what a killed process left running and remove its files.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { currentSignal } from '../deadline';
import { AppError } from '../errors';
import { DB_PREFIX } from '../drill/names';
import { withConnection, quoteIdent, type PgLogin } from './client';

export type { PgLogin } from './client';

const execFileAsync = promisify(execFile);

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

function refuseForeign(name: string, verb: string): void {
  if (!name.startsWith(DB_PREFIX))
    throw new AppError(
      'RefusedDatabaseName',
      `refusing to ${verb} ${name}: only databases named ${DB_PREFIX}* are drill databases`,
      { recommendedActions: ['Nothing to do: the drill never touches databases it did not create.'] },
    );
}

export type DropOutcome = 'done' | 'absent';

/** Drops a drill database, ending its sessions first. Refuses names without the drill prefix. */
export async function dropDrillDatabase(
  login: PgLogin,
  adminDatabase: string,
  name: string,
): Promise<DropOutcome> {
  refuseForeign(name, 'drop');
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

/** Creates a database the drill owns (dropping a leftover of an earlier attempt of the same drill first). */
export async function recreateDrillDatabase(
  login: PgLogin,
  adminDatabase: string,
  name: string,
): Promise<void> {
  refuseForeign(name, 'create');
  await dropDrillDatabase(login, adminDatabase, name);
  await withConnection(login, adminDatabase, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
}

/** The environment of the PostgreSQL client tools: PATH and the PG* variables given, nothing else. */
export interface ToolEnv {
  /** PATH (the app's PATH setting). */
  searchPath?: string;
  /** PGSSLROOTCERT: the CA bundle verify-full checks against. */
  sslRootCert?: string;
}

function toolEnv(env: ToolEnv): Record<string, string> {
  return {
    ...(env.searchPath ? { PATH: env.searchPath } : {}),
    ...(env.sslRootCert ? { PGSSLROOTCERT: env.sslRootCert } : {}),
  };
}

export async function pgRestoreVersion(
  pgRestore: string,
  env: ToolEnv = {},
): Promise<{ text: string; major: number }> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(pgRestore, ['--version'], { env: toolEnv(env), timeout: 30_000 }));
  } catch (err) {
    throw pgRestoreNotFound(pgRestore, err);
  }
  const m = /(\d+)(?:\.(\d+))?/.exec(stdout);
  return { text: stdout.trim(), major: m ? Number(m[1]) : 0 };
}

function pgRestoreNotFound(pgRestore: string, err: unknown): AppError {
  return new AppError('PgRestoreNotFound', `cannot run ${pgRestore}: ${(err as Error).message}`, {
    isUserError: true,
    recommendedActions: [
      'Install the PostgreSQL client tools (pg_restore) on the function host, or set PG_BIN_DIR to their directory.',
    ],
  });
}

export interface RestoreOptions {
  noOwner: boolean;
  noPrivileges: boolean;
  jobs: number;
}

/** The working folder of one load: named after its scratch database, so later attempts find what it left. */
export function loadFolder(scratchDatabase: string): string {
  return join(tmpdir(), `pgdrill-load-${scratchDatabase}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends what an earlier attempt of the same load left behind: its pg_restore (the whole process group) and
 * its folder with the downloaded dump. Returns true when a process was still running.
 */
export async function clearLoadLeftovers(scratchDatabase: string): Promise<boolean> {
  const folder = loadFolder(scratchDatabase);
  const pids = new Set<number>();
  const pidText = await readFile(join(folder, 'pg_restore.pid'), 'utf8').catch(() => '');
  const recorded = Number(pidText.trim());
  if (Number.isInteger(recorded) && recorded > 1) pids.add(recorded);
  // A worker killed between starting pg_restore and writing its pid left no pid file: find the process by the
  // dump it reads (Linux /proc; elsewhere the pid file is all there is).
  for (const pid of await processesReading(join(folder, 'restore.dump'))) pids.add(pid);
  let killed = false;
  for (const pid of pids) {
    if (!alive(pid)) continue;
    try {
      // Its own process group (runPgRestore); SIGKILL also ends a stopped process.
      process.kill(-pid, 'SIGKILL');
      killed = true;
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
        killed = true;
      } catch {
        /* gone */
      }
    }
  }
  await rm(folder, { recursive: true, force: true });
  return killed;
}

/** Processes whose command line names `file` (from /proc; empty where there is none). */
async function processesReading(file: string): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(file)) found.push(Number(entry));
  }
  return found;
}

/** Creates the load folder (after clearing leftovers); returns its path. */
export async function prepareLoadFolder(scratchDatabase: string): Promise<string> {
  await clearLoadLeftovers(scratchDatabase);
  const folder = loadFolder(scratchDatabase);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  return folder;
}

/**
 * pg_restore --exit-on-error into `database`. The password goes through the environment, never argv. It runs
 * in its own process group (its pid written beside the dump) and is ended when the activity's deadline passes.
 */
export function runPgRestore(
  pgRestore: string,
  login: PgLogin,
  database: string,
  file: string,
  options: RestoreOptions,
  env: ToolEnv = {},
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
  const signal = currentSignal();
  return new Promise((resolve, reject) => {
    const child = spawn(pgRestore, args, {
      env: {
        ...toolEnv(env),
        PGPASSWORD: login.password,
        PGSSLMODE: login.tls ?? 'prefer',
        PGCONNECT_TIMEOUT: '15',
        PGAPPNAME: 'pg-restore-drill load',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const pidFile = join(file, '..', 'pg_restore.pid');
    if (child.pid) void writeFile(pidFile, String(child.pid)).catch(() => undefined);
    const stop = (): void => {
      if (child.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    signal?.addEventListener('abort', stop, { once: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (err) => {
      signal?.removeEventListener('abort', stop);
      reject(pgRestoreNotFound(pgRestore, err));
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', stop);
      if (code === 0) return resolve();
      reject(
        new AppError(
          'LoadFailed',
          `pg_restore --exit-on-error stopped (${sig ? `signal ${sig}` : `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          {
            recommendedActions: [
              'Read the pg_restore message: a drill server older than the dump, missing extensions or roles on the drill server (use noOwner/noPrivileges), or a full disk are the usual causes.',
            ],
          },
        ),
      );
    });
  });
}
