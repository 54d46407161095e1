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
import { renderJob, renderRecoveryPoint, type BackupInstanceRuntime } from './model';
import { vaultGeoSettings } from './regions';

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
      // The drill identity's RBAC actions: revoke one (ARM then answers 403 AuthorizationFailed), or restore all.
      if (req.method === 'GET') return { status: 200, body: { revoked: [...ctx.revoked] } };
      if (req.method === 'DELETE') {
        ctx.revoked.clear();
        return { status: 200, body: { revoked: [] } };
      }
      if (req.method === 'POST') {
        const input = json() as { revoke?: unknown };
        if (
          typeof input.revoke !== 'string' ||
          !/^Microsoft\.DataProtection\/.+\/(read|action)$/i.test(input.revoke)
        )
          throw new Error(
            '/revoke: give an RBAC action such as Microsoft.DataProtection/backupVaults/backupInstances/restore/action',
          );
        ctx.revoked.add(input.revoke.toLowerCase());
        return { status: 201, body: { revoked: [...ctx.revoked] } };
      }
    }
    if (req.method === 'POST' && path === '/_emulator/tokens/expire') {
      ctx.tokens.expireAll();
      return { status: 200, body: { expired: true } };
    }
  } catch (err) {
    return cloudError(400, 'BadRequest', (err as Error).message);
  }
  return cloudError(404, 'NotFound', `No admin route ${req.method} ${path}. See emulator/README.md.`);
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
      containers: ctx.config.storage.containers.map((c) => ({
        name: c,
        url: `${ctx.blobs.blobEndpoint.replace(/\/+$/, '')}/${c}`,
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
