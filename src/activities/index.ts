/**
 * The drill's activities: every side effect of a drill. createActivities(deps) builds them from their
 * dependencies, so tests pass real-but-local ones (the emulator, PostgreSQL, Azurite). Each activity returns
 * ActivityResult: expected failures come back as data with a stable code (activity error classes would not
 * survive the trip to the orchestrator). Credentials are read from Key Vault here and never returned.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataProtectionClient } from '../lib/dataprotection/client';
import { datasourceKindOf, lastSegment, parseBackupInstanceId, sameArmId } from '../lib/dataprotection/armId';
import {
  DataProtectionError,
  errorDataFromJobErrorDetails,
  type DataProtectionErrorData,
} from '../lib/dataprotection/errors';
import type { PollState } from '../lib/dataprotection/pollState';
import { parseJobDurationSeconds } from '../lib/drill/durations';
import { failure, type ActivityResult, type FailureInfo } from '../lib/drill/failure';
import { DB_PREFIX, FILE_PREFIX } from '../lib/drill/names';
import { selectRecoveryPoint, type PointSummary } from '../lib/drill/selection';
import { AppError, ValidationError } from '../lib/errors';
import {
  dropDrillDatabase,
  pgRestoreVersion,
  recreateDrillDatabase,
  runPgRestore,
  serverVersion,
  type PgLogin,
} from '../lib/postgres/admin';
import { parseConnectionString } from '../lib/postgres/connection';
import { majorOf, parseDumpHeader } from '../lib/postgres/dumpHeader';
import { verifyDatabase } from '../lib/postgres/verify';
import type { ContainerAccess } from '../lib/storage/blobs';
import type { ReportStore } from '../lib/storage/reportStore';
import type { RecoveryPointResource } from '../lib/types/generated/dataprotection';
import { ACTIVITIES, type ActivityName } from '../orchestrators/names';
import type {
  CleanupAction,
  CleanupInput,
  CreatedResource,
  GetJobInput,
  JobSummary,
  ListFilesInput,
  LoadInput,
  LoadOutput,
  PollInput,
  ResolveInput,
  ResolvedInstance,
  RestoredFile,
  SaveReportInput,
  SaveReportOutput,
  SelectInput,
  SelectOutput,
  StartValidateInput,
  TriggerInput,
  TriggerOutput,
  VerifyInput,
  VerifyOutput,
} from './contracts';
import type { SecretReader } from './secrets';

export interface ActivityDeps {
  dataProtection: DataProtectionClient;
  secrets: SecretReader;
  containers: ContainerAccess;
  reports: ReportStore;
  /** pg_restore executable. */
  pgRestore: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
}

export type Activity = (input: unknown) => Promise<ActivityResult<unknown>>;

const TERMINAL_JOB = ['completed', 'succeeded', 'completedwithwarnings', 'failed', 'cancelled', 'canceled'];
const SUCCEEDED_JOB = ['completed', 'succeeded', 'completedwithwarnings'];

/** Any error as FailureInfo with a stable code; never includes a secret (no message quotes one). */
/** Azure's error data as the drill carries it (the detailed message kept beside the user-facing one). */
function failureFromErrorData(d: DataProtectionErrorData): FailureInfo {
  return {
    code: d.code,
    message:
      d.detailedMessage && d.detailedMessage !== d.message
        ? `${d.message} (${d.detailedMessage})`
        : d.message,
    recommendedActions: d.recommendedActions,
    isRetryable: d.isRetryable,
    isUserError: d.isUserError,
    ...(d.retryAfterSeconds !== undefined ? { retryAfterSeconds: d.retryAfterSeconds } : {}),
  };
}

export function toFailureInfo(err: unknown): FailureInfo {
  if (err instanceof DataProtectionError) return failureFromErrorData(err.data);
  if (err instanceof ValidationError) return failure(err.code, err.message, { isUserError: true });
  if (err instanceof AppError) {
    const retryable = (err as { isRetryable?: boolean }).isRetryable === true;
    return failure(err.code, err.message, { isUserError: !retryable, isRetryable: retryable });
  }
  const e = err as { code?: string; message?: string };
  // node-postgres: 28xxx authentication, 3D000 no such database, 08xxx connection problems.
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const retryable = e.code.startsWith('08') || e.code === '57P03' || e.code === '53300';
    return failure(`PostgreSQL${e.code}`, e.message ?? 'PostgreSQL error', {
      isRetryable: retryable,
      isUserError: e.code.startsWith('28') || e.code === '3D000',
    });
  }
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code))
    return failure('NetworkError', e.message ?? e.code, { isRetryable: true });
  return failure('UnexpectedError', e.message ?? String(err), { isRetryable: false });
}

function pointSummary(rp: RecoveryPointResource, now: Date): PointSummary | undefined {
  const p = rp.properties;
  if (p.recoveryPointState && p.recoveryPointState.toLowerCase() !== 'completed') return undefined;
  const stores = new Set<'VaultStore' | 'ArchiveStore'>();
  for (const d of p.recoveryPointDataStoresDetails ?? []) {
    if (d.type === 'VaultStore') stores.add('VaultStore');
    if (d.type === 'ArchiveStore') {
      stores.add('ArchiveStore');
      if (
        d.rehydrationStatus === 'COMPLETED' &&
        d.rehydrationExpiryTime &&
        Date.parse(d.rehydrationExpiryTime) > now.getTime()
      )
        stores.add('VaultStore');
    }
  }
  // Points listed without data store details (the swagger examples) are vault points.
  if (stores.size === 0) stores.add('VaultStore');
  return {
    id: p.recoveryPointId ?? rp.name,
    time: new Date(p.recoveryPointTime).toISOString(),
    stores: [...stores],
  };
}

async function login(
  deps: ActivityDeps,
  secretUri: string,
  override: { host?: string; port?: number; sslMode?: string } = {},
): Promise<PgLogin> {
  const creds = parseConnectionString(await deps.secrets(secretUri));
  const host = override.host ?? creds.host;
  if (!host)
    throw new AppError(
      'SecretHasNoServer',
      `the connection string in ${secretUri} has no Server, and no host was given`,
    );
  const sslMode = override.sslMode ?? creds.sslMode;
  return {
    host,
    port: override.port ?? creds.port ?? 5432,
    user: creds.user,
    password: creds.password,
    ...(sslMode ? { sslMode } : {}),
  };
}

export function createActivities(deps: ActivityDeps): Record<ActivityName, Activity> {
  const now = deps.now ?? (() => new Date());
  const dp = deps.dataProtection;

  const impl: Record<ActivityName, (input: never) => Promise<unknown>> = {
    [ACTIVITIES.resolveBackupInstance]: async (input: ResolveInput): Promise<ResolvedInstance> => {
      const ref = parseBackupInstanceId(input.backupInstanceId);
      const bi = await dp.getBackupInstance(ref.id);
      const datasourceId = bi.properties.dataSourceInfo.resourceID;
      const vault = await dp.getBackupVault(ref.vaultId);
      return {
        backupInstanceId: ref.id,
        vaultId: ref.vaultId,
        datasourceId,
        datasourceKind: datasourceKindOf(datasourceId),
        ...(bi.properties.protectionStatus?.status
          ? { protectionStatus: bi.properties.protectionStatus.status }
          : {}),
        ...(vault.location ? { location: vault.location } : {}),
      };
    },

    [ACTIVITIES.selectRecoveryPoint]: async (input: SelectInput): Promise<SelectOutput> => {
      const drillStart = new Date(input.drillStart);
      const filter =
        input.policy.policy === 'latestBefore'
          ? { endDate: new Date(input.policy.before!) }
          : input.policy.policy === 'randomWithinWindow'
            ? {
                startDate: new Date(drillStart.getTime() - input.policy.windowDays! * 86_400_000),
                endDate: drillStart,
              }
            : {};
      const points: PointSummary[] = [];
      for await (const rp of dp.listRecoveryPoints(input.backupInstanceId, filter)) {
        const s = pointSummary(rp, now());
        if (s) points.push(s);
      }
      return selectRecoveryPoint(points, input.policy, drillStart, input.seed);
    },

    [ACTIVITIES.startValidateRestore]: (input: StartValidateInput): Promise<PollState> =>
      dp.validateRestore(input.backupInstanceId, { restoreRequestObject: input.body }),

    [ACTIVITIES.triggerRestore]: async (input: TriggerInput): Promise<TriggerOutput> => {
      // No double restore: an earlier attempt's POST may have been accepted even though its answer was lost.
      // Look for a restore job of this backup instance, for this recovery point and destination, started
      // since the drill began; reuse it instead of starting a second restore.
      const since = Date.parse(input.notBefore) - 60_000;
      for await (const job of dp.listJobs(input.vaultId)) {
        const p = job.properties;
        if (Date.parse(p.startTime) < since) break; // newest first: nothing older can be ours
        if (p.operation.toLowerCase() !== 'restore') continue;
        if (!p.backupInstanceId || !sameArmId(p.backupInstanceId, input.backupInstanceId)) continue;
        if (
          p.extendedInfo?.sourceRecoverPoint?.recoveryPointID &&
          p.extendedInfo.sourceRecoverPoint.recoveryPointID !== input.body.recoveryPointId
        )
          continue;
        // The destination must be exactly ours (the target database id, or container URL + file prefix): both
        // carry the drill's own name, so another drill's restore can never be taken for this one's.
        const dest = p.extendedInfo?.recoveryDestination ?? '';
        if (!dest || !sameArmId(dest, input.destination)) continue;
        deps.log?.('restore already started by an earlier attempt: reusing its job', { jobId: job.name });
        return {
          state: {
            operation: 'restore',
            status: 'succeeded',
            retryAfterSeconds: 0,
            polls: 0,
            jobId: lastSegment(job.name),
          },
          reused: true,
        };
      }
      return { state: await dp.triggerRestore(input.backupInstanceId, input.body), reused: false };
    },

    [ACTIVITIES.pollOperation]: (input: PollInput): Promise<PollState> => dp.pollOperation(input.state),

    [ACTIVITIES.getJob]: async (input: GetJobInput): Promise<JobSummary> => {
      const job = await dp.getJob(input.vaultId, input.jobId);
      const p = job.properties;
      const status = p.status;
      const terminal = TERMINAL_JOB.includes(status.toLowerCase());
      const succeeded = SUCCEEDED_JOB.includes(status.toLowerCase());
      const sub = p.extendedInfo?.subTasks ?? [];
      const seconds = parseJobDurationSeconds(p.duration);
      const error =
        terminal && !succeeded
          ? failureFromErrorData(errorDataFromJobErrorDetails(p.errorDetails))
          : undefined;
      return {
        id: lastSegment(job.name),
        status,
        terminal,
        succeeded,
        startTime: p.startTime,
        ...(p.endTime ? { endTime: p.endTime } : {}),
        ...(p.duration ? { duration: p.duration } : {}),
        ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
        ...(sub.length ? { progress: sub.map((t) => `${t.taskName}: ${t.taskStatus}`).join(', ') } : {}),
        ...(error ? { error } : {}),
      };
    },

    [ACTIVITIES.listRestoredFiles]: async (input: ListFilesInput): Promise<RestoredFile[]> => {
      const container = deps.containers(input.containerUrl);
      const files: RestoredFile[] = [];
      for await (const b of container.listBlobsFlat({ prefix: input.filePrefix, includeMetadata: true })) {
        const size = b.properties.contentLength ?? 0;
        const head =
          size > 0
            ? await container.getBlockBlobClient(b.name).downloadToBuffer(0, Math.min(4096, size))
            : Buffer.alloc(0);
        let header;
        try {
          header = parseDumpHeader(head);
        } catch (err) {
          throw new AppError('NotACustomFormatDump', `${b.name}: ${(err as Error).message}`);
        }
        const database =
          header.database ??
          b.metadata?.database ??
          b.name
            .slice(input.filePrefix.length)
            .replace(/^[_-]/, '')
            .replace(/\.[^.]*$/, '');
        files.push({
          name: b.name,
          bytes: b.properties.contentLength ?? 0,
          database,
          ...(header.serverVersion ? { dumpServerVersion: header.serverVersion } : {}),
        });
      }
      return files;
    },

    [ACTIVITIES.loadDump]: async (input: LoadInput): Promise<LoadOutput> => {
      const started = Date.now();
      const pgLogin = await login(deps, input.load.secretUri, {
        host: input.load.host,
        port: input.load.port ?? 5432,
        ...(input.load.sslMode ? { sslMode: input.load.sslMode } : {}),
      });
      const admin = input.load.adminDatabase ?? 'postgres';
      const server = await serverVersion(pgLogin, admin);
      const dumpMajor = majorOf(input.file.dumpServerVersion);
      if (dumpMajor !== undefined && server.major < dumpMajor) {
        throw new AppError(
          'DrillServerTooOld',
          `the drill server runs PostgreSQL ${server.text}, older than the dump's source (${input.file.dumpServerVersion}): use a drill server of version ${dumpMajor} or later`,
        );
      }
      const tool = await pgRestoreVersion(deps.pgRestore);
      if (dumpMajor !== undefined && tool.major < dumpMajor) {
        throw new AppError(
          'PgRestoreTooOld',
          `${tool.text} cannot be trusted with a dump from PostgreSQL ${input.file.dumpServerVersion}: install the PostgreSQL ${dumpMajor} (or later) client tools or set PG_BIN_DIR`,
        );
      }
      const dir = await mkdtemp(join(tmpdir(), 'pgdrill-load-'));
      try {
        const file = join(dir, 'restore.dump');
        await deps.containers(input.containerUrl).getBlockBlobClient(input.file.name).downloadToFile(file);
        await recreateDrillDatabase(pgLogin, admin, input.scratchDatabase);
        await runPgRestore(deps.pgRestore, pgLogin, input.scratchDatabase, file, {
          noOwner: input.load.noOwner ?? true,
          noPrivileges: input.load.noPrivileges ?? true,
          jobs: input.load.jobs ?? 1,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      return {
        database: input.file.database,
        scratchDatabase: input.scratchDatabase,
        dumpVersion: input.file.dumpServerVersion ?? 'unknown',
        serverVersion: server.text,
        seconds: (Date.now() - started) / 1000,
      };
    },

    [ACTIVITIES.verifyRestore]: async (input: VerifyInput): Promise<VerifyOutput> => {
      const results: VerifyOutput = [];
      for (const t of input.targets) {
        let pgLogin: PgLogin;
        try {
          pgLogin = await login(deps, t.secretUri, {
            ...(t.host ? { host: t.host } : {}),
            ...(t.port ? { port: t.port } : {}),
            ...(t.sslMode ? { sslMode: t.sslMode } : {}),
          });
        } catch (err) {
          const f = toFailureInfo(err);
          results.push({
            check: 'connect',
            database: t.database,
            status: 'error',
            message: `${f.code}: ${f.message}`,
          });
          continue;
        }
        results.push(
          ...(await verifyDatabase(
            { ...pgLogin, database: t.connectDatabase },
            {
              sourceDatabase: t.database,
              spec: input.spec,
              recoveryPointTime: input.recoveryPointTime,
              ...(input.dumpServerVersion ? { dumpServerVersion: input.dumpServerVersion } : {}),
            },
          )),
        );
      }
      return results;
    },

    [ACTIVITIES.cleanupDrill]: async (input: CleanupInput): Promise<CleanupAction[]> => {
      const actions: CleanupAction[] = [];
      for (const r of input.resources) actions.push(...(await cleanupOne(deps, r)));
      return actions;
    },

    [ACTIVITIES.saveReport]: (input: SaveReportInput): Promise<SaveReportOutput> =>
      deps.reports.save(input.report),
  };

  const wrapped = {} as Record<ActivityName, Activity>;
  for (const [name, fn] of Object.entries(impl) as [ActivityName, (input: unknown) => Promise<unknown>][]) {
    wrapped[name] = async (input: unknown) => {
      const drillId =
        input && typeof input === 'object' && 'drillId' in input
          ? (input as { drillId?: unknown }).drillId
          : undefined;
      const started = Date.now();
      try {
        const value = await fn(input);
        deps.log?.('activity done', { drillId, activity: name, ms: Date.now() - started });
        return { ok: true, value };
      } catch (err) {
        const error = toFailureInfo(err);
        deps.log?.('activity failed', {
          drillId,
          activity: name,
          code: error.code,
          retryable: error.isRetryable,
          ms: Date.now() - started,
        });
        return { ok: false, error };
      }
    };
  }
  return wrapped;
}

async function cleanupOne(deps: ActivityDeps, r: CreatedResource): Promise<CleanupAction[]> {
  const attempt = async (
    resource: string,
    action: string,
    fn: () => Promise<'done' | 'absent'>,
  ): Promise<CleanupAction> => {
    try {
      return { resource, action, status: await fn() };
    } catch (err) {
      const f = toFailureInfo(err);
      return {
        resource,
        action,
        status: f.code === 'RefusedDatabaseName' ? 'refused' : 'failed',
        message: `${f.code}: ${f.message}`,
      };
    }
  };
  switch (r.kind) {
    case 'database':
      return [
        await attempt(`database ${r.name} on ${r.serverId}`, 'drop database', async () => {
          if (!r.name.startsWith(DB_PREFIX))
            throw new AppError('RefusedDatabaseName', `not a drill database name`);
          return dropDrillDatabase(await login(deps, r.secretUri), 'postgres', r.name);
        }),
      ];
    case 'scratchDatabase':
      return [
        await attempt(`database ${r.name} on ${r.host}:${r.port}`, 'drop database', async () =>
          dropDrillDatabase(
            await login(deps, r.secretUri, {
              host: r.host,
              port: r.port,
              ...(r.sslMode ? { sslMode: r.sslMode } : {}),
            }),
            r.adminDatabase,
            r.name,
          ),
        ),
      ];
    case 'blobs': {
      if (!r.prefix.startsWith(FILE_PREFIX)) {
        return [
          {
            resource: `blobs ${r.prefix}* in ${r.containerUrl}`,
            action: 'delete blobs',
            status: 'refused',
            message: `only prefixes ${FILE_PREFIX}* are drill files`,
          },
        ];
      }
      const container = deps.containers(r.containerUrl);
      const names = new Set(r.names.filter((n) => n.startsWith(r.prefix)));
      // Files the restore wrote that the drill never listed (it failed before loading) are found by prefix.
      try {
        for await (const b of container.listBlobsFlat({ prefix: r.prefix })) names.add(b.name);
      } catch (err) {
        const f = toFailureInfo(err);
        return [
          {
            resource: `blobs ${r.prefix}* in ${r.containerUrl}`,
            action: 'list blobs',
            status: 'failed',
            message: `${f.code}: ${f.message}`,
          },
        ];
      }
      if (names.size === 0)
        return [
          { resource: `blobs ${r.prefix}* in ${r.containerUrl}`, action: 'delete blobs', status: 'absent' },
        ];
      const out: CleanupAction[] = [];
      for (const name of names) {
        out.push(
          await attempt(`blob ${name} in ${r.containerUrl}`, 'delete blob', async () => {
            const res = await container.getBlockBlobClient(name).deleteIfExists();
            return res.succeeded ? 'done' : 'absent';
          }),
        );
      }
      return out;
    }
  }
}
