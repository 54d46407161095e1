/**
 * Clusters the emulator started are PostgreSQL daemons (pg_ctl), not child processes: a process that dies
 * without stopping them leaves them running, with their data (and password hashes) on disk. Each cluster is
 * written into a registry file when PGDRILL_CLUSTER_REGISTRY names one; whoever owns the run (the test setup,
 * the demo) stops what is still listed there at its end, or at its next start after a crash.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const REGISTRY_ENV = 'PGDRILL_CLUSTER_REGISTRY';

/** Records a cluster's data directory (when a registry is set). */
export function registerCluster(dataDir: string): void {
  const file = process.env[REGISTRY_ENV];
  if (file) appendFileSync(file, dataDir + '\n');
}

/** Stops every registered cluster still running, removes its folder, and empties the registry. */
export function stopRegisteredClusters(file: string, pgCtl: string | undefined): number {
  if (!existsSync(file)) return 0;
  let stopped = 0;
  for (const dataDir of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    if (!existsSync(join(dataDir, 'postmaster.pid'))) {
      rmSync(dirname(dataDir), { recursive: true, force: true });
      continue;
    }
    try {
      if (pgCtl) {
        const asRoot = process.getuid?.() === 0;
        const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
        if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
        else execFileSync(pgCtl, args, { stdio: 'ignore' });
        stopped++;
      }
    } catch {
      /* already stopped */
    }
    rmSync(dirname(dataDir), { recursive: true, force: true });
  }
  writeFileSync(file, '');
  return stopped;
}
