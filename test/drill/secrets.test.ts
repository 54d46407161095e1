/**
 * A secret goes only to its own server (docs/security.md): a drill whose request names another host or port
 * for a Key Vault secret fails before any connection — a fake PostgreSQL listener on that port receives none —
 * and a secret that names no server goes only to servers the operator allowed. TLS: verify-full refuses a
 * server whose certificate the machine does not trust, and accepts one it does.
 */
import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPgTools, startManagedCluster, type ManagedCluster } from '../../emulator/postgres';
import { issueServerCert, loadOrCreateCa } from '../../emulator/tls';
import { toFailure } from '../../src/lib/errors';
import { connect } from '../../src/lib/postgres/client';
import { drillLeftovers } from '../support/leftovers';
import { FLEX_BI, startDrillRig, type DrillRig } from '../support/drill';

const KV = 'https://kv-test.vault.azure.net/secrets';
let rig: DrillRig;
let fake: Server;
let fakePort = 0;
let fakeConnections = 0;

beforeAll(async () => {
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    extraSecrets: { 'no-server': 'User Id=postgres;Password=drill-pw;Database=postgres' },
  });
  fake = createServer((socket) => {
    fakeConnections++;
    socket.destroy();
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakePort = (fake.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => fake?.close(r));
  await rig?.stop();
});

function filesDrill(load: Record<string, unknown>) {
  return {
    backupInstanceId: FLEX_BI,
    target: { kind: 'files', containerUrl: rig.containerUrl, load },
  };
}

describe('secrets go only to their own server', () => {
  it('a request naming another port for a secret is refused before any connection', async () => {
    const before = fakeConnections;
    const { report, drillId } = await rig.run(
      filesDrill({ host: '127.0.0.1', port: fakePort, secretUri: `${KV}/drill-admin` }),
    );
    expect(fakeConnections - before).toBe(0);
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({
      phase: 'load',
      code: 'SecretServerMismatch',
      recommendedActions: [expect.stringContaining(`${rig.drillServer.host}:${rig.drillServer.port}`)],
    });
    // The restored files are still cleaned up: nothing of the drill is left anywhere.
    expect(report.cleanup.status).toBe('done');
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 60_000);

  it('a secret that names no server goes nowhere but an allowed server', async () => {
    const before = fakeConnections;
    const { report } = await rig.run(
      filesDrill({ host: '127.0.0.1', port: fakePort, secretUri: `${KV}/no-server` }),
    );
    expect(fakeConnections - before).toBe(0);
    expect(report.failure).toMatchObject({ phase: 'load', code: 'ServerNotAllowed' });
    expect(report.failure!.recommendedActions![0]).toContain('DRILL_ALLOWED_SERVERS');
  }, 60_000);

  it('the drill server named by its own secret is used as before', async () => {
    const { report } = await rig.run(
      filesDrill({ host: rig.drillServer.host, port: rig.drillServer.port, secretUri: `${KV}/drill-admin` }),
    );
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
  }, 60_000);
});

describe('TLS to PostgreSQL', () => {
  let cluster: ManagedCluster;

  /** Serves `cert` (and its key) from the cluster, with TLS on. */
  async function serve(cert: { certPem: string; keyPem: string }): Promise<void> {
    const dir = cluster.dataDir;
    writeFileSync(join(dir, 'server.crt'), cert.certPem);
    writeFileSync(join(dir, 'server.key'), cert.keyPem, { mode: 0o600 });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(join(dir, 'server.crt'), uid, gid);
      chownSync(join(dir, 'server.key'), uid, gid);
    }
    const c = new pg.Client({ ...cluster, database: 'postgres' });
    await c.connect();
    await c.query('ALTER SYSTEM SET ssl = on');
    await c.query('SELECT pg_reload_conf()');
    await c.end();
    await new Promise((r) => setTimeout(r, 300));
  }

  beforeAll(async () => {
    cluster = await startManagedCluster(findPgTools(), 'tls-pw');
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('verify-full refuses a certificate from a CA the machine does not trust, and accepts a trusted one', async () => {
    const stranger = loadOrCreateCa(mkdtempSync(join(tmpdir(), 'pgdrill-stranger-ca-')));
    await serve(issueServerCert(stranger));
    const login = { host: '127.0.0.1', port: cluster.port, user: 'postgres', password: 'tls-pw' };
    const refused = await connect(login, 'postgres', {}).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Loopback without a mode asked: plain connections are allowed (prefer), so this one succeeded unverified.
    expect(refused).toBeUndefined();
    const err = await connect({ ...login, tls: 'verify-full' }, 'postgres').then(
      (c) => c.end().then(() => undefined),
      (e: unknown) => e,
    );
    expect(toFailure(err)).toMatchObject({
      code: 'TlsVerificationFailed',
      recommendedActions: [expect.stringContaining('PG_SSL_ROOT_CERT')],
    });
    // The CA this test process trusts (NODE_EXTRA_CA_CERTS) issued the next certificate: verify-full passes.
    await serve(issueServerCert(loadOrCreateCa(join(process.cwd(), '.tmp', 'test-ca'))));
    const c = await connect({ ...login, tls: 'verify-full' }, 'postgres');
    const ssl = await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    await c.end();
    expect(ssl.rows[0]!.ssl).toBe(true);
  }, 60_000);
});
