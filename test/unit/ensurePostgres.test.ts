/**
 * scripts/ensure-postgres.mjs (npm's prestart/pretest hook): the decision from what is found, and a real run on a
 * machine without PostgreSQL as a user who cannot install it: one line with the command to run, exit 1, at once.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// An ES module (it runs before `npm ci`, without TypeScript): imported dynamically from this CommonJS test.
type Script = typeof import('../../scripts/ensure-postgres.mjs', { with: { 'resolution-mode': 'import' } });
let APT_PACKAGES: Script['APT_PACKAGES'];
let INSTALL_COMMAND: Script['INSTALL_COMMAND'];
let decide: Script['decide'];
let missingTools: Script['missingTools'];
let searchDirs: Script['searchDirs'];
beforeAll(async () => {
  ({ APT_PACKAGES, INSTALL_COMMAND, decide, missingTools, searchDirs } =
    await import('../../scripts/ensure-postgres.mjs'));
});

const script = join(__dirname, '..', '..', 'scripts', 'ensure-postgres.mjs');

describe('ensure-postgres decision', () => {
  it('everything found: nothing to do, whoever runs it', () => {
    expect(decide({ missing: [], isRoot: false, hasAptGet: false })).toEqual({ action: 'ok' });
    expect(decide({ missing: [], isRoot: true, hasAptGet: true })).toEqual({ action: 'ok' });
  });

  it('missing, as root with apt-get: installs postgresql and postgresql-client', () => {
    expect(decide({ missing: ['initdb', 'pg_restore'], isRoot: true, hasAptGet: true })).toEqual({
      action: 'install',
      packages: ['postgresql', 'postgresql-client'],
    });
    expect(APT_PACKAGES).toEqual(['postgresql', 'postgresql-client']);
  });

  it('missing, not root: stops with the one command to run', () => {
    const d = decide({ missing: ['initdb', 'pg_ctl'], isRoot: false, hasAptGet: true });
    expect(d).toEqual({
      action: 'stop',
      message:
        'PostgreSQL binaries not found (initdb, pg_ctl): run `sudo apt-get install -y postgresql postgresql-client`, then run this command again',
    });
  });

  it('missing, root but no apt-get: stops naming the packages and PG_BIN_DIR', () => {
    const d = decide({ missing: ['pg_dump'], isRoot: true, hasAptGet: false });
    expect(d.action).toBe('stop');
    expect(d.action === 'stop' && d.message).toContain(INSTALL_COMMAND);
    expect(d.action === 'stop' && d.message).toContain('PG_BIN_DIR');
  });

  it('finds the server tools in PG_BIN_DIR, under the search root (newest major first) or on PATH, the client tools in PG_BIN_DIR or on PATH', async () => {
    const base = mkdtempSync(join(tmpdir(), 'pgdrill-ensure-'));
    const tool = (dir: string, name: string): void => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), 0o755);
    };
    const pgRoot = join(base, 'pg');
    tool(join(pgRoot, '9', 'bin'), 'initdb');
    tool(join(pgRoot, '16', 'bin'), 'pg_ctl');
    tool(join(base, 'own'), 'pg_dump');
    tool(join(base, 'path'), 'pg_restore');
    const env = { PGDRILL_POSTGRES_ROOT: pgRoot, PG_BIN_DIR: join(base, 'own'), PATH: join(base, 'path') };
    expect(searchDirs(env)).toEqual([join(base, 'own'), join(pgRoot, '16', 'bin'), join(pgRoot, '9', 'bin')]);
    // With PG_BIN_DIR set the app runs {PG_BIN_DIR}/pg_restore and nothing else: one on PATH does not count.
    expect(missingTools(env)).toEqual(['pg_restore']);
    expect(missingTools({ ...env, PG_BIN_DIR: '' })).toEqual(['pg_dump']);
    tool(join(base, 'own'), 'pg_restore');
    expect(missingTools(env)).toEqual([]);
    const { rmSync } = await import('node:fs');
    rmSync(join(base, 'own', 'pg_restore'));
    expect(missingTools({ ...env, PATH: '' })).toEqual(['pg_restore']);
    // The client's tools under the search root alone are not enough: the app looks on PATH (or PG_BIN_DIR).
    tool(join(pgRoot, '16', 'bin'), 'pg_restore');
    expect(missingTools({ ...env, PATH: '' })).toEqual(['pg_restore']);
    expect(missingTools({ PGDRILL_POSTGRES_ROOT: join(base, 'none'), PATH: '' })).toEqual([
      'initdb',
      'pg_ctl',
      'pg_dump',
      'pg_restore',
    ]);
  });
});

describe('ensure-postgres on a machine without PostgreSQL', () => {
  it('not root: one line with the command to run, exit 1, in well under 5 s', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pgdrill-nopg-'));
    const started = Date.now();
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: empty, PGDRILL_POSTGRES_ROOT: empty, PGDRILL_ASSUME_NOT_ROOT: '1', HOME: empty },
    });
    const elapsed = Date.now() - started;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    // PATH holds no apt-get here: the message names the packages, the Debian command and PG_BIN_DIR.
    expect(r.stderr).toBe(
      'error: PostgreSQL binaries not found (initdb, pg_ctl, pg_dump, pg_restore): install the PostgreSQL server and client binaries with your package manager (Debian/Ubuntu: `sudo apt-get install -y postgresql postgresql-client`) or set PG_BIN_DIR to the directory holding them, then run this command again\n',
    );
    expect(elapsed).toBeLessThan(5_000);
  });

  it('not root with apt-get on PATH: the one sudo command', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pgdrill-nopg-'));
    // An apt-get that must not be run: it is only there to be found.
    writeFileSync(join(empty, 'apt-get'), '#!/bin/sh\necho ran >&2\nexit 3\n');
    chmodSync(join(empty, 'apt-get'), 0o755);
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: empty, PGDRILL_POSTGRES_ROOT: empty, PGDRILL_ASSUME_NOT_ROOT: '1' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'error: PostgreSQL binaries not found (initdb, pg_ctl, pg_dump, pg_restore): run `sudo apt-get install -y postgresql postgresql-client`, then run this command again\n',
    );
  });

  it('as root with an apt-get that fails: one line, exit 1', () => {
    if (process.getuid?.() !== 0) return;
    const empty = mkdtempSync(join(tmpdir(), 'pgdrill-nopg-'));
    writeFileSync(join(empty, 'apt-get'), '#!/bin/sh\nexit 100\n');
    chmodSync(join(empty, 'apt-get'), 0o755);
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: empty, PGDRILL_POSTGRES_ROOT: empty },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'PostgreSQL binaries not found (initdb, pg_ctl, pg_dump, pg_restore): installing postgresql postgresql-client with apt-get…',
      'error: apt-get update failed (exit 100): run `sudo apt-get install -y postgresql postgresql-client` yourself, then run this command again',
    ]);
  });

  it('on this machine (PostgreSQL installed): exits 0 silently', () => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});
