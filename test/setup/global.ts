/**
 * Vitest global setup: runs once, in the main process, before any worker starts, and sets the environment
 * every worker inherits:
 *  - a local CA (NODE_EXTRA_CA_CERTS), trusted by workers exactly as a user trusts the emulator's CA;
 *  - NO_PROXY for local addresses (read once per process by the Azure SDK's proxy policy), so that a test
 *    may point HTTPS_PROXY at an emulator's Key Vault proxy without diverting local traffic;
 *  - one Azurite (Blob, Queue, Table) shared by all test files (each uses its own containers);
 *  - a build (dist/), for the tests that run the emulator, the host or the demo as real processes;
 *  - with coverage on, a folder where those processes write their V8 coverage (PGDRILL_CHILD_COVERAGE).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite } from '../../emulator/storage';
import { ownClusters, stopRegisteredClusters } from '../../emulator/leftovers';
import { findPgTools } from '../../emulator/postgres';
import { loadOrCreateCa } from '../../emulator/tls';

/** What vitest passes (the project); only whether coverage is on is read. */
interface Project {
  config?: { coverage?: { enabled?: boolean } };
}

export default async function setup(project?: Project): Promise<() => Promise<void>> {
  if (project?.config?.coverage?.enabled) {
    // Child processes' V8 coverage (test/setup/childCoverage.ts, scripts/coverage.mjs).
    const children = join(process.cwd(), '.tmp', 'coverage-children');
    rmSync(children, { recursive: true, force: true });
    mkdirSync(children, { recursive: true });
    process.env.PGDRILL_CHILD_COVERAGE = children;
  }
  const dir = join(process.cwd(), '.tmp', 'test-ca');
  mkdirSync(dir, { recursive: true });
  const ca = loadOrCreateCa(dir);
  process.env.NODE_EXTRA_CA_CERTS = ca.caFile;
  process.env.NO_PROXY = '127.0.0.1,localhost,::1';
  execFileSync(
    process.execPath,
    [join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { stdio: 'inherit' },
  );
  // Every cluster a test starts is listed here, owned by this run: what a crashed earlier run left is stopped
  // now, what a test of this run left at the end; another test run going on beside this one is not touched.
  const registry = join(dir, '..', 'test-clusters');
  ownClusters(registry);
  const pgCtl = findPgTools(undefined, false).serverBinDir;
  stopRegisteredClusters(registry, pgCtl ? join(pgCtl, 'pg_ctl') : undefined, 'orphans');
  const azurite = await startAzurite();
  process.env.TEST_AZURITE_BLOB = azurite.blobEndpoint;
  process.env.TEST_AZURITE_QUEUE = azurite.queueEndpoint;
  process.env.TEST_AZURITE_TABLE = azurite.tableEndpoint;
  return async () => {
    await azurite.stop();
    const left = stopRegisteredClusters(registry, pgCtl ? join(pgCtl, 'pg_ctl') : undefined, 'mine');
    if (left) process.stderr.write(`stopped ${left} PostgreSQL cluster(s) a test left running\n`);
  };
}
