/**
 * Restores: the domain validation Azure Backup performs (with its error codes), and the restore job that
 * really moves data: pg_restore into a new database on the target server, or the dump files written into
 * the target blob container. Archive-tier points are rehydrated first, which takes a configurable time and
 * shows in the recovery point's rehydrationStatus.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FaultRule } from './config';
import { catalogEntry } from './errorCatalog';
import { track, type EmulatorContext } from './context';
import {
  stableGuid,
  type ArmErrorBody,
  type BackupInstanceRuntime,
  type DataStoreDetail,
  type JobRuntime,
  type RecoveryPointRuntime,
  type ServerRuntime,
} from './model';
import { credentialsFromSecret, quoteIdent, restoreDatabase, withClient, type PgEndpoint } from './postgres';
import { tempDir } from './storage';

/** The restore request body, as the swagger defines it (already schema-checked by the route). */
export interface RestoreRequestBody {
  /** AzureBackupRecoveryPointBasedRestoreRequest or AzureBackupRestoreWithRehydrationRequest (swagger-checked). */
  objectType: string;
  recoveryPointId?: string;
  sourceDataStoreType: string;
  rehydrationPriority?: string;
  rehydrationRetentionDuration?: string;
  restoreTargetInfo: {
    objectType: string;
    restoreLocation?: string;
    datasourceInfo?: { resourceID: string };
    datasourceAuthCredentials?: {
      objectType: string;
      secretStoreResource?: { uri?: string; secretStoreType: string };
    };
    targetDetails?: { url: string; filePrefix: string; restoreTargetLocationType: string };
  };
}

export type RestorePlan = {
  point: RecoveryPointRuntime;
  sourceDataStore: 'VaultStore' | 'ArchiveStore';
  rehydration?: { priority: string; retentionDays: number };
  target:
    | { kind: 'database'; server: ServerRuntime; database: string; databaseId: string; login: PgEndpoint }
    | { kind: 'files'; container: string; filePrefix: string; url: string };
};

export type Validation = { ok: true; plan: RestorePlan } | { ok: false; error: ArmErrorBody };

/** An ARM error carrying Azure Backup's UserFacingError, shaped exactly like the Learn article's example. */
export function userFacingError(code: string, detail?: string): ArmErrorBody {
  const entry = catalogEntry(code);
  return {
    additionalInfo: [
      {
        type: 'UserFacingError',
        info: {
          message: entry.message,
          recommendedAction: entry.recommendedAction,
          code,
          target: '',
          innerError: {
            code: 'InnerErrorCodeUnavailable',
            additionalInfo: { DetailedNonLocalisedMessage: detail ?? entry.message },
          },
          isRetryable: entry.isRetryable,
          isUserError: entry.isUserError,
          properties: { ActivityId: `${randomUUID()}-Emu` },
        },
      },
    ],
    code,
    message: entry.message,
  };
}

function fail(code: string, detail?: string): Validation {
  return { ok: false, error: userFacingError(code, detail) };
}

/** A point can be read from the vault store when it is there, or was rehydrated and the copy has not expired. */
export function vaultCopyAvailable(point: RecoveryPointRuntime, now = Date.now()): boolean {
  return point.stores.some(
    (s) =>
      s.type === 'VaultStore' ||
      (s.type === 'ArchiveStore' &&
        s.rehydrationStatus === 'COMPLETED' &&
        !!s.rehydrationExpiryTime &&
        Date.parse(s.rehydrationExpiryTime) > now),
  );
}

function secretFor(
  ctx: EmulatorContext,
  uri: string | undefined,
): { ok: true; value: string } | { ok: false; v: Validation } {
  if (!uri)
    return {
      ok: false,
      v: fail('UserErrorInvalidSecret', 'datasourceAuthCredentials.secretStoreResource.uri is missing.'),
    };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, v: fail('UserErrorInvalidSecretStore', `"${uri}" is not a Key Vault secret URI.`) };
  }
  const vault = /^([a-z0-9-]+)\.vault\.azure\.net$/i.exec(url.hostname)?.[1]?.toLowerCase();
  const secrets = vault ? ctx.secrets.get(vault) : undefined;
  if (!vault || !secrets)
    return { ok: false, v: fail('UserErrorInvalidSecretStore', `Key Vault ${url.hostname} does not exist.`) };
  const name = /^\/secrets\/([^/]+)(\/[^/]+)?\/?$/.exec(url.pathname)?.[1];
  const value = name ? secrets.get(name) : undefined;
  if (value === undefined)
    return {
      ok: false,
      v: fail('UserErrorInvalidSecret', `Secret ${url.pathname} was not found in Key Vault ${vault}.`),
    };
  return { ok: true, value };
}

function pgErrorCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

async function validateDatabaseTarget(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  body: RestoreRequestBody,
  point: RecoveryPointRuntime,
): Promise<Validation> {
  if (bi.kind === 'flexible')
    return fail(
      'UserErrorRestoreAsDatabaseNotSupported',
      'Flexible Server backups are restored as files only.',
    );
  const id = body.restoreTargetInfo.datasourceInfo?.resourceID ?? '';
  const m =
    /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DBforPostgreSQL\/servers\/[^/]+)\/databases\/([^/]+)$/i.exec(
      id,
    );
  const server = m
    ? [...ctx.servers.values()].find(
        (s) => s.config.kind === 'single' && s.armId.toLowerCase() === m[1]!.toLowerCase(),
      )
    : undefined;
  if (!m || !server)
    return fail(
      'UserErrorDBNotFound',
      `The target server of ${id || '(no datasourceInfo.resourceID)'} does not exist.`,
    );
  const database = m[2]!;
  const secret = secretFor(ctx, body.restoreTargetInfo.datasourceAuthCredentials?.secretStoreResource?.uri);
  if (!secret.ok) return secret.v;
  let login: PgEndpoint;
  try {
    const creds = credentialsFromSecret(secret.value);
    // Azure connects to the server named in the ARM id; the secret provides who logs in.
    login = { host: server.admin.host, port: server.admin.port, user: creds.user, password: creds.password };
  } catch (err) {
    return fail(
      'UserErrorSecretValueInUnsupportedFormat',
      `The secret value is not a supported connection string: ${(err as Error).message}.`,
    );
  }
  try {
    const facts = await withClient(login, 'postgres', async (c) => {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      const role = await c.query<{ can: boolean }>(
        'SELECT (rolcreatedb OR rolsuper) AS can FROM pg_roles WHERE rolname = current_user',
      );
      return { exists: (exists.rowCount ?? 0) > 0, canCreate: role.rows[0]?.can === true };
    });
    if (facts.exists)
      return fail(
        'UserErrorDatabaseNameAlreadyInUse',
        `Database ${database} already exists on server ${server.config.name}.`,
      );
    if (!facts.canCreate)
      return fail(
        'UserErrorMissingDBPermissions',
        `User ${login.user} cannot create databases on server ${server.config.name}.`,
      );
  } catch (err) {
    const code = pgErrorCode(err);
    if (code === '28P01' || code === '28000')
      return fail(
        'UserErrorDBUserAuthFailed',
        `Login of ${login.user} to server ${server.config.name} failed: ${(err as Error).message}`,
      );
    return fail(
      'UserErrorServerConnectionClosed',
      `Connecting to server ${server.config.name} failed: ${(err as Error).message}`,
    );
  }
  if (server.reportedMajor < point.sourceMajor) {
    return fail(
      'UserErrorRestoreToLowerVersion',
      `Restoring backup from version:${point.sourceMajor} of PostgreSQL to ${server.reportedMajor} of PostgreSQL not supported, as the restore server version is lower.`,
    );
  }
  return {
    ok: true,
    plan: {
      point,
      sourceDataStore: 'VaultStore',
      target: { kind: 'database', server, database, databaseId: id, login },
    },
  };
}

async function validateFilesTarget(
  ctx: EmulatorContext,
  body: RestoreRequestBody,
  point: RecoveryPointRuntime,
): Promise<Validation> {
  const details = body.restoreTargetInfo.targetDetails!;
  if (details.restoreTargetLocationType !== 'AzureBlobs') {
    return fail(
      'UserErrorContainerNotAccessible',
      `Restore target location type ${details.restoreTargetLocationType} is not supported for PostgreSQL; use AzureBlobs.`,
    );
  }
  const container = ctx.blobs.containerOfUrl(details.url);
  if (!container || !(await ctx.blobs.containerExists(container))) {
    return fail(
      'UserErrorContainerNotAccessible',
      `Container ${details.url} does not exist or cannot be written by the vault.`,
    );
  }
  return {
    ok: true,
    plan: {
      point,
      sourceDataStore: 'VaultStore',
      target: { kind: 'files', container, filePrefix: details.filePrefix, url: details.url },
    },
  };
}

/**
 * The checks Azure Backup runs for validateRestore and again when a restore is triggered. `points` are the
 * recovery points the restore may use: the instance's own, or (cross-region) those replicated to the secondary.
 */
export async function validateRestore(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  body: RestoreRequestBody,
  operation: string,
  points: RecoveryPointRuntime[] = bi.points,
): Promise<Validation> {
  const domain = ctx.faults.take(operation, ['domain']);
  if (domain) return fail(domain.code!, `Injected by an emulator fault rule (${domain.id}).`);
  const point = points.find((p) => p.id === body.recoveryPointId);
  if (!point)
    return fail(
      'UserErrorRecoveryPointNotFound',
      `Recovery point ${body.recoveryPointId} does not exist for backup instance ${bi.name}.`,
    );
  let rehydration: RestorePlan['rehydration'];
  if (body.sourceDataStoreType === 'ArchiveStore') {
    if (!point.stores.some((s) => s.type === 'ArchiveStore')) {
      return fail(
        'UserErrorRecoveryPointNotFound',
        `Recovery point ${point.id} has no copy in the archive tier.`,
      );
    }
    if (body.objectType !== 'AzureBackupRestoreWithRehydrationRequest') {
      return fail(
        'UserErrorRecoveryPointNeedsRehydration',
        `Restoring from ArchiveStore needs objectType AzureBackupRestoreWithRehydrationRequest, not ${body.objectType}.`,
      );
    }
    const days = /^P(\d+)D$/.exec(body.rehydrationRetentionDuration ?? '')?.[1];
    if (!days || Number(days) < 10 || Number(days) > 30) {
      return fail(
        'UserErrorInvalidRehydrationRetentionDuration',
        `rehydrationRetentionDuration "${body.rehydrationRetentionDuration}" is not P10D..P30D.`,
      );
    }
    rehydration = { priority: body.rehydrationPriority ?? 'Standard', retentionDays: Number(days) };
  } else if (!vaultCopyAvailable(point)) {
    return fail(
      'UserErrorRecoveryPointNeedsRehydration',
      `Recovery point ${point.id} is in the archive tier only.`,
    );
  }
  const target =
    body.restoreTargetInfo.objectType === 'RestoreTargetInfo'
      ? await validateDatabaseTarget(ctx, bi, body, point)
      : await validateFilesTarget(ctx, body, point);
  if (!target.ok) return target;
  return {
    ok: true,
    plan: {
      ...target.plan,
      sourceDataStore: rehydration ? 'ArchiveStore' : 'VaultStore',
      ...(rehydration ? { rehydration } : {}),
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** The dump file names a restore-as-files job writes: {filePrefix}_{database}.dump (pg_dump custom format). */
export function restoredFileName(filePrefix: string, database: string): string {
  return `${filePrefix}_${database}.dump`;
}

export interface StartRestoreJobOptions {
  /** The operationId whose jobFailHalfway/damagedFiles fault rules apply (default BackupInstances_TriggerRestore). */
  operation?: string;
  /** Where the job is kept (default ctx.jobs, the vault's jobs; cross-region jobs live in the secondary region). */
  jobs?: Map<string, JobRuntime>;
}

/** Creates the restore job and runs it in the background; returns the job at once (InProgress). */
export function startRestoreJob(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  plan: RestorePlan,
  options: StartRestoreJobOptions = {},
): JobRuntime {
  const operation = options.operation ?? 'BackupInstances_TriggerRestore';
  const job: JobRuntime = {
    id: randomUUID(),
    vault: bi.vault,
    bi,
    operation: 'Restore',
    status: 'InProgress',
    startTime: new Date(),
    subTasks: [
      ...(plan.rehydration
        ? [{ taskId: 0, taskName: 'Rehydrate recovery point', taskStatus: 'NotStarted' as const }]
        : []),
      { taskId: 1, taskName: 'Transfer data', taskStatus: 'NotStarted' },
      { taskId: 2, taskName: 'Post processing', taskStatus: 'NotStarted' },
    ],
    point: plan.point,
    // As real jobs report it (recorded traffic, reference/dataprotection/CONTRACT.md): the target database's
    // ARM id; for files the bare container URL, with the prefix in additionalDetails["Restore File Prefix"].
    recoveryDestination:
      plan.target.kind === 'database' ? plan.target.databaseId : plan.target.url.replace(/\/+$/, ''),
    ...(plan.target.kind === 'files' ? { filePrefix: plan.target.filePrefix } : {}),
    dataTransferredInBytes: 0,
    sourceDataStore: plan.sourceDataStore,
    ...(plan.rehydration ? { rehydrationPriority: plan.rehydration.priority } : {}),
    restoredBlobs: [],
  };
  (options.jobs ?? ctx.jobs).set(job.id, job);
  const halfway = ctx.faults.take(operation, ['jobFailHalfway']);
  const damage =
    plan.target.kind === 'files' ? ctx.faults.take(operation, ['damagedFiles'])?.damage : undefined;
  void track(ctx, runRestoreJob(ctx, job, plan, halfway?.code, damage));
  return job;
}

function setTask(job: JobRuntime, name: string, status: JobRuntime['subTasks'][number]['taskStatus']): void {
  const t = job.subTasks.find((s) => s.taskName === name);
  if (t) t.taskStatus = status;
}

async function rehydrate(ctx: EmulatorContext, job: JobRuntime, plan: RestorePlan): Promise<void> {
  const store = plan.point.stores.find((s) => s.type === 'ArchiveStore') as DataStoreDetail;
  setTask(job, 'Rehydrate recovery point', 'InProgress');
  store.rehydrationStatus = 'CREATE_IN_PROGRESS';
  await sleep(ctx.config.timings.rehydrationSeconds * 1000);
  store.rehydrationStatus = 'COMPLETED';
  store.rehydrationExpiryTime = new Date(
    Date.now() + plan.rehydration!.retentionDays * 24 * 3600 * 1000,
  ).toISOString();
  setTask(job, 'Rehydrate recovery point', 'Completed');
}

type Damage = NonNullable<FaultRule['damage']>;

/** A dump as a damagedFiles fault rule writes it (the job itself still reports success, as a bad backup would). */
function damaged(data: Buffer, damage: Damage, sourceMajor: number): Buffer {
  if (damage === 'garbage') return Buffer.from('this is not a pg_dump archive\n'.repeat(20));
  if (damage === 'truncated') return data.subarray(0, Math.max(200, Math.floor(data.length / 3)));
  // newerSource: the server version in the header (a length-prefixed string) says 99.x instead of NN.x.
  const out = Buffer.from(data);
  const at = out.subarray(0, 4096).indexOf(`${sourceMajor}.`, 11, 'latin1');
  if (at >= 0 && String(sourceMajor).length === 2) out.write('99', at, 'latin1');
  return out;
}

async function transfer(
  ctx: EmulatorContext,
  job: JobRuntime,
  plan: RestorePlan,
  damage?: Damage,
): Promise<void> {
  const vaultContainer = ctx.config.storage.vaultContainer;
  if (plan.target.kind === 'files') {
    for (const b of plan.point.blobs) {
      const name = restoredFileName(plan.target.filePrefix, b.database);
      job.dataTransferredInBytes += await ctx.blobs.copy(
        vaultContainer,
        b.blob,
        plan.target.container,
        name,
        {
          database: b.database,
          recoverypointid: plan.point.id,
          recoverypointtime: plan.point.time.toISOString(),
          sourcemajorversion: String(plan.point.sourceMajor),
        },
        damage ? (data) => damaged(data, damage, plan.point.sourceMajor) : undefined,
      );
      job.restoredBlobs.push(name);
    }
    return;
  }
  const t = plan.target;
  const tmp = tempDir('pgdrill-restore-');
  try {
    const b = plan.point.blobs[0]!;
    const file = join(tmp.path, 'restore.dump');
    await ctx.blobs.download(vaultContainer, b.blob, file);
    await withClient(t.login, 'postgres', async (c) => {
      await c.query(`CREATE DATABASE ${quoteIdent(t.database)}`);
    });
    job.restoredDatabase = t.database;
    await restoreDatabase(ctx.tools, t.login, t.database, file);
    job.dataTransferredInBytes += b.bytes;
  } finally {
    tmp.remove();
  }
}

async function runRestoreJob(
  ctx: EmulatorContext,
  job: JobRuntime,
  plan: RestorePlan,
  failHalfwayCode?: string,
  damage?: Damage,
): Promise<void> {
  const minEnd = Date.now() + ctx.config.timings.restoreJobSeconds * 1000;
  try {
    if (plan.rehydration) await rehydrate(ctx, job, plan);
    setTask(job, 'Transfer data', 'InProgress');
    if (failHalfwayCode) {
      await sleep((ctx.config.timings.restoreJobSeconds * 1000) / 2);
      throw Object.assign(new Error(`Injected by an emulator fault rule: the job failed half-way.`), {
        azureCode: failHalfwayCode,
      });
    }
    await transfer(ctx, job, plan, damage);
    setTask(job, 'Transfer data', 'Completed');
    setTask(job, 'Post processing', 'Completed');
    await sleep(minEnd - Date.now());
    job.status = 'Completed';
  } catch (err) {
    const code = (err as { azureCode?: string }).azureCode ?? 'UserErrorRestoreFailed';
    const info = userFacingError(code, (err as Error).message).additionalInfo![0]!.info;
    job.errorDetails = [info];
    for (const t of job.subTasks) if (t.taskStatus === 'InProgress') t.taskStatus = 'Failed';
    job.status = 'Failed';
    ctx.log('restore job failed', { jobId: job.id, code, error: (err as Error).message });
  } finally {
    job.endTime = new Date();
    ctx.log('restore job ended', { jobId: job.id, status: job.status, activityId: stableGuid(job.id) });
  }
}
