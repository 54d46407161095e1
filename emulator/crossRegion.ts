/**
 * Cross-region restore (CRR): a geo-redundant vault's recovery points replicated to its paired region
 * (regions.ts), and the five location-scoped operations of Microsoft.DataProtection that restore from them,
 * all `POST /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/locations/{secondary}/…`:
 * fetchSecondaryRecoveryPoints, validateCrossRegionRestore, crossRegionRestore, fetchCrossRegionRestoreJob(s).
 *
 * What they answer follows recorded real traffic (reference/dataprotection/RECORDINGS.md sections 3, 5, 6)
 * where it differs from the swagger's examples: 202 with both Azure-AsyncOperation (unsigned) and Location
 * (signed-looking) scoped on the secondary location, no Retry-After, `Inprogress` with endTime
 * 0001-01-01T00:00:00Z while running, a bare-GUID jobId, and jobs (null keys omitted, operationCategory
 * CrossRegionRestore, `BackupVaults` casing) that are reachable only through fetchCrossRegionRestoreJob(s):
 * they live in the secondary region's stamp, not among the vault's backupJobs.
 *
 * The restore itself is the same-region machinery (restore.ts): validateRestore against the secondary
 * points, then startRestoreJob, so a CRR really writes a database or dump files.
 *
 * Error codes the recordings do not show are the emulator's choice (marked "emulator" in errorCatalog.ts):
 * - CRR off, or an LRS/ZRS vault: 400 UserErrorCrossRegionRestoreNotEnabled (synchronous), for every CRR operation.
 * - `{location}` not the vault's secondary region: 400 UserErrorInvalidCrossRegionRestoreLocation (synchronous).
 * - sourceRegion not the vault's region: 400 UserErrorInvalidSourceRegion (synchronous).
 * - restoreLocation, or the target server's location, not the secondary region: the operation fails with
 *   UserErrorCrossRegionRestoreTargetNotInSecondaryRegion (as other target checks fail, asynchronously).
 * - a point not replicated yet: the operation fails with UserErrorRecoveryPointNotFound.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorConfig } from './config';
import { track, type EmulatorContext } from './context';
import { cloudError, type Reply } from './http';
import {
  newOperationId,
  renderRecoveryPoint,
  stableGuid,
  type ArmErrorBody,
  type BackupInstanceRuntime,
  type JobRuntime,
  type RecoveryPointRuntime,
  type VaultRuntime,
} from './model';
import type { ArmRequest } from './operations';
import { normalizeRegion, sameRegion, vaultGeoSettings } from './regions';
import {
  startRestoreJob,
  userFacingError,
  validateRestore,
  type RestoreRequestBody,
  type Validation,
} from './restore';
import { parseRecoveryPointFilter, type Match } from './routes';
import { checkAgainstSwagger, DEFAULT_SWAGGER_VERSION } from './swagger';

const RUNNING_END_TIME = '0001-01-01T00:00:00Z';
const VALIDATE = 'BackupInstances_ValidateCrossRegionRestore';
const TRIGGER = 'BackupInstances_TriggerCrossRegionRestore';

export interface CrossRegionOperation {
  id: string;
  kind: 'validate' | 'restore';
  vault: VaultRuntime;
  /** The location the operation lives at (and is polled at): the vault's secondary region. */
  location: string;
  startTime: Date;
  /** Not terminal before this time, whatever the work says. */
  readyAt: number;
  result?: { ok: true; jobId?: string } | { ok: false; error: ArmErrorBody };
}

/** The secondary region's state: its operations, its jobs, and run-time replication delays. */
export class CrossRegionState {
  /** By operation id. Apart from ctx.operations: a CRR operation is answered at its secondary location only. */
  readonly operations = new Map<string, CrossRegionOperation>();
  /** By lower-case job id. Apart from ctx.jobs, so the vault's backupJobs list and GET never show them. */
  readonly jobs = new Map<string, JobRuntime>();
  /** Set by POST /_emulator/crossRegion: the global delay, and per-vault ones (lower-case vault name). */
  private globalDelayOverride?: number;
  private readonly vaultDelayOverrides = new Map<string, number>();

  constructor(private readonly config: EmulatorConfig) {}

  /** How long a primary point takes to show in the secondary region, for this vault. */
  replicationDelaySeconds(vault: VaultRuntime): number {
    return (
      this.vaultDelayOverrides.get(vault.name.toLowerCase()) ??
      vault.config.crossRegionRestore?.replicationDelaySeconds ??
      this.globalDelayOverride ??
      this.config.crossRegionRestore.replicationDelaySeconds
    );
  }

  setReplicationDelay(seconds: number | null, vault?: VaultRuntime): void {
    if (vault) {
      if (seconds === null) this.vaultDelayOverrides.delete(vault.name.toLowerCase());
      else this.vaultDelayOverrides.set(vault.name.toLowerCase(), seconds);
    } else if (seconds === null) this.globalDelayOverride = undefined;
    else this.globalDelayOverride = seconds;
  }

  /** POST /_emulator/reset: operations, finished jobs and delay overrides go. */
  reset(): void {
    this.operations.clear();
    for (const [id, j] of this.jobs) if (j.status !== 'InProgress') this.jobs.delete(id);
    this.globalDelayOverride = undefined;
    this.vaultDelayOverrides.clear();
  }
}

/**
 * The points of `bi` visible in the secondary region now: those with a vault-tier copy (archive-tier points are
 * not replicated for cross-region restore) whose time is at least the replication delay ago. Newest first.
 */
export function secondaryPoints(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  now = Date.now(),
): RecoveryPointRuntime[] {
  const delayMs = ctx.crossRegion.replicationDelaySeconds(bi.vault) * 1000;
  return bi.points
    .filter((p) => p.stores.some((s) => s.type === 'VaultStore') && p.time.getTime() + delayMs <= now)
    .sort((a, b) => b.time.getTime() - a.time.getTime());
}

/** ISO 8601 duration, as the recorded jobs give it ("PT0S", "PT2M5.6503519S"). */
export function isoDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = (total % 60_000) / 1000;
  const parts = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
  return `PT${parts}`;
}

/** A time with whole seconds, as the recorded operation statuses end ("2024-02-27T05:28:31Z"). */
function wholeSeconds(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A cross-region restore job as fetchCrossRegionRestoreJob returns it (RECORDINGS.md 3d): null keys left out,
 * operationCategory CrossRegionRestore, operation Restore, and the vault written `BackupVaults`.
 */
export function renderCrossRegionJob(
  job: JobRuntime,
  subscriptionId: string,
  now: number,
): Record<string, unknown> {
  const bi = job.bi;
  const single = bi.kind === 'single';
  const server = bi.server.config;
  const end = job.endTime?.getTime() ?? now;
  const vaultId = job.vault.armId.replace(/\/backupVaults\//i, '/BackupVaults/');
  const changed = job.endTime ?? job.startTime;
  return {
    properties: {
      activityID: stableGuid(`activity:${job.id}`),
      subscriptionId,
      backupInstanceId: bi.armId,
      policyId: `${bi.vault.armId}/backupPolicies/pgdrill-weekly`,
      dataSourceId: bi.datasourceId,
      vaultName: job.vault.name,
      backupInstanceFriendlyName: single ? `${server.name}\\${bi.databases[0]}` : server.name,
      policyName: 'pgdrill-weekly',
      sourceResourceGroup: server.resourceGroup,
      dataSourceSetName: server.name,
      dataSourceName: single ? bi.databases[0] : server.name,
      progressEnabled: true,
      etag: `W/"datetime'${encodeURIComponent(changed.toISOString())}'"`,
      sourceSubscriptionID: subscriptionId,
      dataSourceLocation: server.location,
      startTime: job.startTime.toISOString(),
      ...(job.endTime ? { endTime: job.endTime.toISOString() } : {}),
      dataSourceType: single
        ? 'Microsoft.DBforPostgreSQL/servers/databases'
        : 'Microsoft.DBforPostgreSQL/flexibleServers',
      operationCategory: 'CrossRegionRestore',
      operation: 'Restore',
      status: job.status,
      isUserTriggered: true,
      supportedActions: [''],
      duration: isoDuration(end - job.startTime.getTime()),
      ...(job.errorDetails ? { errorDetails: job.errorDetails } : {}),
      extendedInfo: {
        sourceRecoverPoint: {
          recoveryPointID: job.point.id,
          recoveryPointTime: job.point.time.toISOString(),
        },
        ...(job.recoveryDestination ? { recoveryDestination: job.recoveryDestination } : {}),
        subTasks: job.subTasks,
        ...(job.filePrefix ? { additionalDetails: { 'Restore File Prefix': job.filePrefix } } : {}),
      },
    },
    id: `${vaultId}/backupJobs/${job.id}`,
    name: job.id,
    type: 'Microsoft.DataProtection/BackupVaults/backupJobs',
  };
}

function domainError(code: string, detail: string): Reply {
  return { status: 400, body: { error: userFacingError(code, detail) } };
}

function parseBody(req: ArmRequest): { ok: true; value: unknown } | { ok: false; reply: Reply } {
  try {
    return { ok: true, value: JSON.parse(req.body) };
  } catch (err) {
    return {
      ok: false,
      reply: cloudError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: ${(err as Error).message}`,
      ),
    };
  }
}

/**
 * Checks a CRR request body against swagger definition `name` of the request's api-version, or of the newest
 * contract when that version's contract has no such definition (the 2021-07-01 extract has only the
 * restore definitions; CRR bodies are unchanged since 2023-11-01).
 */
function checkBody(name: string, body: unknown, apiVersion: string): Reply | undefined {
  let check;
  try {
    check = checkAgainstSwagger(name, body, 'request', apiVersion);
  } catch {
    check = checkAgainstSwagger(name, body, 'request', DEFAULT_SWAGGER_VERSION);
  }
  if (check.valid) return undefined;
  return cloudError(
    400,
    'BadRequest',
    `The request body does not match the ${name} contract of api-version ${apiVersion}: ${check.errors.slice(0, 5).join('; ')}`,
  );
}

const ARM_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.DataProtection\/backupVaults\/([^/]+)(?:\/backupInstances\/([^/]+))?\/?$/i;

/** The vault (and backup instance) an ARM id in a CRR body names; ids are compared case-insensitively. */
function resolveSource(
  ctx: EmulatorContext,
  id: string,
  what: 'vault' | 'backupInstance',
): { vault: VaultRuntime; bi?: BackupInstanceRuntime } | Reply {
  const m = ARM_ID.exec(id);
  const notFound = cloudError(
    404,
    'ResourceNotFound',
    `The ${what === 'vault' ? 'backup vault' : 'backup instance'} '${id}' was not found.`,
  );
  if (!m || (what === 'backupInstance') !== !!m[4]) return notFound;
  if (m[1]!.toLowerCase() !== ctx.config.subscriptionId.toLowerCase()) return notFound;
  const vault = ctx.vaults.get(m[3]!.toLowerCase());
  if (!vault || vault.config.resourceGroup.toLowerCase() !== m[2]!.toLowerCase()) return notFound;
  if (what === 'vault') return { vault };
  const bi = vault.instances.get(m[4]!.toLowerCase());
  return bi ? { vault, bi } : notFound;
}

/**
 * The checks every CRR operation makes before anything else: the path's resource group is the vault's, the
 * vault replicates with CRR on, `{location}` is its secondary region, and sourceRegion its own region.
 */
function checkRegions(
  vault: VaultRuntime,
  params: Record<string, string>,
  sourceRegion: string,
): Reply | undefined {
  if (vault.config.resourceGroup.toLowerCase() !== params.rg!.toLowerCase())
    return cloudError(
      400,
      'BadRequest',
      `The resource group in the path ('${params.rg}') must be the source vault's ('${vault.config.resourceGroup}').`,
    );
  const geo = vaultGeoSettings(vault.config);
  if (geo.crossRegionRestore !== 'Enabled' || !geo.secondaryRegion)
    return domainError(
      'UserErrorCrossRegionRestoreNotEnabled',
      `Cross-region restore is not enabled for backup vault ${vault.name} (storage ${geo.storageType}, crossRegionRestoreSettings.state ${geo.crossRegionRestore}).`,
    );
  if (!sameRegion(params.location!, geo.secondaryRegion))
    return domainError(
      'UserErrorInvalidCrossRegionRestoreLocation',
      `Cross-region operations of backup vault ${vault.name} (region ${vault.config.location}) are served at its secondary region '${geo.secondaryRegion}', not at '${params.location}'.`,
    );
  if (!sameRegion(sourceRegion, vault.config.location))
    return domainError(
      'UserErrorInvalidSourceRegion',
      `sourceRegion '${sourceRegion}' is not the region of backup vault ${vault.name} ('${vault.config.location}').`,
    );
  return undefined;
}

/** Pages a list as the other list operations do: $skipToken in nextLink, the same request otherwise. */
function page<T>(req: ArmRequest, items: T[], pageSize: number): { value: T[]; nextLink?: string } {
  const token = req.url.searchParams.get('$skipToken');
  const skip = (token ? Number(Buffer.from(token, 'base64url').toString()) : 0) || 0;
  const value = items.slice(skip, skip + pageSize);
  if (skip + pageSize >= items.length) return { value };
  const next = new URL(req.url.href);
  next.searchParams.set('$skipToken', Buffer.from(String(skip + pageSize)).toString('base64url'));
  return { value, nextLink: `${req.origin}${next.pathname}${next.search}` };
}

/**
 * The CRR operations, and the polls of CRR operations: a Reply, or undefined when the request is not
 * cross-region (the same-region code answers it).
 */
export function runCrossRegion(
  ctx: EmulatorContext,
  match: Match,
  req: ArmRequest,
  apiVersion: string,
): Reply | undefined {
  switch (match.operation) {
    case 'FetchSecondaryRecoveryPoints_List':
      return fetchSecondaryRecoveryPoints(ctx, match, req, apiVersion);
    case VALIDATE:
    case TRIGGER:
      return startOperation(ctx, match, req, apiVersion);
    case 'FetchCrossRegionRestoreJob_Get':
    case 'FetchCrossRegionRestoreJobs_List':
      return fetchJobs(ctx, match, req, apiVersion);
    case 'OperationStatus_Get':
    case 'OperationResult_Get': {
      const op = ctx.crossRegion.operations.get(match.params.op!);
      if (!op) return undefined;
      // The operation lives in the secondary region's stamp: polled anywhere else, it does not exist.
      if (!sameRegion(match.params.location!, op.location))
        return cloudError(404, 'ResourceNotFound', `Operation '${op.id}' was not found.`);
      return match.operation === 'OperationStatus_Get'
        ? operationStatus(ctx, op, req)
        : operationResult(ctx, op, req, apiVersion);
    }
    default:
      return undefined;
  }
}

function fetchSecondaryRecoveryPoints(
  ctx: EmulatorContext,
  match: Match,
  req: ArmRequest,
  apiVersion: string,
): Reply {
  const parsed = parseBody(req);
  if (!parsed.ok) return parsed.reply;
  const bad = checkBody('FetchSecondaryRPsRequestParameters', parsed.value, apiVersion);
  if (bad) return bad;
  const body = parsed.value as { sourceBackupInstanceId?: string; sourceRegion?: string };
  // The swagger marks neither field required; the service cannot answer without them.
  if (!body.sourceBackupInstanceId || !body.sourceRegion)
    return cloudError(400, 'BadRequest', 'sourceBackupInstanceId and sourceRegion are required.');
  const source = resolveSource(ctx, body.sourceBackupInstanceId, 'backupInstance');
  if ('status' in source) return source;
  const refused = checkRegions(source.vault, match.params, body.sourceRegion);
  if (refused) return refused;
  const filter = parseRecoveryPointFilter(req.url.searchParams.get('$filter'));
  if ('error' in filter) return cloudError(400, 'BMSUserErrorInvalidFilter', filter.error);
  const bi = source.bi!;
  const points = secondaryPoints(ctx, bi)
    .filter((rp) => (!filter.start || rp.time >= filter.start) && (!filter.end || rp.time <= filter.end))
    .map((rp) => renderRecoveryPoint(bi, rp)); // the primary's ids, as the secondary region returns them
  return { status: 200, body: page(req, points, ctx.config.recoveryPointsPageSize) };
}

interface CrossRegionRequestBody {
  restoreRequestObject: RestoreRequestBody;
  crossRegionRestoreDetails: { sourceBackupInstanceId: string; sourceRegion: string };
}

function startOperation(ctx: EmulatorContext, match: Match, req: ArmRequest, apiVersion: string): Reply {
  const validate = match.operation === VALIDATE;
  const parsed = parseBody(req);
  if (!parsed.ok) return parsed.reply;
  // The Azure CLI sends an outer objectType that the swagger does not define, and the service accepts it
  // (RECORDINGS.md 3b/3c): take it off before the strict check.
  let outer = parsed.value;
  if (
    outer &&
    typeof outer === 'object' &&
    typeof (outer as { objectType?: unknown }).objectType === 'string'
  ) {
    const { objectType: _ignored, ...rest } = outer as Record<string, unknown>;
    outer = rest;
  }
  const definition = validate ? 'ValidateCrossRegionRestoreRequestObject' : 'CrossRegionRestoreRequestObject';
  const bad = checkBody(definition, outer, apiVersion);
  if (bad) return bad;
  const body = outer as CrossRegionRequestBody;
  // The restore request itself, exactly as a same-region restore's (2021-07-01-era versions know fewer fields).
  const badRestore = checkBody('AzureBackupRestoreRequest', body.restoreRequestObject, apiVersion);
  if (badRestore) return badRestore;
  if (body.restoreRequestObject.objectType === 'AzureBackupRecoveryTimeBasedRestoreRequest')
    return cloudError(
      400,
      'BadRequest',
      'Point-in-time restore (AzureBackupRecoveryTimeBasedRestoreRequest) is not supported for PostgreSQL backups; use a recovery point.',
    );
  const details = body.crossRegionRestoreDetails;
  const source = resolveSource(ctx, details.sourceBackupInstanceId, 'backupInstance');
  if ('status' in source) return source;
  const refused = checkRegions(source.vault, match.params, details.sourceRegion);
  if (refused) return refused;
  const bi = source.bi!;
  const secondary = vaultGeoSettings(bi.vault.config).secondaryRegion!;
  const timing = validate ? ctx.config.timings.validate : ctx.config.timings.restoreOperation;
  const op: CrossRegionOperation = {
    id: newOperationId(),
    kind: validate ? 'validate' : 'restore',
    vault: bi.vault,
    location: secondary,
    startTime: new Date(),
    readyAt: Date.now() + timing.durationSeconds * 1000,
  };
  ctx.crossRegion.operations.set(op.id, op);
  void track(
    ctx,
    validateCrossRegion(ctx, bi, body.restoreRequestObject, match.operation, secondary).then(
      (v) => {
        if (!v.ok) op.result = v;
        else if (validate) op.result = { ok: true };
        else {
          const job = startRestoreJob(ctx, bi, v.plan, { operation: TRIGGER, jobs: ctx.crossRegion.jobs });
          op.result = { ok: true, jobId: job.id };
        }
      },
      (err: unknown) => {
        op.result = {
          ok: false,
          error: { code: 'InternalError', message: `emulator: ${(err as Error).message}` },
        };
      },
    ),
  );
  return { status: 202, headers: pollHeaders(ctx, req.origin, op, apiVersion) };
}

/** The same-region checks against the secondary points, and that the target is in the secondary region. */
async function validateCrossRegion(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  body: RestoreRequestBody,
  operation: string,
  secondary: string,
): Promise<Validation> {
  const points = secondaryPoints(ctx, bi);
  const fail = (code: string, detail: string): Validation => ({
    ok: false,
    error: userFacingError(code, detail),
  });
  if (
    !points.some((p) => p.id === body.recoveryPointId) &&
    bi.points.some((p) => p.id === body.recoveryPointId)
  ) {
    return fail(
      'UserErrorRecoveryPointNotFound',
      `Recovery point ${body.recoveryPointId} is not in the secondary region ${secondary} yet (replication delay ${ctx.crossRegion.replicationDelaySeconds(bi.vault)} s), or is in the archive tier.`,
    );
  }
  const restoreLocation = body.restoreTargetInfo.restoreLocation;
  if (restoreLocation !== undefined && !sameRegion(restoreLocation, secondary)) {
    return fail(
      'UserErrorCrossRegionRestoreTargetNotInSecondaryRegion',
      `restoreLocation '${restoreLocation}' is not the secondary region '${secondary}' of backup vault ${bi.vault.name}.`,
    );
  }
  const v = await validateRestore(ctx, bi, body, operation, points);
  if (!v.ok) return v;
  const target = v.plan.target;
  if (target.kind === 'database' && !sameRegion(target.server.config.location, secondary)) {
    return fail(
      'UserErrorCrossRegionRestoreTargetNotInSecondaryRegion',
      `Target server ${target.server.config.name} is in '${normalizeRegion(target.server.config.location)}', not in the secondary region '${secondary}' of backup vault ${bi.vault.name}.`,
    );
  }
  return v;
}

function running(op: CrossRegionOperation): boolean {
  return !op.result || Date.now() < op.readyAt;
}

/** A query that looks like ARM's signature (&t&c&s&h), so a client must use the Location URL as given. */
function signature(): string {
  const ticks = String(BigInt(Date.now()) * 10_000n + 621_355_968_000_000_000n);
  return `&t=${ticks}&c=${randomBytes(12).toString('base64url')}&s=${randomBytes(24).toString('base64url')}&h=${randomBytes(16).toString('base64url')}`;
}

function pollHeaders(
  ctx: EmulatorContext,
  origin: string,
  op: CrossRegionOperation,
  apiVersion: string,
): Record<string, string> {
  const base = `${origin}/subscriptions/${ctx.config.subscriptionId}/providers/Microsoft.DataProtection/locations/${op.location}`;
  const retryAfter = ctx.config.crossRegionRestore.retryAfterSeconds;
  return {
    'Azure-AsyncOperation': `${base}/operationStatus/${encodeURIComponent(op.id)}?api-version=${apiVersion}`,
    Location: `${base}/operationResults/${encodeURIComponent(op.id)}?api-version=${apiVersion}${signature()}`,
    ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}),
  };
}

function operationStatus(ctx: EmulatorContext, op: CrossRegionOperation, req: ArmRequest): Reply {
  const isRunning = running(op);
  const result = op.result;
  const retryAfter = ctx.config.crossRegionRestore.retryAfterSeconds;
  return {
    status: 200,
    body: {
      id: decodeURIComponent(req.url.pathname),
      name: op.id,
      status: isRunning ? 'Inprogress' : result!.ok ? 'Succeeded' : 'Failed',
      startTime: op.startTime.toISOString(),
      endTime: isRunning ? RUNNING_END_TIME : wholeSeconds(Math.max(op.readyAt, op.startTime.getTime())),
      ...(!isRunning && !result!.ok ? { error: result!.error } : {}),
      // The trigger's jobId is the bare job GUID (RECORDINGS.md 3c), not an ARM id.
      ...(!isRunning && result!.ok && result!.jobId
        ? { properties: { jobId: result!.jobId, objectType: 'OperationJobExtendedInfo' } }
        : {}),
    },
    ...(isRunning && retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
  };
}

function operationResult(
  ctx: EmulatorContext,
  op: CrossRegionOperation,
  req: ArmRequest,
  apiVersion: string,
): Reply {
  const headers = pollHeaders(ctx, req.origin, op, apiVersion);
  if (running(op)) return { status: 202, headers };
  if (!op.result!.ok) return { status: 400, body: { error: op.result!.error } };
  // Done: the result, and a fresh Azure-AsyncOperation header (RECORDINGS.md 3b/3c).
  return {
    status: 200,
    headers: { 'Azure-AsyncOperation': headers['Azure-AsyncOperation']! },
    body: {
      ...(op.result!.jobId ? { jobId: op.result!.jobId } : {}),
      objectType: 'OperationJobExtendedInfo',
    },
  };
}

function fetchJobs(ctx: EmulatorContext, match: Match, req: ArmRequest, apiVersion: string): Reply {
  const one = match.operation === 'FetchCrossRegionRestoreJob_Get';
  const parsed = parseBody(req);
  if (!parsed.ok) return parsed.reply;
  const bad = checkBody(
    one ? 'CrossRegionRestoreJobRequest' : 'CrossRegionRestoreJobsRequest',
    parsed.value,
    apiVersion,
  );
  if (bad) return bad;
  const body = parsed.value as { sourceBackupVaultId: string; sourceRegion: string; jobId?: string };
  // The recorded call names the vault `…/BackupVaults/…` (from Resource Graph): ids match case-insensitively.
  const source = resolveSource(ctx, body.sourceBackupVaultId, 'vault');
  if ('status' in source) return source;
  const refused = checkRegions(source.vault, match.params, body.sourceRegion);
  if (refused) return refused;
  const now = Date.now();
  if (one) {
    // A bare GUID, as the trigger returns it; the last segment of an ARM id is taken too.
    const id = body.jobId!.split('/').pop()!.toLowerCase();
    const job = ctx.crossRegion.jobs.get(id);
    return job && job.vault === source.vault
      ? { status: 200, body: renderCrossRegionJob(job, ctx.config.subscriptionId, now) }
      : cloudError(
          404,
          'ResourceNotFound',
          `The cross-region restore job '${body.jobId}' was not found for vault '${source.vault.name}'.`,
        );
  }
  // The swagger documents $filter only as "OData filter options"; the emulator accepts the one clause the
  // client sends (startTime ge '<time>', as the Azure Backup jobs lists take it) and refuses anything else.
  const filter = parseJobsFilter(req.url.searchParams.get('$filter'));
  if ('error' in filter) return cloudError(400, 'BMSUserErrorInvalidFilter', filter.error);
  const jobs = [...ctx.crossRegion.jobs.values()]
    .filter((j) => j.vault === source.vault)
    .filter((j) => !filter.since || j.startTime.getTime() >= filter.since.getTime())
    .sort((a, b) => b.startTime.getTime() - a.startTime.getTime())
    .map((j) => renderCrossRegionJob(j, ctx.config.subscriptionId, now));
  return { status: 200, body: page(req, jobs, ctx.config.jobsPageSize) };
}

/** fetchCrossRegionRestoreJobs' $filter: empty, or startTime ge '<time>'. */
export function parseJobsFilter(filter: string | null): { since?: Date } | { error: string } {
  if (!filter || !filter.trim()) return {};
  const m = /^\s*startTime\s+ge\s+'([^']+)'\s*$/i.exec(filter);
  if (!m) return { error: `Invalid $filter "${filter.trim()}": expected startTime ge '<time>'.` };
  const since = new Date(m[1]!);
  if (Number.isNaN(since.getTime())) return { error: `Invalid time '${m[1]}' in $filter.` };
  return { since };
}

/**
 * GET /_emulator/crossRegion: each vault's geo settings, delay and secondary points, and the CRR jobs (with
 * what they restored). POST {replicationDelaySeconds: n | null, vault?: name}: set (or, null, drop) the
 * replication delay globally or for one vault, at run time.
 */
export function crossRegionAdmin(ctx: EmulatorContext, method: string, body: unknown): Reply | undefined {
  if (method === 'POST') {
    const input = (body ?? {}) as { replicationDelaySeconds?: unknown; vault?: unknown };
    const seconds = input.replicationDelaySeconds;
    if (seconds !== null && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0))
      throw new Error('/replicationDelaySeconds: give a number of seconds ≥ 0, or null to drop the override');
    let vault: VaultRuntime | undefined;
    if (input.vault !== undefined) {
      vault = typeof input.vault === 'string' ? ctx.vaults.get(input.vault.toLowerCase()) : undefined;
      if (!vault) throw new Error(`/vault: no vault named ${JSON.stringify(input.vault)}`);
    }
    ctx.crossRegion.setReplicationDelay(seconds, vault);
  } else if (method !== 'GET') return undefined;
  const now = Date.now();
  return {
    status: method === 'POST' ? 201 : 200,
    body: {
      vaults: [...ctx.vaults.values()].map((v) => {
        const geo = vaultGeoSettings(v.config);
        return {
          name: v.name,
          id: v.armId,
          location: v.config.location,
          ...geo,
          replicationDelaySeconds: ctx.crossRegion.replicationDelaySeconds(v),
          backupInstances: [...v.instances.values()]
            .filter((bi) => !bi.copyOf)
            .map((bi) => ({
              id: bi.armId,
              secondaryRecoveryPoints:
                geo.crossRegionRestore === 'Enabled'
                  ? secondaryPoints(ctx, bi, now).map((p) => ({ id: p.id, time: p.time.toISOString() }))
                  : [],
            })),
        };
      }),
      jobs: [...ctx.crossRegion.jobs.values()].map((j) => ({
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
