/**
 * PostgreSQL for the emulator's data plane: finding the binaries, running throw-away local clusters (as the
 * `postgres` user when we are root, because the server refuses to run as root), connection strings in the
 * format Azure Backup reads from Key Vault, and pg_dump / pg_restore.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
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
  // PGDRILL_POSTGRES_ROOT: another layout's root, or an empty directory to rehearse a machine without PostgreSQL
  // (scripts/ensure-postgres.mjs searches the same places).
  const root = process.env.PGDRILL_POSTGRES_ROOT || '/usr/lib/postgresql';
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

/** Runs a server binary (initdb, pg_ctl) as the postgres user when we are root (the server refuses root). */
type ServerRun = (bin: string, args: string[]) => Promise<string>;

function serverRunner(tools: PgTools, asRoot: boolean): ServerRun {
  return async (bin, args) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(tools.serverBinDir!, bin), ...args]]
      : [join(tools.serverBinDir!, bin), args];
    try {
      const { stdout } = await execFileAsync(cmd, argv, {
        env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
        timeout: 120_000,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new PgToolsError(`${bin} failed: ${e.stderr?.trim() || e.message}`);
    }
  };
}

/** A temporary directory for one cluster, owned by the user the server runs as, mode 0700. */
async function clusterDir(
  asRoot: boolean,
  prefix: string,
): Promise<{ dir: string; ids?: { uid: number; gid: number } }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      ids = await postgresIds();
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new PgToolsError(
        'running as root, but there is no "postgres" user to run the PostgreSQL server as (the server refuses root)',
      );
    }
    chownSync(dir, ids.uid, ids.gid);
  }
  chmodSync(dir, 0o700);
  return { dir, ...(ids ? { ids } : {}) };
}

/** initdb of a new data directory whose superuser postgres has `password` (local socket: trust). */
async function initDataDir(
  run: ServerRun,
  dir: string,
  ids: { uid: number; gid: number } | undefined,
  password: string,
): Promise<string> {
  const dataDir = join(dir, 'data');
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (ids) chownSync(pwFile, ids.uid, ids.gid);
  try {
    await run('initdb', ['-D', dataDir, ...INITDB_ARGS, `--pwfile=${pwFile}`]);
  } finally {
    rmSync(pwFile, { force: true });
  }
  return dataDir;
}

const INITDB_ARGS = [
  '-U',
  'postgres',
  '--auth-local=trust',
  '--auth-host=scram-sha-256',
  '-E',
  'UTF8',
  '--no-sync',
];

/** Template data directories being made by this process, by cache path (six clusters starting at once share one). */
const templatesInFlight = new Map<string, Promise<string>>();

/**
 * initdb costs about a second of CPU per cluster (more on a busy machine) and gives the same files every time,
 * so the first cluster's initdb is kept as a template under `cacheDir` (keyed by the initdb version, its
 * arguments and the user, so a PostgreSQL upgrade makes a new one) and later clusters copy it. Its superuser
 * password is random and thrown away: each cluster sets its own after it starts. Made in a temporary directory
 * and renamed into place, so concurrent processes never see half a template.
 */
async function templateDataDir(
  tools: PgTools,
  run: ServerRun,
  asRoot: boolean,
  cacheDir: string,
): Promise<string> {
  const version = (await run('initdb', ['--version'])).trim();
  const key = createHash('sha256')
    .update(JSON.stringify([version, tools.serverBinDir, INITDB_ARGS, process.getuid?.()]))
    .digest('hex')
    .slice(0, 16);
  const final = join(cacheDir, key);
  const existing = templatesInFlight.get(final);
  if (existing) return existing;
  const made = (async () => {
    if (existsSync(join(final, 'data', 'PG_VERSION'))) return join(final, 'data');
    const { dir, ids } = await clusterDir(asRoot, 'pgdrill-pg-template-');
    try {
      await initDataDir(run, dir, ids, randomBytes(24).toString('hex'));
      mkdirSync(cacheDir, { recursive: true });
      const partial = mkdtempSync(join(cacheDir, `${key}.partial-`));
      await copyDataDir(join(dir, 'data'), join(partial, 'data'));
      try {
        renameSync(partial, final);
      } catch {
        rmSync(partial, { recursive: true, force: true }); // another process was faster: its template is the same
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return join(final, 'data');
  })();
  templatesInFlight.set(final, made);
  made.catch(() => templatesInFlight.delete(final));
  return made;
}

/** cp -a keeps the owner (postgres, when we are root) and the 0700 mode the server insists on. */
async function copyDataDir(from: string, to: string): Promise<void> {
  try {
    await execFileAsync('cp', ['-a', from, to], { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PgToolsError(`copying the data directory template failed: ${e.stderr?.trim() || e.message}`);
  }
}

export interface ClusterOptions {
  /**
   * Where to keep the initdb template (see templateDataDir). Unset: a fresh initdb for this cluster, as
   * before the cache existed.
   */
  templateCacheDir?: string;
}

/** Starts a new local cluster in a temporary directory on a free port; superuser postgres with `password`. */
export async function startManagedCluster(
  tools: PgTools,
  password: string,
  options: ClusterOptions = {},
): Promise<ManagedCluster> {
  if (!tools.serverBinDir)
    throw new PgToolsError('initdb/pg_ctl not found: managed clusters need the PostgreSQL server binaries');
  const asRoot = process.getuid?.() === 0;
  const run = serverRunner(tools, asRoot);
  const template = options.templateCacheDir
    ? await templateDataDir(tools, run, asRoot, options.templateCacheDir)
    : undefined;
  const { dir, ids } = await clusterDir(asRoot, 'pgdrill-pg-');
  const dataDir = join(dir, 'data');
  try {
    if (template) await copyDataDir(template, dataDir);
    else await initDataDir(run, dir, ids, password);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let port = 0;
  const pgStart = async (): Promise<void> => {
    await run('pg_ctl', [
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
  };
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
  const cluster: ManagedCluster = {
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
  // The template's superuser password is a throw-away: set this cluster's over the local socket (trust).
  if (template)
    await withClient({ host: dir, port, user: 'postgres', password: '' }, 'postgres', (c) =>
      c.query(`ALTER ROLE postgres PASSWORD ${quoteLiteral(password)}`),
    ).catch(async (err: unknown) => {
      await cluster.stop();
      throw err;
    });
  return cluster;
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

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function connectionArgs(e: PgEndpoint, database: string): string[] {
  return ['-h', e.host, '-p', String(e.port), '-U', e.user, '-d', database];
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

/**
 * A transaction kept open so that pg_dump --snapshot can dump the database exactly as it was when the snapshot
 * was taken, while later changes go on (seeding takes a week of backups this way in parallel). It holds ACCESS
 * SHARE locks on every table too, as pg_dump itself would, so DDL committed after the snapshot waits for the
 * dump instead of changing a table under it. DML is not blocked.
 */
export interface HeldSnapshot {
  id: string;
  release(): Promise<void>;
}

export async function holdSnapshot(e: PgEndpoint, database: string): Promise<HeldSnapshot> {
  const client = new pg.Client({ ...e, database, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snap = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const tables = await client.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
    );
    if (tables.rows.length)
      await client.query(`LOCK TABLE ${tables.rows.map((t) => t.name).join(', ')} IN ACCESS SHARE MODE`);
    return {
      id: snap.rows[0]!.id,
      release: () => client.end().catch(() => undefined),
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** pg_dump -Fc of one database to `file` (of a held snapshot when one is given). */
export function dumpDatabase(
  tools: PgTools,
  e: PgEndpoint,
  database: string,
  file: string,
  snapshot?: string,
): Promise<void> {
  return runTool(
    tools.pgDump,
    ['-Fc', ...(snapshot ? [`--snapshot=${snapshot}`] : []), ...connectionArgs(e, database), '-f', file],
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
    ['--exit-on-error', '--no-owner', '--no-privileges', ...connectionArgs(e, database), file],
    pgEnv(e),
  );
}
