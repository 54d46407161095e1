#!/usr/bin/env node
/**
 * The build `npm start`, `npm run emulator`, `npm run serve` and `npm run pgdrill` run first: `tsc -p
 * tsconfig.build.json`, skipped when nothing it reads changed since the last build made by this script. tsc's
 * own incremental mode still parses and checks every file (about 4 s on an unchanged tree here); comparing
 * modification times takes a few milliseconds. `npm run build` (CI) is always the full tsc.
 *
 * Up to date means: the stamp file exists, every entry point exists in dist/, and no input file or directory
 * (a deleted file changes its directory's time) is newer than the stamp. The stamp gets the time the build
 * *started*, so a file saved during a build makes the next run build again.
 *
 *   node scripts/build-fast.mjs [--root <dir>] [--check] [--force]
 *     --check  only say whether a build is needed: exit 0 up to date, 1 stale (the reason on stderr)
 *     --force  build even when up to date
 * Nothing is written on stdout (so `npm start --silent -- --json` stays pure JSON); tsc's errors go to stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What tsconfig.build.json compiles or imports (JSON schemas), and what decides how (configs, the compiler). */
const INPUT_DIRS = ['src', 'emulator', 'demo', 'schemas'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
/** A build that lost one of these (dist/ deleted or pruned by hand) is not up to date. */
const OUTPUTS = [
  'dist/src/index.js',
  'dist/src/host/main.js',
  'dist/src/cli/main.js',
  'dist/emulator/main.js',
  'dist/demo/main.js',
];
const STAMP = 'dist/.build-fast-stamp';

/** The newest input at or after `since` (ms), or undefined. Walks directories, skipping none of their files. */
function newerInput(root, since) {
  const visit = (path) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined; // an optional input (package-lock.json) that does not exist
    }
    if (st.mtimeMs > since) return path;
    if (!st.isDirectory()) return undefined;
    for (const entry of readdirSync(path)) {
      const hit = visit(join(path, entry));
      if (hit) return hit;
    }
    return undefined;
  };
  for (const p of [...INPUT_DIRS, ...INPUT_FILES]) {
    const hit = visit(join(root, p));
    if (hit) return hit;
  }
  return undefined;
}

/** Why a build is needed, or undefined when dist/ is up to date. */
function staleReason(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return `no ${STAMP} (no fast build yet, or dist/ was deleted)`;
  const missing = OUTPUTS.find((o) => !existsSync(join(root, o)));
  if (missing) return `${missing} is missing`;
  const changed = newerInput(root, statSync(stamp).mtimeMs);
  return changed ? `${changed} changed` : undefined;
}

function main() {
  const { values } = parseArgs({
    options: { root: { type: 'string' }, check: { type: 'boolean' }, force: { type: 'boolean' } },
    strict: true,
  });
  const root = resolve(values.root ?? join(import.meta.dirname, '..'));
  const reason = values.force ? '--force' : staleReason(root);
  if (values.check) {
    if (reason) process.stderr.write(`stale: ${reason}\n`);
    process.exit(reason ? 1 : 0);
  }
  if (!reason) return;
  const started = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    timeout: 300_000,
  });
  if (r.status !== 0) {
    process.stderr.write(
      `build failed (tsc -p tsconfig.build.json${r.error ? `: ${r.error.message}` : ''})\n`,
    );
    process.exit(r.status || 1);
  }
  writeFileSync(join(root, STAMP), `built because: ${reason}\n`);
  utimesSync(join(root, STAMP), started, started);
}

main();
