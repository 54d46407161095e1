/**
 * Time from `npm run emulator -- --config emulator/examples/demo.json` to its ready line (six PostgreSQL
 * clusters, Azurite, a week of daily backups of three databases), measured in this run:
 *  - the fast build alone on an unchanged tree (what `npm run emulator` runs first);
 *  - warm starts (initdb template cached, CA kept), on this machine as it is and with one `yes > /dev/null` per
 *    core beside it, and the ratio of the two;
 *  - one cold start (fresh state directory: no initdb template, a new CA);
 *  - where a start's time goes (the emulator's own phasesMs, logged with its ready line).
 * The load average before each row is printed with it: other work on the machine moves every figure.
 * Run alone: npx vitest run --config vitest.bench.config.mts bench/emulatorStartup.bench.ts
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = join(__dirname, '..');
const demoConfig = join(root, 'emulator', 'examples', 'demo.json');
const rows: [string, string][] = [];
const load = () => loadavg()[0]!.toFixed(1);
const tmp = mkdtempSync(join(tmpdir(), 'pgdrill-startup-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Start {
  readyMs: number;
  phasesMs: Record<string, number>;
}

/** Runs `npm run emulator` until its ready line, then stops it (SIGTERM to its process group) and waits. */
async function timeToReady(config: string): Promise<Start> {
  const started = Date.now();
  const child: ChildProcess = spawn('npm', ['run', '--silent', 'emulator', '--', '--config', config], {
    cwd: root,
    detached: true, // its own process group: npm, the shell and node stop together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const readyMs = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) resolve(Date.now() - started);
    });
    child.on('exit', (code) => reject(new Error(`emulator exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  await groupGone(child.pid!);
  const ready = stderr
    .split('\n')
    .filter((l) => l.includes('"emulator ready"'))
    .map((l) => JSON.parse(l) as { phasesMs: Record<string, number> })[0];
  return { readyMs, phasesMs: ready?.phasesMs ?? {} };
}

/**
 * npm exits before the emulator has stopped its clusters: wait until every process of the group is gone, so
 * no run overlaps the next one's start (and none is left behind).
 */
async function groupGone(pgid: number): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the emulator (process group ${pgid}) did not stop within 2 minutes of SIGTERM`);
}

/** One `yes > /dev/null` per core while `fn` runs. */
async function busy<T>(fn: () => Promise<T>): Promise<T> {
  const hogs = cpus().map(() => spawn('yes', [], { stdio: ['ignore', 'ignore', 'ignore'] }));
  try {
    return await fn();
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const phases = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(', ');

it('emulator start-up: time to the ready line', async () => {
  // The fast build, unchanged tree (after one build to be sure there is one).
  expect(spawnSync(process.execPath, [join(root, 'scripts', 'build-fast.mjs')], { cwd: root }).status).toBe(
    0,
  );
  const b0 = Date.now();
  expect(spawnSync(process.execPath, [join(root, 'scripts', 'build-fast.mjs')], { cwd: root }).status).toBe(
    0,
  );
  rows.push(['fast build, unchanged tree', `${Date.now() - b0} ms`]);

  await timeToReady(demoConfig); // makes the initdb template and the CA if this state directory has none
  const idle: Start[] = [];
  const l1 = load();
  for (let i = 0; i < 3; i++) idle.push(await timeToReady(demoConfig));
  const idleMs = median(idle.map((s) => s.readyMs));
  rows.push([`warm start, machine as it is (load ${l1}), median of 3`, `${(idleMs / 1000).toFixed(1)} s`]);
  rows.push(['  where the time went (median run)', phases(idle.find((s) => s.readyMs === idleMs)!.phasesMs)]);

  const l2 = load();
  const loaded: Start[] = await busy(async () => {
    const xs: Start[] = [];
    for (let i = 0; i < 3; i++) xs.push(await timeToReady(demoConfig));
    return xs;
  });
  const loadedMs = median(loaded.map((s) => s.readyMs));
  rows.push([
    `warm start, one 'yes' per core (${cpus().length}; load before ${l2}), median of 3`,
    `${(loadedMs / 1000).toFixed(1)} s (×${(loadedMs / idleMs).toFixed(2)})`,
  ]);
  rows.push([
    '  where the time went (median run)',
    phases(loaded.find((s) => s.readyMs === loadedMs)!.phasesMs),
  ]);

  // Cold: the demo config in a fresh directory, so its stateDir (relative to the file) holds nothing yet.
  const cold = join(tmp, 'demo.json');
  writeFileSync(cold, JSON.stringify({ ...JSON.parse(readFileSync(demoConfig, 'utf8')), stateDir: 'state' }));
  const l3 = load();
  const c = await timeToReady(cold);
  rows.push([`cold start (no initdb template, new CA; load ${l3})`, `${(c.readyMs / 1000).toFixed(1)} s`]);
  rows.push(['  where the time went', phases(c.phasesMs)]);

  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(['', ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ''].join('\n'));
}, 600_000);
