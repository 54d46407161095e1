/**
 * startEmulator(config): the Data Protection emulator with its identity endpoint, Key Vault, HTTPS proxy,
 * PostgreSQL clusters and Azurite, ready to serve. It is written from the API contract in
 * reference/dataprotection and never imports the app (src/), so a client bug cannot hide behind the same bug here.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ArmApi } from './arm';
import { CrossRegionState } from './crossRegion';
import { seedBackupInstance } from './backups';
import type { EmulatorConfig } from './config';
import { emptyRequestCounts, type EmulatorContext } from './context';
import { ArmThrottle } from './throttle';
import { FaultBook } from './faults';
import { SinkBook } from './sinks';
import { keyVaultHandler } from './keyvault';
import {
  serverArmId,
  stableGuid,
  vaultArmId,
  type BackupInstanceRuntime,
  type ServerRuntime,
  type VaultRuntime,
} from './model';
import {
  findPgTools,
  formatConnectionString,
  quoteIdent,
  serverMajorVersion,
  quoteLiteral,
  startManagedCluster,
  withClient,
  type ManagedCluster,
  type PgEndpoint,
} from './postgres';
import { checkPortsFree, type PortSources } from './ports';
import { startVaultProxy } from './proxy';
import { BlobStore, startAzurite, type AzuriteProcess } from './storage';
import { issueServerCertAsync, loadOrCreateCa } from './tls';
import { TokenStore } from './tokens';

export interface StartOptions {
  /** Where the local CA lives (default {stateDir}/ca). Tests pass the CA their process already trusts. */
  caDir?: string;
  /** Log lines (default: JSON lines on stderr). */
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Where the fixed ports were given (a flag, the configuration), for the message when one is taken. */
  portSources?: PortSources;
}

export interface EmulatorHandle {
  /** ARM base URL (DATAPROTECTION_ENDPOINT). */
  arm: string;
  identityEndpoint: string;
  identityHeader: string;
  /** Key Vault URLs by vault name (real host names, reached through httpsProxy). */
  keyVaultUrls: Record<string, string>;
  /** HTTPS_PROXY value that reaches the Key Vaults; NO_PROXY must keep local addresses direct. */
  httpsProxy: string;
  noProxy: string;
  caFile: string;
  subscriptionId: string;
  blobEndpoint: string;
  /** The environment a client needs to use this emulator (the configuration contract of the app). */
  env: Record<string, string>;
  ctx: EmulatorContext;
  api: ArmApi;
  stop(): Promise<void>;
}

function listen(server: Server | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });
}

function stderrLog(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    JSON.stringify({ ...fields, time: new Date().toISOString(), source: 'emulator', message }) + '\n',
  );
}

export async function startEmulator(
  config: EmulatorConfig,
  options: StartOptions = {},
): Promise<EmulatorHandle> {
  const log = options.log ?? stderrLog;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse())
      await c().catch((err: unknown) => log('cleanup failed', { error: String(err) }));
    cleanups.length = 0;
  };
  // Where start-up time goes, logged with the ready line (bench/emulatorStartup.bench.ts reads it).
  const phasesMs: Record<string, number> = {};
  let phaseStart = Date.now();
  const phaseDone = (name: string): void => {
    const now = Date.now();
    phasesMs[name] = now - phaseStart;
    phaseStart = now;
  };
  try {
    // Before any cluster starts: a port taken is one line at once, not a failure after the backups.
    await checkPortsFree(config, options.portSources);
    const ca = loadOrCreateCa(options.caDir ?? join(config.stateDir, 'ca'));
    const tools = findPgTools(
      config.postgres.binDir,
      config.servers.some((s) => s.managed),
    );

    // Azurite and the managed clusters start in parallel: they are the slow part.
    const azuritePromise: Promise<AzuriteProcess | undefined> = config.storage.managedAzurite
      ? startAzurite(config.storage.accountName)
      : Promise.resolve(undefined);
    const clusterPromises = config.servers.map((s) =>
      s.managed
        ? startManagedCluster(tools, s.managed.password, {
            templateCacheDir: join(config.stateDir, 'pg-templates'),
          })
        : Promise.resolve(undefined),
    );
    // The server keys are made off the main thread meanwhile (RSA key generation costs seconds on a busy machine).
    const kvHosts = [
      '*.vault.azure.net',
      ...config.keyVaults.map((kv) => `${kv.name.toLowerCase()}.vault.azure.net`),
    ];
    const certs = Promise.all([issueServerCertAsync(ca), issueServerCertAsync(ca, kvHosts)]);
    certs.catch(() => undefined); // awaited below; a failure before then must not be an unhandled rejection
    const settled = await Promise.allSettled([azuritePromise, ...clusterPromises]);
    for (const r of settled) {
      if (r.status === 'fulfilled' && r.value) {
        const v = r.value;
        cleanups.push(() => v.stop());
      }
    }
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure?.status === 'rejected') throw failure.reason;
    phaseDone('azuriteAndClusters');
    const azurite = (settled[0] as PromiseFulfilledResult<AzuriteProcess | undefined>).value;
    const blobEndpoint = azurite?.blobEndpoint ?? config.storage.blobEndpoint!;
    const blobs = new BlobStore(blobEndpoint, config.storage.accountName, config.storage.accountKey);
    await Promise.all(
      [config.storage.vaultContainer, ...config.storage.containers].map((c) => blobs.ensureContainer(c)),
    );

    const servers = new Map<string, ServerRuntime>();
    await Promise.all(
      config.servers.map(async (s, i) => {
        const cluster = (settled[i + 1] as PromiseFulfilledResult<ManagedCluster | undefined>).value;
        const admin: PgEndpoint = cluster
          ? { host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password }
          : s.external!;
        const realMajor = await serverMajorVersion(admin);
        if (cluster && s.kind === 'single') {
          // Single Server logins are user@servername: give the local cluster that role, so a secret in
          // Azure's format logs in unchanged (no client strips the suffix).
          await withClient(admin, 'postgres', async (c) => {
            const role = `${admin.user}@${s.name}`;
            await c.query(
              `CREATE ROLE ${quoteIdent(role)} LOGIN SUPERUSER PASSWORD ${quoteLiteral(admin.password)}`,
            );
          });
        }
        servers.set(s.name, {
          config: s,
          armId: serverArmId(config.subscriptionId, s),
          admin,
          realMajor,
          reportedMajor: s.reportedMajorVersion ?? realMajor,
          ...(cluster ? { cluster } : {}),
        });
      }),
    );

    phaseDone('containersAndServers');
    const secrets = new Map<string, Map<string, string>>();
    for (const kv of config.keyVaults) {
      const m = new Map<string, string>();
      for (const [name, value] of Object.entries(kv.secrets)) {
        if (typeof value === 'string') m.set(name, value);
        else {
          const s = servers.get(value.connectionStringFor)!;
          // Single Server logins are user@servername, as Azure Backup expects them in the secret.
          const user =
            value.user ?? (s.config.kind === 'single' ? `${s.admin.user}@${s.config.name}` : s.admin.user);
          m.set(
            name,
            formatConnectionString({
              host: s.admin.host,
              port: s.admin.port,
              database: value.database ?? 'postgres',
              user,
              password: value.password ?? s.admin.password,
            }),
          );
        }
      }
      secrets.set(kv.name.toLowerCase(), m);
    }

    let seq = 0;
    const ctx: EmulatorContext = {
      config,
      tools,
      blobs,
      servers,
      vaults: new Map(),
      secrets,
      operations: new Map(),
      jobs: new Map(),
      crossRegion: new CrossRegionState(config),
      faults: new FaultBook(config.faults),
      throttle: new ArmThrottle(config.throttling),
      revoked: new Set(),
      grantedOnlyAt: new Map(),
      vaultBlobRoleRemoved: new Set(),
      forbiddenSecrets: new Set(),
      tokens: new TokenStore(config.tokenLifetimeSeconds),
      sinks: new SinkBook(),
      requests: [],
      requestCounts: emptyRequestCounts(),
      pending: new Set(),
      nextSeq: () => ++seq,
      log,
    };
    cleanups.push(async () => {
      await Promise.allSettled([...ctx.pending]);
    });

    for (const v of config.vaults) {
      const armId = vaultArmId(config.subscriptionId, v);
      const vault: VaultRuntime = {
        config: v,
        name: v.name,
        armId,
        principalId: stableGuid(`principal:${armId}`),
        instances: new Map(),
      };
      for (const b of v.backupInstances) {
        const server = servers.get(b.server)!;
        const databases = server.config.kind === 'single' ? [b.database!] : b.databases!;
        const datasourceId =
          server.config.kind === 'single' ? `${server.armId}/databases/${databases[0]}` : server.armId;
        const name =
          b.name ??
          `${server.config.name}-${server.config.kind === 'single' ? databases[0] : 'flex'}-${stableGuid(datasourceId)}`;
        const bi: BackupInstanceRuntime = {
          vault,
          config: b,
          name,
          armId: `${armId}/backupInstances/${name}`,
          server,
          kind: server.config.kind,
          databases,
          datasourceId,
          points: [],
        };
        vault.instances.set(name.toLowerCase(), bi);
        // Copies share the original's recovery points (the same array, so the same dumps): a big vault for
        // the cost of one backup.
        for (let c = 1; c <= b.copies; c++) {
          const copyName = `${name}-${String(c).padStart(4, '0')}`;
          vault.instances.set(copyName.toLowerCase(), {
            ...bi,
            name: copyName,
            armId: `${armId}/backupInstances/${copyName}`,
            copyOf: bi,
          });
        }
      }
      ctx.vaults.set(v.name.toLowerCase(), vault);
    }
    // Seed instances of different servers in parallel; instances sharing a server one after another.
    const byServer = new Map<string, BackupInstanceRuntime[]>();
    for (const v of ctx.vaults.values())
      for (const bi of v.instances.values())
        if (!bi.copyOf)
          byServer.set(bi.server.config.name, [...(byServer.get(bi.server.config.name) ?? []), bi]);
    await Promise.all(
      [...byServer.values()].map(async (list) => {
        for (const bi of list) await seedBackupInstance(ctx, bi);
      }),
    );

    phaseDone('seeding');
    const identityHeader = randomBytes(24).toString('hex');
    const api = new ArmApi(ctx, identityHeader);
    const [armCert, kvCert] = await certs;
    const armServer = createHttpsServer({ cert: armCert.certPem, key: armCert.keyPem }, api.handle);
    const armPort = await listen(armServer, config.host, config.port);
    cleanups.push(() => close(armServer));

    const kvServer = createHttpsServer(
      { cert: kvCert.certPem, key: kvCert.keyPem },
      keyVaultHandler(ctx, () => ctx.nextSeq()),
    );
    const kvPort = await listen(kvServer, '127.0.0.1', 0);
    cleanups.push(() => close(kvServer));
    const proxy = await startVaultProxy('127.0.0.1', config.proxyPort, kvPort, () => new Set(secrets.keys()));
    const proxyPort = proxy.port;
    cleanups.push(() => proxy.close());

    const hostPart = config.host.includes(':') ? `[${config.host}]` : config.host;
    const arm = `https://${hostPart}:${armPort}`;
    const httpsProxy = `http://127.0.0.1:${proxyPort}`;
    const noProxy = '127.0.0.1,localhost,::1';
    const identityEndpoint = `${arm}/msi/token`;
    const keyVaultUrls = Object.fromEntries(
      [...secrets.keys()].map((n) => [n, `https://${n}.vault.azure.net`]),
    );
    phaseDone('listen');
    log('emulator ready', { arm, vaults: config.vaults.map((v) => v.name), phasesMs });
    return {
      arm,
      identityEndpoint,
      identityHeader,
      keyVaultUrls,
      httpsProxy,
      noProxy,
      caFile: ca.caFile,
      subscriptionId: config.subscriptionId,
      blobEndpoint,
      env: {
        DATAPROTECTION_ENDPOINT: arm,
        DATAPROTECTION_AUDIENCE: config.armAudience,
        IDENTITY_ENDPOINT: identityEndpoint,
        IDENTITY_HEADER: identityHeader,
        NODE_EXTRA_CA_CERTS: ca.caFile,
        HTTPS_PROXY: httpsProxy,
        NO_PROXY: noProxy,
      },
      ctx,
      api,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
