/** The emulator's PostgreSQL helpers: tool discovery, connection strings, managed clusters. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  credentialsFromSecret,
  findPgTools,
  formatConnectionString,
  locatePgTools,
  parseConnectionString,
  serverMajorVersion,
  startManagedCluster,
  type ManagedCluster,
} from '../../emulator/postgres';

describe('emulator PostgreSQL helpers', () => {
  it('says which tools are missing and how to fix it', () => {
    expect(() => locatePgTools(['/nonexistent'], '', true)).toThrow(
      /PostgreSQL binaries not found: initdb, pg_ctl, pg_dump, pg_restore\. Install them \(Debian\/Ubuntu: apt-get install postgresql postgresql-client\), or set "postgres": \{"binDir": "\.\.\."\}/,
    );
    expect(() => locatePgTools([], '', false)).toThrow(/not found: pg_dump, pg_restore\./);
  });

  it('parses the Azure Backup connection string format, quotes included', () => {
    expect(
      parseConnectionString(
        'Server=srv.postgres.database.azure.com;Database=db;Port=5432;User Id=admin@srv;Password="p;a""ss";Ssl Mode=Require;',
      ),
    ).toEqual({
      server: 'srv.postgres.database.azure.com',
      database: 'db',
      port: '5432',
      'user id': 'admin@srv',
      password: 'p;a"ss',
      'ssl mode': 'Require',
    });
    const round = formatConnectionString({
      host: '127.0.0.1',
      port: 5433,
      database: 'd',
      user: 'u@s',
      password: 'x;y"z',
    });
    expect(credentialsFromSecret(round)).toEqual({
      host: '127.0.0.1',
      port: 5433,
      database: 'd',
      user: 'u@s',
      password: 'x;y"z',
    });
    expect(() => credentialsFromSecret('hello world')).toThrow(/has no "="/);
    expect(() => credentialsFromSecret('Server=x;Password=y')).toThrow(/User Id key is missing/);
  });

  it('runs a managed cluster (as the postgres user when root) and removes it on stop', async () => {
    const tools = findPgTools();
    const cluster = await startManagedCluster(tools, 'pw-test');
    try {
      expect(await serverMajorVersion(cluster)).toBeGreaterThanOrEqual(13);
      await expect(serverMajorVersion({ ...cluster, password: 'wrong' })).rejects.toMatchObject({
        code: '28P01',
      });
    } finally {
      await cluster.stop();
    }
    await expect(serverMajorVersion(cluster)).rejects.toThrow();
  }, 60_000);

  it('clusters started from the cached initdb template each have their own password; one template is made', async () => {
    const tools = findPgTools();
    const cache = mkdtempSync(join(tmpdir(), 'pgdrill-template-test-'));
    const started = await Promise.allSettled(
      ['pw-one', "pw-'two"].map((pw) => startManagedCluster(tools, pw, { templateCacheDir: cache })),
    );
    const clusters = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      expect(started.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const [one, two] = clusters as [ManagedCluster, ManagedCluster];
      expect(one.dataDir).not.toBe(two.dataDir);
      expect(await serverMajorVersion(one)).toBeGreaterThanOrEqual(13);
      expect(await serverMajorVersion(two)).toBeGreaterThanOrEqual(13);
      // The template's throw-away password is gone: only each cluster's own works.
      await expect(serverMajorVersion({ ...one, password: two.password })).rejects.toMatchObject({
        code: '28P01',
      });
      expect(readdirSync(cache)).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
      const third = await startManagedCluster(tools, 'pw-three', { templateCacheDir: cache });
      clusters.push(third);
      expect(await serverMajorVersion(third)).toBeGreaterThanOrEqual(13);
      expect(readdirSync(cache)).toHaveLength(1);
    } finally {
      await Promise.all(clusters.map((c) => c.stop()));
      rmSync(cache, { recursive: true, force: true });
    }
  }, 90_000);
});
