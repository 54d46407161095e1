/**
 * Clusters the emulator started are PostgreSQL daemons (pg_ctl), not child processes: a process that dies
 * without stopping them leaves them running, with their data (and password hashes) on disk. When
 * PGDRILL_CLUSTER_REGISTRY names a directory, each cluster gets an entry there naming the run that owns it (the
 * pid in PGDRILL_CLUSTER_OWNER: the test setup's or the demo's process). The owner stops its own clusters at
 * its end; any run stops those whose owner has died. Two runs at once (two test runs, a demo beside the tests)
 * never stop each other's clusters. One file per cluster: nothing is ever rewritten, so nothing is lost to a
 * race.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const REGISTRY_ENV = 'PGDRILL_CLUSTER_REGISTRY';
export const OWNER_ENV = 'PGDRILL_CLUSTER_OWNER';

/** Makes this process the owner of the clusters started under it (and by its child processes). */
export function ownClusters(registry: string): void {
  mkdirSync(registry, { recursive: true });
  process.env[REGISTRY_ENV] = registry;
  process.env[OWNER_ENV] = String(process.pid);
}

/** Records a cluster's data directory (when a registry is set). */
export function registerCluster(dataDir: string): void {
  const dir = process.env[REGISTRY_ENV];
  if (!dir) return;
  const owner = Number(process.env[OWNER_ENV]) || process.pid;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${owner}-${randomBytes(4).toString('hex')}.cluster`), dataDir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops the registered clusters of `which` run — this process's own, or those whose owner is gone — and
 * removes their folders and entries. Returns how many were still running.
 */
export function stopRegisteredClusters(
  registry: string,
  pgCtl: string | undefined,
  which: 'mine' | 'orphans',
): number {
  if (!existsSync(registry)) return 0;
  let stopped = 0;
  for (const entry of readdirSync(registry).filter((n) => n.endsWith('.cluster'))) {
    const owner = Number(entry.split('-')[0]);
    const mine = owner === process.pid;
    if (which === 'mine' ? !mine : mine || alive(owner)) continue;
    const file = join(registry, entry);
    let dataDir: string;
    try {
      dataDir = readFileSync(file, 'utf8').trim();
    } catch {
      continue; // another run took it
    }
    if (dataDir && existsSync(join(dataDir, 'postmaster.pid')) && pgCtl) {
      try {
        const asRoot = process.getuid?.() === 0;
        const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
        if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
        else execFileSync(pgCtl, args, { stdio: 'ignore' });
        stopped++;
      } catch {
        /* already stopped */
      }
    }
    if (dataDir) rmSync(dirname(dataDir), { recursive: true, force: true });
    rmSync(file, { force: true });
  }
  return stopped;
}
