/**
 * The drill's polling sub-orchestrations: an asynchronous operation followed by trackOperation, the backup job
 * by monitorJob. Each has a deterministic instance id (src/lib/drill/instanceIds.ts), so a cancel reaches it.
 */
import type * as df from 'durable-functions';
import type { JobSummary } from '../activities/contracts';
import type { PollState } from '../lib/dataprotection/pollState';
import { childInstanceId, type ChildPurpose } from '../lib/drill/instanceIds';
import { jobRecord } from '../lib/drill/report';
import type { RestorePlan } from '../lib/drill/restorePlan';
import { DrillFailure, failure } from '../lib/errors';
import type { DrillRecorder } from './drillRecorder';
import { callChild, type Ctx } from './helpers';
import type { MonitorJobInput, MonitorJobOutput } from './monitorJob';
import { ORCHESTRATORS } from './names';
import { ACTIVITIES } from '../activities/names';
import { jobPollDelaySeconds } from '../lib/drill/polling';
import type { TrackOperationInput, TrackOperationOutput } from './trackOperation';

/** Follows an asynchronous operation to its end in a trackOperation sub-orchestration. */
export function* follow(
  ctx: Ctx,
  drill: DrillRecorder,
  operation: PollState,
  purpose: Extract<ChildPurpose, 'validate' | 'restore'>,
): Generator<df.Task, PollState, unknown> {
  if (operation.status !== 'running') {
    if (operation.status === 'succeeded') return operation;
    throw new DrillFailure(operation.error ?? failure('OperationFailed', `${operation.operation} failed`));
  }
  const out = yield* callChild<TrackOperationOutput>(
    ctx,
    ORCHESTRATORS.trackOperation,
    {
      state: operation,
      deadline: drill.deadline.toISOString(),
      settings: drill.settings,
    } satisfies TrackOperationInput,
    childInstanceId(drill.record.drillId, purpose),
    drill.cancel,
  );
  drill.record.stats.operationPolls += out.polls;
  if (!out.ok) throw new DrillFailure(out.error);
  return out.state;
}

/** Follows the backup job to its end in a monitorJob sub-orchestration, and records it. */
export function* watchJob(
  ctx: Ctx,
  drill: DrillRecorder,
  vaultId: string,
  jobId: string,
  plan: RestorePlan,
): Generator<df.Task, JobSummary, unknown> {
  const out = yield* callChild<MonitorJobOutput>(
    ctx,
    ORCHESTRATORS.monitorJob,
    {
      vaultId,
      jobId,
      deadline: drill.deadline.toISOString(),
      settings: drill.settings,
    } satisfies MonitorJobInput,
    childInstanceId(drill.record.drillId, 'job'),
    drill.cancel,
  );
  drill.record.stats.jobPolls += out.polls;
  if (out.job) drill.record.job = jobRecord(out.job, out.polls);
  if (!out.ok) throw new DrillFailure(out.error);
  if (plan.restoredDatabase) drill.record.restored.database = plan.restoredDatabase;
  return out.job;
}

/**
 * After a failure or a cancellation, waits (durable timers, bounded by the cleanup's own deadline) until this
 * drill's restore job, if Azure has one, has ended: a job still running would create the database or files
 * after cleanup had found nothing to remove. When the job cannot be seen, the drill says so (restoreMayStillRun),
 * so the report's cleanup is partial and the sweeper looks again later.
 */
export function* awaitRestoreJob(ctx: Ctx, drill: DrillRecorder): Generator<df.Task, void, unknown> {
  const ref = drill.restore;
  if (!ref || (drill.record.job && isTerminalJobStatus(drill.record.job.status))) return;
  const settings = drill.settings;
  for (let polls = 0; ; polls++) {
    let job: JobSummary | null;
    try {
      job = yield* drill.act(ACTIVITIES.findRestoreJob, ref, true);
    } catch {
      drill.restoreMayStillRun = true;
      return;
    }
    if (job) drill.record.job = jobRecord(job, drill.record.job?.polls ?? 0);
    // Not visible a second time: the restore was not accepted (or failed before creating a job).
    if ((!job && polls >= 1) || job?.terminal) return;
    drill.status(
      'cleanup',
      job ? `waiting for restore job ${job.id} (${job.status}) to end before cleaning up` : undefined,
    );
    const ok = yield* drill.pauseFinal(jobPollDelaySeconds(polls, settings.jobPoll));
    if (!ok) {
      drill.restoreMayStillRun = true;
      return;
    }
  }
}

function isTerminalJobStatus(status: string): boolean {
  return ['completed', 'succeeded', 'completedwithwarnings', 'failed', 'cancelled', 'canceled'].includes(
    status.toLowerCase(),
  );
}
