// Makes sure the PostgreSQL server (initdb, pg_ctl) and client (pg_dump, pg_restore) binaries are here before
// `npm start` or `npm test` builds or starts anything (npm runs this as their prestart/pretest hook; .ci/run runs
// it too, so there is one piece of logic). When they are missing it installs them the way a Debian machine does
// (apt-get, non-interactive) if it runs as root with apt-get; otherwise it stops at once with one line giving the
// command to run, and exit code 1: never a stack trace after minutes of setup.
//
// Where it looks: for initdb and pg_ctl where the emulator's findPgTools looks (PG_BIN_DIR, every
// <PGDRILL_POSTGRES_ROOT or /usr/lib/postgresql>/<major>/bin, then PATH); for pg_dump and pg_restore in PG_BIN_DIR
// and on PATH, where the app looks (Debian's postgresql-client puts them on PATH); pg_restore only in PG_BIN_DIR
// when that is set, as the app runs it from there.
// PGDRILL_ASSUME_NOT_ROOT=1 makes a root process behave as a user's (for the test of that path).
// No dependencies: it runs before `npm ci` in .ci/run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_TOOLS = ['initdb', 'pg_ctl'];
export const CLIENT_TOOLS = ['pg_dump', 'pg_restore'];
export const APT_PACKAGES = ['postgresql', 'postgresql-client'];
export const INSTALL_COMMAND = `sudo apt-get install -y ${APT_PACKAGES.join(' ')}`;

/**
 * What to do, from what was found (pure).
 * @param {{ missing: string[], isRoot: boolean, hasAptGet: boolean }} facts
 * @returns {{ action: 'ok' } | { action: 'install', packages: string[] } | { action: 'stop', message: string }}
 */
export function decide({ missing, isRoot, hasAptGet }) {
  if (missing.length === 0) return { action: 'ok' };
  if (isRoot && hasAptGet) return { action: 'install', packages: APT_PACKAGES };
  return { action: 'stop', message: stopMessage(missing, hasAptGet) };
}

/** The one line printed when this script cannot install the binaries itself. */
export function stopMessage(missing, hasAptGet) {
  const what = `PostgreSQL binaries not found (${missing.join(', ')})`;
  return hasAptGet
    ? `${what}: run \`${INSTALL_COMMAND}\`, then run this command again`
    : `${what}: install the PostgreSQL server and client binaries with your package manager (Debian/Ubuntu: \`${INSTALL_COMMAND}\`) or set PG_BIN_DIR to the directory holding them, then run this command again`;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directories searched before PATH, newest major version first. */
export function searchDirs(env) {
  const root = env.PGDRILL_POSTGRES_ROOT || '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return [env.PG_BIN_DIR, ...majors.map((m) => join(root, m, 'bin'))].filter((d) => !!d);
}

/**
 * Which tools are missing. The server's (initdb, pg_ctl) may be in any searched directory, as the emulator looks;
 * the client's (pg_dump, pg_restore) must be in PG_BIN_DIR or on PATH, where the app looks for pg_restore.
 */
export function missingTools(env) {
  const path = (env.PATH ?? '').split(delimiter).filter((d) => !!d);
  const serverDirs = [...searchDirs(env), ...path];
  const clientDirs = [env.PG_BIN_DIR, ...path].filter((d) => !!d);
  // The app runs {PG_BIN_DIR}/pg_restore when PG_BIN_DIR is set (src/app/services.ts), never one on PATH.
  const restoreDirs = env.PG_BIN_DIR ? [env.PG_BIN_DIR] : path;
  const missing = (tools, dirs) => tools.filter((t) => !dirs.some((d) => isExecutable(join(d, t))));
  return [
    ...missing(SERVER_TOOLS, serverDirs),
    ...missing(
      CLIENT_TOOLS.filter((t) => t !== 'pg_restore'),
      clientDirs,
    ),
    ...missing(['pg_restore'], restoreDirs),
  ];
}

function onPath(name, env) {
  return (env.PATH ?? '').split(delimiter).some((d) => d && isExecutable(join(d, name)));
}

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function main() {
  const env = process.env;
  const missing = missingTools(env);
  const isRoot = process.getuid?.() === 0 && env.PGDRILL_ASSUME_NOT_ROOT !== '1';
  const decision = decide({ missing, isRoot, hasAptGet: onPath('apt-get', env) });
  if (decision.action === 'ok') return;
  if (decision.action === 'stop') fail(decision.message);
  process.stderr.write(
    `PostgreSQL binaries not found (${missing.join(', ')}): installing ${decision.packages.join(' ')} with apt-get…\n`,
  );
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // stdin closed: nothing may wait for an answer. A time limit each, so a stuck mirror cannot hang `npm start`.
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...decision.packages],
  ]) {
    const r = spawnSync('apt-get', args, {
      env: aptEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 15 * 60_000,
    });
    if (r.status !== 0)
      fail(
        `apt-get ${args[0]} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): run \`${INSTALL_COMMAND}\` yourself, then run this command again`,
      );
  }
  const still = missingTools(env);
  if (still.length)
    fail(
      `${still.join(', ')} still not found after installing ${decision.packages.join(' ')}: set PG_BIN_DIR to the directory holding them`,
    );
  process.stderr.write('PostgreSQL binaries installed\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
