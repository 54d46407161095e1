/**
 * PostgreSQL for the emulator's data plane: finding the binaries, running throw-away local clusters (as the
 * `postgres` user when we are root, because the server refuses to run as root), connection strings in the
 * format Azure Backup reads from Key Vault, and pg_dump / pg_restore.
 */
import { execFile, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { registerCluster } from './leftovers';

const execFileAsync = promisify(execFile);

export interface PgTools {
  /** Directory with initdb and pg_ctl (only needed for managed clusters). */
  serverBinDir?: string;
  pgDump: string;
  pgRestore: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Debian/Ubuntu keep each major version under /usr/lib/postgresql/<major>/bin; take the newest. */
function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a))
    .map((d) => join(root, d, 'bin'));
}

export class PgToolsError extends Error {}

/** Finds the tools: the configured directory, PG_BIN_DIR, /usr/lib/postgresql/<newest>/bin, then PATH. */
export function findPgTools(configuredBinDir?: string, needServer = true): PgTools {
  const dirs = [configuredBinDir, process.env.PG_BIN_DIR, ...debianBinDirs()].filter((d): d is string => !!d);
  return locatePgTools(dirs, process.env.PATH ?? '', needServer);
}

export function locatePgTools(dirs: string[], pathEnv: string, needServer: boolean): PgTools {
  const find = (name: string): string | undefined => {
    for (const d of dirs) if (isExecutable(join(d, name))) return join(d, name);
    return onPath(name, pathEnv);
  };
  const initdb = find('initdb');
  const pgCtl = find('pg_ctl');
  const pgDump = find('pg_dump');
  const pgRestore = find('pg_restore');
  const missing = [
    ...(needServer && !initdb ? ['initdb'] : []),
    ...(needServer && !pgCtl ? ['pg_ctl'] : []),
    ...(!pgDump ? ['pg_dump'] : []),
    ...(!pgRestore ? ['pg_restore'] : []),
  ];
  if (missing.length) {
    throw new PgToolsError(
      `PostgreSQL binaries not found: ${missing.join(', ')}. Install them (Debian/Ubuntu: apt-get install postgresql postgresql-client), ` +
        `or set "postgres": {"binDir": "..."} in the emulator configuration (or PG_BIN_DIR) to the directory that holds them. Searched: ${[...dirs, 'PATH'].join(', ')}`,
    );
  }
  return { ...(initdb ? { serverBinDir: join(initdb, '..') } : {}), pgDump: pgDump!, pgRestore: pgRestore! };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface PgEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ManagedCluster extends PgEndpoint {
  dataDir: string;
  stop(): Promise<void>;
  /** Stops the server (fast shutdown) but keeps its data: start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await execFileAsync('id', ['-u', 'postgres']);
  const { stdout: gid } = await execFileAsync('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Starts a new local cluster in a temporary directory on a free port; superuser postgres with `password`. */
export async function startManagedCluster(tools: PgTools, password: string): Promise<ManagedCluster> {
  if (!tools.serverBinDir)
    throw new PgToolsError('initdb/pg_ctl not found: managed clusters need the PostgreSQL server binaries');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'pgdrill-pg-'));
  const dataDir = join(dir, 'data');
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      ids = await postgresIds();
    } catch {
      throw new PgToolsError(
        'running as root, but there is no "postgres" user to run the PostgreSQL server as (the server refuses root)',
      );
    }
    chownSync(dir, ids.uid, ids.gid);
    chownSync(pwFile, ids.uid, ids.gid);
  }
  chmodSync(dir, 0o700);
  const run = async (bin: string, args: string[]): Promise<void> => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(tools.serverBinDir!, bin), ...args]]
      : [join(tools.serverBinDir!, bin), args];
    try {
      await execFileAsync(cmd, argv, { env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new PgToolsError(`${bin} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  await run('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    `--pwfile=${pwFile}`,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  rmSync(pwFile);
  let port = 0;
  const pgStart = (): Promise<void> =>
    run('pg_ctl', [
      '-D',
      dataDir,
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await pgStart();
      break;
    } catch (err) {
      if (attempt >= 2) throw err; // a port taken between the probe and the start: try another one
    }
  }
  registerCluster(dataDir);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    async halt() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
    start: pgStart,
  };
}

/**
 * Azure Backup reads PostgreSQL credentials from a Key Vault secret holding an Npgsql-style connection string:
 *   Server=<host>;Database=<db>;Port=<port>;User Id=<user>[@<server>];Password=<password>;Ssl Mode=<mode>;
 * Keys are case-insensitive; a value with ';' is double-quoted ("a;b", with "" for a quote).
 */
export function parseConnectionString(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) {
      if (value.slice(i).trim() === '') break;
      throw new Error(`"${value.slice(i).trim()}" has no "="`);
    }
    const key = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    let val = '';
    if (value[j] === '"') {
      j++;
      for (;;) {
        if (j >= value.length) throw new Error(`unterminated quote in the value of ${key}`);
        if (value[j] === '"' && value[j + 1] === '"') {
          val += '"';
          j += 2;
        } else if (value[j] === '"') {
          j++;
          break;
        } else val += value[j++];
      }
      const semi = value.indexOf(';', j);
      j = semi < 0 ? value.length : semi + 1;
    } else {
      const semi = value.indexOf(';', j);
      val = value.slice(j, semi < 0 ? value.length : semi).trim();
      j = semi < 0 ? value.length : semi + 1;
    }
    if (!key) throw new Error('a key is empty');
    out[key] = val;
    i = j;
  }
  return out;
}

function quote(v: string): string {
  return /[;"=]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function formatConnectionString(e: {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslMode?: string;
}): string {
  return `Server=${e.host};Database=${quote(e.database)};Port=${e.port};User Id=${quote(e.user)};Password=${quote(e.password)};Ssl Mode=${e.sslMode ?? 'Disable'};`;
}

export interface SecretCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** The credentials of a connection-string secret; throws with the reason when the format is not supported. */
export function credentialsFromSecret(value: string): SecretCredentials {
  const kv = parseConnectionString(value);
  const host = kv.server ?? kv.host;
  const user = kv['user id'] ?? kv.username ?? kv.user;
  const password = kv.password;
  if (!host) throw new Error('the Server key is missing');
  if (!user) throw new Error('the User Id key is missing');
  if (password === undefined) throw new Error('the Password key is missing');
  const port = kv.port ? Number(kv.port) : 5432;
  if (!Number.isInteger(port) || port <= 0) throw new Error(`Port "${kv.port}" is not a port number`);
  return { host, port, database: kv.database ?? 'postgres', user, password };
}

export async function withClient<T>(
  endpoint: PgEndpoint,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ ...endpoint, database, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function serverMajorVersion(endpoint: PgEndpoint): Promise<number> {
  return withClient(endpoint, 'postgres', async (c) => {
    const r = await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const major = Math.floor(Number(r.rows[0]?.v) / 10000);
    if (!Number.isInteger(major) || major < 9)
      throw new Error(`cannot read the server version of ${endpoint.host}:${endpoint.port}`);
    return major;
  });
}

/** Creates an empty database (admin switch: a name already taken on a server). */
export async function createDatabase(endpoint: PgEndpoint, name: string): Promise<void> {
  await withClient(endpoint, 'postgres', (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function pgEnv(e: PgEndpoint): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: e.password, PGCONNECT_TIMEOUT: '10' };
}

function runTool(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${bin.split('/').pop()} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** pg_dump -Fc of one database to `file`. */
export function dumpDatabase(tools: PgTools, e: PgEndpoint, database: string, file: string): Promise<void> {
  return runTool(
    tools.pgDump,
    ['-Fc', '-h', e.host, '-p', String(e.port), '-U', e.user, '-d', database, '-f', file],
    pgEnv(e),
  );
}

/** pg_restore of a custom-format dump into an existing database, stopping at the first error. */
export function restoreDatabase(
  tools: PgTools,
  e: PgEndpoint,
  database: string,
  file: string,
): Promise<void> {
  return runTool(
    tools.pgRestore,
    [
      '--exit-on-error',
      '--no-owner',
      '--no-privileges',
      '-h',
      e.host,
      '-p',
      String(e.port),
      '-U',
      e.user,
      '-d',
      database,
      file,
    ],
    pgEnv(e),
  );
}
