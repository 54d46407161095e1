/**
 * scripts/build-fast.mjs (the build `npm start`, `npm run emulator`, `npm run serve`, `npm run pgdrill` run):
 * an unchanged tree is not recompiled, a changed, added or deleted input or a deleted dist/ is. Decisions are
 * checked with `--check` on a copy of the project's inputs (no tsc needed); one real run on the worktree shows
 * the skip takes well under a second.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const script = join(root, 'scripts', 'build-fast.mjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function check(dir: string): { stale: boolean; reason: string } {
  const r = spawnSync(process.execPath, [script, '--root', dir, '--check'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect([0, 1], r.stderr).toContain(r.status);
  expect(r.stdout).toBe('');
  return { stale: r.status === 1, reason: r.stderr.trim() };
}

/** A project with the inputs and a dist/ as a finished fast build leaves it, all files a minute old. */
function builtFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgdrill-buildfast-'));
  dirs.push(dir);
  for (const d of ['src', 'emulator', 'demo', 'schemas'])
    cpSync(join(root, d), join(dir, d), { recursive: true });
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json'])
    cpSync(join(root, f), join(dir, f));
  for (const out of [
    'src/index.js',
    'src/host/main.js',
    'src/cli/main.js',
    'emulator/main.js',
    'demo/main.js',
  ]) {
    mkdirSync(join(dir, 'dist', out, '..'), { recursive: true });
    writeFileSync(join(dir, 'dist', out), '');
  }
  const old = new Date(Date.now() - 60_000).toISOString();
  expect(spawnSync('find', [dir, '-exec', 'touch', '-d', old, '{}', '+']).status).toBe(0);
  writeFileSync(join(dir, 'dist', '.build-fast-stamp'), '');
  return dir;
}

/** Writes the stamp as a finished build does, then waits past the file system's clock granularity (a few ms). */
async function restamp(dir: string): Promise<void> {
  writeFileSync(join(dir, 'dist', '.build-fast-stamp'), '');
  await new Promise((r) => setTimeout(r, 50));
}

describe('build-fast', () => {
  it('skips an unchanged tree, builds after a changed, added or deleted input, a config change or a deleted dist/', async () => {
    const dir = builtFixture();
    expect(check(dir)).toEqual({ stale: false, reason: '' });

    writeFileSync(join(dir, 'emulator', 'postgres.ts'), '// changed\n', { flag: 'a' });
    expect(check(dir).reason).toBe(`stale: ${join(dir, 'emulator', 'postgres.ts')} changed`);
    await restamp(dir); // as a build that ran after the change
    expect(check(dir).stale).toBe(false);

    rmSync(join(dir, 'src', 'lib', 'config.ts'));
    // A deletion leaves no file to be newer: its directory's time gives it away.
    expect(check(dir).reason).toBe(`stale: ${join(dir, 'src', 'lib')} changed`);
    await restamp(dir);

    writeFileSync(join(dir, 'schemas', 'new.schema.json'), '{}');
    expect(check(dir).stale).toBe(true);
    await restamp(dir);

    writeFileSync(join(dir, 'tsconfig.build.json'), '{}');
    expect(check(dir).reason).toBe(`stale: ${join(dir, 'tsconfig.build.json')} changed`);
    await restamp(dir);
    expect(check(dir).stale).toBe(false);

    rmSync(join(dir, 'dist', 'demo'), { recursive: true });
    expect(check(dir).reason).toBe('stale: dist/demo/main.js is missing');

    rmSync(join(dir, 'dist'), { recursive: true });
    expect(check(dir).reason).toMatch(/^stale: no dist\/\.build-fast-stamp/);
  });

  it('on the worktree: after one build, the next run skips tsc in well under a second', () => {
    const first = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    const started = Date.now();
    const second = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const ms = Date.now() - started;
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout + second.stderr).toBe('');
    expect(ms).toBeLessThan(1500);
  }, 130_000);
});
