/**
 * What a drill left behind, found independently of its report: databases and roles on the emulator's servers
 * whose names carry the drill's token, blobs under its file prefix, pg_restore processes and temporary
 * directories naming it. A test expects the list empty.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import pg from 'pg';
import type { EmulatorHandle } from '../../emulator/index';
import { drillToken } from '../../src/lib/drill/names';
import { AZURITE_KEY } from './drill';

export async function drillLeftovers(
  emu: EmulatorHandle,
  drillId: string,
  servers: readonly string[] = [...emu.ctx.servers.keys()],
): Promise<string[]> {
  const token = drillToken(drillId);
  const found: string[] = [];
  for (const server of servers) {
    const c = new pg.Client({ ...emu.ctx.servers.get(server)!.admin, database: 'postgres' });
    await c.connect();
    try {
      const dbs = await c.query<{ n: string }>('SELECT datname AS n FROM pg_database WHERE datname LIKE $1', [
        `%${token}%`,
      ]);
      const roles = await c.query<{ n: string }>('SELECT rolname AS n FROM pg_roles WHERE rolname LIKE $1', [
        `%${token}%`,
      ]);
      found.push(
        ...dbs.rows.map((r) => `database ${r.n} on ${server}`),
        ...roles.rows.map((r) => `role ${r.n} on ${server}`),
      );
    } finally {
      await c.end();
    }
  }
  for (const name of emu.ctx.config.storage.containers) {
    const container = new ContainerClient(
      `${emu.blobEndpoint}/${name}`,
      new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
    );
    if (!(await container.exists())) continue;
    for await (const b of container.listBlobsFlat())
      if (b.name.includes(token)) found.push(`blob ${name}/${b.name}`);
  }
  const ps = execFileSync('ps', ['-eo', 'args']).toString();
  if (ps.split('\n').some((l) => l.includes('pg_restore') && l.includes(token)))
    found.push('pg_restore process');
  found.push(
    ...readdirSync(tmpdir())
      .filter((n) => n.includes(token))
      .map((n) => `temp ${n}`),
  );
  return found;
}
