/**
 * The emulator's admin routes (/_emulator/*, emulator/README.md): what it serves, the request log, jobs with
 * what they restored, a reset, an on-demand backup (after SQL that changes the source, if given), fault rules, and expiring tokens. Tests and the
 * walk-through use them; a real client never does.
 */
import { runSql, takeBackup } from './backups';
import { parseFault } from './config';
import { track, type EmulatorContext } from './context';
import { crossRegionAdmin, renderCrossRegionJob } from './crossRegion';
import { cloudError, type Reply } from './http';
import { renderJob, renderRecoveryPoint, type BackupInstanceRuntime, type VaultRuntime } from './model';
import { vaultGeoSettings } from './regions';
import { containerArmId, storageAccountId } from './authorization';
import { createDatabase } from './postgres';

export interface AdminRequest {
  method: string;
  url: URL;
  body: string;
}

export async function adminRoute(ctx: EmulatorContext, req: AdminRequest): Promise<Reply> {
  const path = req.url.pathname;
  const json = (): unknown => (req.body.trim() ? JSON.parse(req.body) : {});
  try {
    if (req.method === 'GET' && path === '/_emulator/resources') return { status: 200, body: resources(ctx) };
    if (req.method === 'GET' && path === '/_emulator/requests') {
      const since = Number(req.url.searchParams.get('since') ?? '0');
      const bodies = req.url.searchParams.get('bodies') === 'true';
      const list = ctx.requests
        .filter((r) => r.seq > since)
        .map((r) => (bodies ? r : { ...r, responseBody: undefined }));
      return { status: 200, body: { requests: list, counts: ctx.requestCounts } };
    }
    if (req.method === 'GET' && path === '/_emulator/jobs') {
      const now = Date.now();
      return {
        status: 200,
        body: {
          jobs: [...ctx.jobs.values()].map((j) => ({
            ...renderJob(j, ctx.config.subscriptionId, now),
            emulator: {
              restoredDatabase: j.restoredDatabase,
              restoredBlobs: j.restoredBlobs,
              recoveryDestination: j.recoveryDestination,
              filePrefix: j.filePrefix,
            },
          })),
          // Cross-region restore jobs (the secondary region's), as fetchCrossRegionRestoreJob renders them.
          crossRegionJobs: [...ctx.crossRegion.jobs.values()].map((j) => ({
            ...renderCrossRegionJob(j, ctx.config.subscriptionId, now),
            emulator: {
              restoredDatabase: j.restoredDatabase,
              restoredBlobs: j.restoredBlobs,
              recoveryDestination: j.recoveryDestination,
              filePrefix: j.filePrefix,
            },
          })),
        },
      };
    }
    if (req.method === 'GET' && path === '/_emulator/sinks')
      return { status: 200, body: { received: ctx.sinks.received } };
    if (req.method === 'POST' && path === '/_emulator/reset') {
      ctx.requests.length = 0;
      ctx.sinks.clear();
      ctx.faults.clear();
      ctx.revoked.clear();
      ctx.grantedOnlyAt.clear();
      ctx.vaultBlobRoleRemoved.clear();
      ctx.forbiddenSecrets.clear();
      for (const v of ctx.vaults.values()) for (const bi of v.instances.values()) delete bi.protection;
      ctx.operations.clear();
      for (const [id, j] of ctx.jobs)
        if (j.operation === 'Restore' && j.status !== 'InProgress') ctx.jobs.delete(id);
      ctx.crossRegion.reset();
      return { status: 200, body: { reset: true } };
    }
    if (req.method === 'POST' && path === '/_emulator/backup') {
      const input = json() as {
        backupInstanceId?: string;
        archived?: boolean;
        sql?: unknown;
        database?: unknown;
      };
      const bi = findBackupInstance(ctx, input.backupInstanceId);
      if (!bi)
        return cloudError(
          404,
          'ResourceNotFound',
          `backupInstanceId "${input.backupInstanceId}" is not a backup instance of this emulator.`,
        );
      // Change the source first (data or schema), so the new point differs from the ones before it.
      if (input.sql !== undefined) {
        if (typeof input.sql !== 'string' || !input.sql.trim())
          throw new Error('/sql: give SQL to run, or leave it out');
        if (input.database !== undefined && !bi.databases.includes(input.database as string))
          throw new Error(`/database: one of ${bi.databases.join(', ')}`);
        for (const db of input.database !== undefined ? [input.database as string] : bi.databases)
          await runSql(bi, db, input.sql);
      }
      const rp = await track(ctx, takeBackup(ctx, bi, { archived: input.archived === true }));
      return { status: 201, body: renderRecoveryPoint(bi, rp) };
    }
    if (path === '/_emulator/crossRegion') {
      const reply = crossRegionAdmin(ctx, req.method, req.method === 'POST' ? json() : undefined);
      if (reply) return reply;
    }
    if (path === '/_emulator/faults') {
      if (req.method === 'GET') return { status: 200, body: { faults: ctx.faults.list() } };
      if (req.method === 'DELETE') {
        ctx.faults.clear();
        return { status: 200, body: { faults: [] } };
      }
      if (req.method === 'POST') {
        const input = json();
        const rules = (Array.isArray(input) ? input : [input]).map((r) => ctx.faults.add(parseFault(r)));
        return { status: 201, body: { faults: rules } };
      }
    }
    if (path === '/_emulator/permissions') {
      // The drill identity's RBAC actions: revoke one (ARM then answers 403 AuthorizationFailed), everywhere or
      // everywhere except at and below one scope (exceptAt: the role assigned only there), or restore all.
      const state = () => ({
        revoked: [...ctx.revoked],
        grantedOnlyAt: Object.fromEntries(ctx.grantedOnlyAt),
      });
      if (req.method === 'GET') return { status: 200, body: state() };
      if (req.method === 'DELETE') {
        ctx.revoked.clear();
        ctx.grantedOnlyAt.clear();
        return { status: 200, body: state() };
      }
      if (req.method === 'POST') {
        const input = json() as { revoke?: unknown; exceptAt?: unknown };
        if (
          typeof input.revoke !== 'string' ||
          !/^Microsoft\.(DataProtection|DBforPostgreSQL|Authorization)\/.+\/(read|action)$/i.test(
            input.revoke,
          )
        )
          throw new Error(
            '/revoke: give an RBAC action such as Microsoft.DataProtection/backupVaults/backupInstances/restore/action',
          );
        if (input.exceptAt !== undefined) {
          if (typeof input.exceptAt !== 'string' || !/^\/subscriptions\/[^/]+(\/.+)?$/i.test(input.exceptAt))
            throw new Error(
              '/exceptAt: give the ARM scope where the action stays granted, such as /subscriptions/{id}/resourceGroups/{name}',
            );
          ctx.grantedOnlyAt.set(input.revoke.toLowerCase(), input.exceptAt.replace(/\/+$/, ''));
        } else ctx.revoked.add(input.revoke.toLowerCase());
        return { status: 201, body: state() };
      }
    }
    const preflight = await preflightSwitch(ctx, req.method, path, json);
    if (preflight) return preflight;
    if (req.method === 'POST' && path === '/_emulator/tokens/expire') {
      ctx.tokens.expireAll();
      return { status: 200, body: { expired: true } };
    }
  } catch (err) {
    return cloudError(400, 'BadRequest', (err as Error).message);
  }
  return cloudError(404, 'NotFound', `No admin route ${req.method} ${path}. See emulator/README.md.`);
}

/** The vault a switch names (its name or ARM id), or an error listing the vaults. */
function findVault(ctx: EmulatorContext, named: unknown): VaultRuntime {
  const vault = [...ctx.vaults.values()].find(
    (v) =>
      typeof named === 'string' &&
      [v.name.toLowerCase(), v.armId.toLowerCase()].includes(named.toLowerCase()),
  );
  if (!vault) throw new Error(`/vault: one of ${[...ctx.vaults.values()].map((v) => v.name).join(', ')}`);
  return vault;
}

/**
 * Switches that produce the failures the pre-flight doctor checks for (emulator/README.md): a vault identity
 * without its blob data role, a Key Vault secret the app may not read, a stopped or failing protection, a
 * server whose port is closed (a managed cluster halted), a database that already exists on a server.
 */
async function preflightSwitch(
  ctx: EmulatorContext,
  method: string,
  path: string,
  json: () => unknown,
): Promise<Reply | undefined> {
  if (method !== 'POST') return undefined;
  if (path === '/_emulator/vaultBlobRole') {
    const input = json() as { vault?: unknown; assigned?: unknown };
    const vault = findVault(ctx, input.vault);
    if (typeof input.assigned !== 'boolean') throw new Error('/assigned: true or false');
    if (input.assigned) ctx.vaultBlobRoleRemoved.delete(vault.name.toLowerCase());
    else ctx.vaultBlobRoleRemoved.add(vault.name.toLowerCase());
    return { status: 200, body: { vault: vault.name, assigned: input.assigned } };
  }
  if (path === '/_emulator/vaultIdentity') {
    const input = json() as { vault?: unknown; type?: unknown };
    const vault = findVault(ctx, input.vault);
    if (input.type !== 'SystemAssigned' && input.type !== 'UserAssigned' && input.type !== 'None')
      throw new Error('/type: SystemAssigned, UserAssigned or None');
    vault.identityType = input.type;
    return { status: 200, body: { vault: vault.name, type: input.type } };
  }
  if (path === '/_emulator/keyvault/forbid') {
    const input = json() as { secretUri?: unknown; forbidden?: unknown };
    const m =
      typeof input.secretUri === 'string'
        ? /^https:\/\/([a-z0-9-]+)\.vault\.azure\.net\/secrets\/([0-9A-Za-z-]+)/i.exec(input.secretUri)
        : null;
    if (!m)
      throw new Error('/secretUri: a secret URI such as https://{vault}.vault.azure.net/secrets/{name}');
    const key = `${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`;
    if (input.forbidden === false) ctx.forbiddenSecrets.delete(key);
    else ctx.forbiddenSecrets.add(key);
    return { status: 200, body: { forbidden: [...ctx.forbiddenSecrets] } };
  }
  if (path === '/_emulator/protection') {
    const input = json() as { backupInstanceId?: string; state?: unknown };
    const bi = findBackupInstance(ctx, input.backupInstanceId);
    if (!bi)
      throw new Error(
        `/backupInstanceId: "${input.backupInstanceId}" is not a backup instance of this emulator`,
      );
    if (input.state === 'ProtectionConfigured') delete bi.protection;
    else if (input.state === 'ProtectionStopped' || input.state === 'ProtectionError')
      bi.protection = input.state;
    else throw new Error('/state: ProtectionConfigured, ProtectionStopped or ProtectionError');
    return { status: 200, body: { backupInstanceId: bi.armId, state: input.state } };
  }
  const server = /^\/_emulator\/servers\/([^/]+)\/(halt|start|databases)$/.exec(path);
  if (server) {
    const s = [...ctx.servers.values()].find((x) => x.config.name.toLowerCase() === server[1]!.toLowerCase());
    if (!s)
      throw new Error(
        `no server ${server[1]}: one of ${[...ctx.servers.values()].map((x) => x.config.name).join(', ')}`,
      );
    if (server[2] === 'databases') {
      const input = json() as { name?: unknown };
      if (typeof input.name !== 'string' || !/^[a-z0-9_]{1,63}$/.test(input.name))
        throw new Error('/name: a database name of lower-case letters, digits and _');
      await createDatabase(s.admin, input.name);
      return { status: 201, body: { server: s.config.name, database: input.name } };
    }
    if (!s.cluster)
      throw new Error(`server ${s.config.name} is not managed by the emulator: it cannot be halted`);
    await (server[2] === 'halt' ? s.cluster.halt() : s.cluster.start());
    return {
      status: 200,
      body: { server: s.config.name, running: server[2] === 'start', port: s.admin.port },
    };
  }
  return undefined;
}

function findBackupInstance(ctx: EmulatorContext, id: string | undefined): BackupInstanceRuntime | undefined {
  if (!id) return undefined;
  for (const v of ctx.vaults.values())
    for (const bi of v.instances.values()) if (bi.armId.toLowerCase() === id.toLowerCase()) return bi;
  return undefined;
}

/** What the emulator serves: GET /_emulator/resources. */
export function resources(ctx: EmulatorContext): Record<string, unknown> {
  return {
    subscriptionId: ctx.config.subscriptionId,
    vaults: [...ctx.vaults.values()].map((v) => ({
      id: v.armId,
      name: v.name,
      location: v.config.location,
      // storageType, crossRegionRestore (the effective state) and secondaryRegion (when geo-redundant).
      ...vaultGeoSettings(v.config),
      backupInstances: [...v.instances.values()].map((bi) => ({
        id: bi.armId,
        name: bi.name,
        kind: bi.kind,
        datasourceId: bi.datasourceId,
        server: bi.server.config.name,
        databases: bi.databases,
        recoveryPoints: bi.points.map((p) => ({
          id: p.id,
          time: p.time.toISOString(),
          stores: p.stores.map((s) => s.type),
        })),
      })),
    })),
    servers: [...ctx.servers.values()].map((s) => ({
      name: s.config.name,
      kind: s.config.kind,
      id: s.armId,
      location: s.config.location,
      host: s.admin.host,
      port: s.admin.port,
      adminUser: s.admin.user,
      managed: !!s.cluster,
      majorVersion: s.realMajor,
      reportedMajorVersion: s.reportedMajor,
    })),
    storage: {
      blobEndpoint: ctx.blobs.blobEndpoint,
      vaultContainer: ctx.config.storage.vaultContainer,
      accountId: storageAccountId(ctx),
      containers: ctx.config.storage.containers.map((c) => ({
        name: c,
        url: `${ctx.blobs.blobEndpoint.replace(/\/+$/, '')}/${c}`,
        armId: containerArmId(ctx, c),
      })),
    },
    keyVaults: [...ctx.secrets.entries()].map(([name, secrets]) => ({
      name,
      url: `https://${name}.vault.azure.net`,
      secrets: [...secrets.keys()].map((s) => ({
        name: s,
        uri: `https://${name}.vault.azure.net/secrets/${s}`,
      })),
    })),
  };
}
