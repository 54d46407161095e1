/** The emulator's PostgreSQL helpers: tool discovery, connection strings, managed clusters. */
import { describe, expect, it } from 'vitest';
import {
  credentialsFromSecret,
  findPgTools,
  formatConnectionString,
  locatePgTools,
  parseConnectionString,
  serverMajorVersion,
  startManagedCluster,
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
});
