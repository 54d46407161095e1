/**
 * Vitest global setup: runs once, in the main process, before any worker starts. It creates the local CA the
 * test servers use and exports NODE_EXTRA_CA_CERTS so that every worker (spawned afterwards with this
 * environment) trusts it, exactly as a user trusts the emulator's CA.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../emulator/tls';

export default function setup(): void {
  const dir = join(process.cwd(), '.tmp', 'test-ca');
  mkdirSync(dir, { recursive: true });
  const ca = loadOrCreateCa(dir);
  process.env.NODE_EXTRA_CA_CERTS = ca.caFile;
}
