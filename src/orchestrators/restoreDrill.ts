/**
 * restoreDrill: one restore drill, phase by phase (DESIGN.md section 3): resolve, select, prepare, validate,
 * restore, load, verify, cleanup, report. Each phase is timed from the orchestration clock and shown in the
 * custom status. Cleanup runs whatever happened before it: success, failure, deadline or cancellation.
 * Deterministic: no I/O, no wall clock, no randomness; everything else happens in activities.
 */
import type * as df from 'durable-functions';
import type {
  CleanupAction,
  CreatedResource,
  JobSummary,
  LoadInput,
  LoadOutput,
  ResolvedInstance,
  RestoredFile,
  SaveReportOutput,
  SelectOutput,
  TriggerOutput,
  VerifyOutput,
  VerifyTarget,
} from '../activities/contracts';
import { AppError } from '../lib/errors';
import { datasourceKindOf } from '../lib/dataprotection/armId';
import type { PollState } from '../lib/dataprotection/pollState';
import {
  buildRestoreRequest,
  buildValidateRestoreRequest,
  type RestoreRequestInput,
} from '../lib/dataprotection/requests';
import { parseIsoDuration, parseJobDurationSeconds } from '../lib/drill/durations';
import { DrillFailure, failure, type FailureInfo } from '../lib/drill/failure';
import { defaultDatabaseName, defaultFilePrefix, scratchDatabaseName } from '../lib/drill/names';
import {
  buildReport,
  secondsBetween,
  type DrillRecord,
  type DrillReport,
  type PhaseName,
} from '../lib/drill/report';
import type { DrillInput } from '../lib/drill/request';
import { callActivity, cancelTask, isCancelled, log, now, waitUntil, type Ctx } from './helpers';
import type { MonitorJobInput, MonitorJobOutput } from './monitorJob';
import { ACTIVITIES, childInstanceId, ORCHESTRATORS } from './names';
import type { TrackOperationInput, TrackOperationOutput } from './trackOperation';

/** Time cleanup may take after the deadline (it must still run). */
const CLEANUP_GRACE_MS = 2 * 3600 * 1000;

export interface DrillStatus {
  drillId: string;
  phase: PhaseName | 'done';
  phaseStartedAt: string;
  detail?: string;
  verdict?: DrillReport['verdict'];
}

export function* restoreDrill(ctx: Ctx): Generator<df.Task, DrillReport, unknown> {
  const input = ctx.df.getInput<DrillInput>();
  const { request, settings, drillId } = input;
  const startedAt = now(ctx);
  const deadline = new Date(startedAt.getTime() + parseIsoDuration(request.deadline)!);
  const cancel = cancelTask(ctx);
  const record: DrillRecord = {
    drillId,
    startedAt: startedAt.toISOString(),
    request,
    trigger: input.trigger,
    phases: [],
    restored: {},
    verification: [],
    cleanup: { policy: request.cleanup.policy, status: 'nothing', actions: [] },
    cancelled: false,
    stats: { activityCalls: 0, operationPolls: 0, jobPolls: 0 },
  };
  const created: CreatedResource[] = [];

  const status = (phase: DrillStatus['phase'], detail?: string): void => {
    ctx.df.setCustomStatus({
      drillId,
      phase,
      phaseStartedAt: now(ctx).toISOString(),
      ...(detail ? { detail } : {}),
    } satisfies DrillStatus);
  };

  function* act<T>(
    name: string,
    activityInput: unknown,
    until: Date = deadline,
  ): Generator<df.Task, T, unknown> {
    record.stats.activityCalls++;
    return yield* callActivity<T>(ctx, name, activityInput, settings, until, cancel);
  }

  function* phase<T>(
    name: PhaseName,
    body: () => Generator<df.Task, T, unknown>,
  ): Generator<df.Task, T, unknown> {
    const entry = { name, status: 'running' as const, startedAt: now(ctx).toISOString() };
    const index = record.phases.push(entry) - 1;
    status(name);
    try {
      // Cleanup runs even when the drill was cancelled; every other phase stops.
      if (name !== 'cleanup' && isCancelled(cancel))
        throw new DrillFailure(failure('Cancelled', 'the drill was cancelled'));
      const value = yield* body();
      const endedAt = now(ctx).toISOString();
      record.phases[index] = {
        ...entry,
        status: 'succeeded',
        endedAt,
        durationSeconds: secondsBetween(entry.startedAt, endedAt),
      };
      return value;
    } catch (err) {
      const endedAt = now(ctx).toISOString();
      const info = toFailure(err);
      const cancelled = info.code === 'Cancelled';
      record.phases[index] = {
        ...entry,
        status: cancelled ? 'cancelled' : 'failed',
        endedAt,
        durationSeconds: secondsBetween(entry.startedAt, endedAt),
        detail: `${info.code}: ${info.message}`,
      };
      throw new DrillFailure(info, name);
    }
  }

  /** Runs a polling sub-orchestration; a cancel request stops the wait here and reaches the child too. */
  function* child<T>(name: string, childInput: unknown, instanceId: string): Generator<df.Task, T, unknown> {
    if (isCancelled(cancel)) throw new DrillFailure(failure('Cancelled', 'the drill was cancelled'));
    const task = ctx.df.callSubOrchestrator(name, childInput, instanceId);
    const winner = yield ctx.df.Task.any([task, cancel]);
    if (winner !== task) throw new DrillFailure(failure('Cancelled', 'the drill was cancelled'));
    if (task.isFaulted)
      throw new DrillFailure(
        failure(
          'SubOrchestrationFailed',
          `${name} failed: ${String((task.result as Error | undefined)?.message ?? task.result)}`,
        ),
      );
    return task.result as T;
  }

  function* follow(
    operation: PollState,
    purpose: 'validate' | 'restore',
  ): Generator<df.Task, PollState, unknown> {
    if (operation.status !== 'running') {
      if (operation.status === 'succeeded') return operation;
      throw new DrillFailure(operation.error ?? failure('OperationFailed', `${operation.operation} failed`));
    }
    const out = yield* child<TrackOperationOutput>(
      ORCHESTRATORS.trackOperation,
      { state: operation, deadline: deadline.toISOString(), settings } satisfies TrackOperationInput,
      childInstanceId(drillId, purpose),
    );
    record.stats.operationPolls += out.polls;
    if (!out.ok) throw new DrillFailure(out.error);
    return out.state;
  }

  try {
    // 1. resolve
    const instance = yield* phase('resolve', function* () {
      const bi = yield* act<ResolvedInstance>(ACTIVITIES.resolveBackupInstance, {
        backupInstanceId: request.backupInstanceId,
      });
      record.datasource = {
        kind: bi.datasourceKind,
        id: bi.datasourceId,
        ...(bi.protectionStatus ? { protectionStatus: bi.protectionStatus } : {}),
      };
      return bi;
    });

    // 2. select
    const selection = yield* phase('select', function* () {
      const sel = yield* act<SelectOutput>(ACTIVITIES.selectRecoveryPoint, {
        backupInstanceId: request.backupInstanceId,
        policy: request.recoveryPoint,
        drillStart: startedAt.toISOString(),
        seed: drillId,
      });
      if (!sel.ok)
        throw new DrillFailure(
          failure(sel.code, sel.message, {
            isUserError: true,
            recommendedActions: ['Check the recovery point policy, or take a backup first.'],
          }),
        );
      record.recoveryPoint = {
        id: sel.point.id,
        time: sel.point.time,
        dataStore: sel.dataStore,
        policy: request.recoveryPoint.policy,
        candidates: sel.candidates,
      };
      return sel;
    });

    // 3. prepare
    const target = request.target;
    const databaseName =
      target.kind === 'database' ? (target.databaseName ?? defaultDatabaseName(drillId)) : undefined;
    const filePrefix =
      target.kind === 'files' ? (target.filePrefix ?? defaultFilePrefix(drillId)) : undefined;
    // eslint-disable-next-line require-yield -- a pure phase: timed like the others, nothing to wait for
    const restoreBody = yield* phase('prepare', function* () {
      const restoreInput: RestoreRequestInput = {
        sourceDatasourceId: instance.datasourceId,
        recoveryPointId: selection.point.id,
        sourceDataStoreType: selection.dataStore,
        ...(selection.dataStore === 'ArchiveStore'
          ? { rehydration: request.rehydration as { priority: 'High' | 'Standard'; retentionDays: number } }
          : {}),
        ...((target.restoreLocation ?? instance.location)
          ? { restoreLocation: target.restoreLocation ?? instance.location }
          : {}),
        target:
          target.kind === 'database'
            ? {
                kind: 'database',
                targetDatabaseId: `${target.serverId}/databases/${databaseName}`,
                secretUri: target.secretUri,
              }
            : {
                kind: 'files',
                containerUrl: target.containerUrl,
                filePrefix: filePrefix!,
                ...(target.containerArmId ? { containerArmId: target.containerArmId } : {}),
              },
      };
      // The source kind is checked here too (before calling Azure): Flexible Server restores as files only.
      datasourceKindOf(instance.datasourceId);
      return buildRestoreRequest(restoreInput);
    });

    // 4. validate
    yield* phase('validate', function* () {
      const started = yield* act<PollState>(ACTIVITIES.startValidateRestore, {
        backupInstanceId: request.backupInstanceId,
        body: buildValidateRestoreRequest(restoreBody).restoreRequestObject,
      });
      yield* follow(started, 'validate');
    });

    // 5. restore: record what will be created before creating it
    const destination =
      target.kind === 'database'
        ? `${target.serverId}/databases/${databaseName}`
        : `${target.containerUrl.replace(/\/+$/, '')}/${filePrefix}`;
    if (target.kind === 'database')
      created.push({
        kind: 'database',
        name: databaseName!,
        serverId: target.serverId,
        secretUri: target.secretUri,
      });
    else created.push({ kind: 'blobs', containerUrl: target.containerUrl, prefix: filePrefix!, names: [] });
    const job = yield* phase('restore', function* () {
      record.triggeredAt = now(ctx).toISOString();
      const trig = yield* act<TriggerOutput>(ACTIVITIES.triggerRestore, {
        backupInstanceId: request.backupInstanceId,
        vaultId: instance.vaultId,
        body: restoreBody,
        notBefore: startedAt.toISOString(),
        destination,
      });
      let op: PollState;
      try {
        op = yield* follow(trig.state, 'restore');
      } catch (err) {
        // FailIfExists: a database that already existed is not ours to drop.
        if (err instanceof DrillFailure && err.info.code === 'UserErrorDatabaseNameAlreadyInUse')
          created.splice(0, created.length);
        throw err;
      }
      if (!op.jobId)
        throw new DrillFailure(failure('NoJobId', 'the restore operation succeeded without a backup job id'));
      status('restore', `job ${op.jobId}`);
      const out = yield* child<MonitorJobOutput>(
        ORCHESTRATORS.monitorJob,
        {
          vaultId: instance.vaultId,
          jobId: op.jobId,
          deadline: deadline.toISOString(),
          settings,
        } satisfies MonitorJobInput,
        childInstanceId(drillId, 'job'),
      );
      record.stats.jobPolls += out.polls;
      if (out.job) record.job = jobRecord(out.job, out.polls);
      if (!out.ok) throw new DrillFailure(out.error);
      if (target.kind === 'database')
        record.restored.database = { serverId: target.serverId, name: databaseName! };
      return out.job;
    });
    log(ctx, 'restore job finished', { jobId: job.id, status: job.status });

    // 6. load (restore as files)
    const verifyTargets: VerifyTarget[] = [];
    let dumpServerVersion: string | undefined;
    if (target.kind === 'files') {
      yield* phase('load', function* () {
        const files = yield* act<RestoredFile[]>(ACTIVITIES.listRestoredFiles, {
          containerUrl: target.containerUrl,
          filePrefix,
        });
        if (files.length === 0)
          throw new DrillFailure(
            failure(
              'NoRestoredFiles',
              `the restore job completed but no file starting with ${filePrefix} is in ${target.containerUrl}`,
            ),
          );
        const blobs = created.find((c) => c.kind === 'blobs');
        if (blobs && blobs.kind === 'blobs') blobs.names = files.map((f) => f.name);
        record.restored.files = files.map((f) => ({ name: f.name, database: f.database, bytes: f.bytes }));
        dumpServerVersion = files[0]?.dumpServerVersion;
        if (!target.load) return;
        const load = target.load;
        record.restored.loaded = [];
        for (const file of files) {
          const scratch = scratchDatabaseName(drillId, file.database);
          created.push({
            kind: 'scratchDatabase',
            name: scratch,
            host: load.host,
            port: load.port ?? 5432,
            adminDatabase: load.adminDatabase ?? 'postgres',
            secretUri: load.secretUri,
            ...(load.sslMode ? { sslMode: load.sslMode } : {}),
          });
          const loaded = yield* act<LoadOutput>(ACTIVITIES.loadDump, {
            containerUrl: target.containerUrl,
            file,
            load,
            scratchDatabase: scratch,
          } satisfies LoadInput);
          record.restored.loaded.push(loaded);
          verifyTargets.push({
            database: file.database,
            connectDatabase: scratch,
            secretUri: load.secretUri,
            host: load.host,
            port: load.port ?? 5432,
            ...(load.sslMode ? { sslMode: load.sslMode } : {}),
          });
        }
      });
    } else {
      const sourceDb = instance.datasourceId.split('/').pop()!;
      verifyTargets.push({ database: sourceDb, connectDatabase: databaseName!, secretUri: target.secretUri });
    }

    // 7. verify
    yield* phase('verify', function* () {
      if (verifyTargets.length === 0) {
        record.verification.push({
          check: 'files restored',
          status: 'passed',
          message: `${record.restored.files?.length ?? 0} dump file(s) restored; no drill server named in target.load, so the data was not loaded or checked`,
        });
      } else {
        const results = yield* act<VerifyOutput>(ACTIVITIES.verifyRestore, {
          targets: verifyTargets,
          spec: request.verify,
          recoveryPointTime: selection.point.time,
          ...(dumpServerVersion ? { dumpServerVersion } : {}),
        });
        record.verification.push(...results);
      }
      record.verifiedAt = now(ctx).toISOString();
      const bad = record.verification.filter((c) => c.status === 'failed' || c.status === 'error');
      if (bad.length)
        record.phases[record.phases.length - 1]!.detail =
          `${bad.length} of ${record.verification.length} check(s) failed`;
    });
  } catch (err) {
    const info = toFailure(err);
    const phaseName =
      err instanceof DrillFailure && err.phase ? err.phase : (record.phases.at(-1)?.name ?? 'resolve');
    if (info.code === 'Cancelled') record.cancelled = true;
    else record.failure = { ...info, phase: phaseName };
    log(ctx, 'drill failed', { phase: phaseName, code: info.code });
  }

  // 8. cleanup (after failures, deadlines and cancellation too)
  const verdictSoFar = record.cancelled
    ? 'cancelled'
    : record.failure || record.verification.some((c) => c.status !== 'passed' && c.status !== 'skipped')
      ? 'failed'
      : 'passed';
  const policy = request.cleanup.policy;
  const cleanupDeadline = new Date(Math.max(now(ctx).getTime(), deadline.getTime()) + CLEANUP_GRACE_MS);
  const doCleanup = function* (): Generator<df.Task, void, unknown> {
    yield* phase('cleanup', function* () {
      if (created.length === 0) {
        record.cleanup = { policy, status: 'nothing', actions: [] };
        return;
      }
      record.stats.activityCalls++;
      const actions = yield* callActivity<CleanupAction[]>(
        ctx,
        ACTIVITIES.cleanupDrill,
        { drillId, resources: created },
        settings,
        cleanupDeadline,
      );
      const failed = actions.filter((a) => a.status === 'failed' || a.status === 'refused').length;
      record.cleanup = {
        ...record.cleanup,
        policy,
        status: failed === 0 ? 'done' : failed === actions.length ? 'failed' : 'partial',
        actions,
      };
    });
  };
  let keepUntil: Date | undefined;
  if (created.length === 0) {
    record.cleanup = { policy, status: 'nothing', actions: [] };
  } else if (policy === 'never' || (policy === 'onSuccess' && verdictSoFar !== 'passed')) {
    record.cleanup = {
      policy,
      status: 'skipped',
      actions: created.map((c) => ({
        resource: describe(c),
        action: 'kept',
        status: 'done',
        message: `kept by cleanup policy ${policy}`,
      })),
    };
  } else if (policy === 'keep' && !record.cancelled) {
    keepUntil = new Date(now(ctx).getTime() + parseIsoDuration(request.cleanup.keepFor!)!);
    record.cleanup = { policy, status: 'deferred', keepUntil: keepUntil.toISOString(), actions: [] };
  } else {
    try {
      yield* doCleanup();
    } catch (err) {
      record.cleanup = {
        policy,
        status: 'failed',
        actions: [{ resource: 'all', action: 'cleanup', status: 'failed', message: toFailure(err).message }],
      };
    }
  }

  // 9. report
  let report = yield* saveReport();
  if (keepUntil) {
    // Keep the restored data for the time asked, then clean up and save the report again.
    status('cleanup', `keeping restored data until ${keepUntil.toISOString()}`);
    const outcome = yield* waitUntil(ctx, keepUntil, new Date(keepUntil.getTime() + 1), cancel);
    log(ctx, 'keep period over', { outcome });
    try {
      yield* doCleanup();
    } catch (err) {
      record.cleanup = {
        policy,
        status: 'failed',
        keepUntil: keepUntil.toISOString(),
        actions: [{ resource: 'all', action: 'cleanup', status: 'failed', message: toFailure(err).message }],
      };
    }
    report = yield* saveReport();
  }
  ctx.df.setCustomStatus({
    drillId,
    phase: 'done',
    phaseStartedAt: now(ctx).toISOString(),
    verdict: report.verdict,
  } satisfies DrillStatus);
  return report;

  function* saveReport(): Generator<df.Task, DrillReport, unknown> {
    const entry = { name: 'report' as const, status: 'running' as const, startedAt: now(ctx).toISOString() };
    const others = record.phases.filter((p) => p.name !== 'report');
    const endedAt = now(ctx).toISOString();
    record.phases = [...others, { ...entry, status: 'succeeded', endedAt, durationSeconds: 0 }];
    // What the drill created goes into the report (names and URIs only), so a failed cleanup can be swept later.
    if (created.length) record.cleanup = { ...record.cleanup, resources: created };
    const built = buildReport(record, endedAt);
    try {
      record.stats.activityCalls++;
      yield* callActivity<SaveReportOutput>(
        ctx,
        ACTIVITIES.saveReport,
        { report: built },
        settings,
        cleanupDeadline,
      );
    } catch (err) {
      // The report is still the orchestration's output; say that it could not be stored.
      const info = toFailure(err);
      record.phases[record.phases.length - 1] = {
        ...entry,
        status: 'failed',
        endedAt,
        durationSeconds: 0,
        detail: `not stored: ${info.code}: ${info.message}`,
      };
      return buildReport(record, endedAt);
    }
    return built;
  }
}

function describe(c: CreatedResource): string {
  if (c.kind === 'database') return `database ${c.name} on ${c.serverId}`;
  if (c.kind === 'scratchDatabase') return `database ${c.name} on ${c.host}:${c.port}`;
  return `blobs ${c.prefix}* in ${c.containerUrl}`;
}

function jobRecord(job: JobSummary, polls: number): NonNullable<DrillReport['job']> {
  const seconds = job.durationSeconds ?? parseJobDurationSeconds(job.duration);
  return {
    id: job.id,
    status: job.status,
    ...(job.duration ? { azureDuration: job.duration } : {}),
    ...(seconds !== undefined ? { azureDurationSeconds: seconds } : {}),
    ...(job.startTime ? { startTime: job.startTime } : {}),
    ...(job.endTime ? { endTime: job.endTime } : {}),
    polls,
  };
}

function toFailure(err: unknown): FailureInfo {
  if (err instanceof DrillFailure) return err.info;
  if (err instanceof AppError) return failure(err.code, err.message, { isUserError: true });
  return failure('UnexpectedError', err instanceof Error ? err.message : String(err));
}
