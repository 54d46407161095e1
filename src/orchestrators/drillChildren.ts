/**
 * The drill's polling sub-orchestrations: an asynchronous operation followed by trackOperation, the backup job
 * by monitorJob. Each has a deterministic instance id (src/lib/drill/instanceIds.ts), so a cancel reaches it.
 */
import type * as df from 'durable-functions';
import type { FoundRestoreJob, JobSummary } from '../activities/contracts';
import type { CrossRegion } from '../lib/dataprotection/crossRegion';
import type { PollState } from '../lib/dataprotection/pollState';
import { childInstanceId, type ChildPurpose } from '../lib/drill/instanceIds';
import { jobRecord } from '../lib/drill/report';
import type { RestorePlan } from '../lib/drill/restorePlan';
import { DrillFailure, failure } from '../lib/errors';
import type { DrillRecorder } from './drillRecorder';
import { callChild, now, type Ctx } from './helpers';
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
  crossRegion?: CrossRegion,
): Generator<df.Task, JobSummary, unknown> {
  const out = yield* callChild<MonitorJobOutput>(
    ctx,
    ORCHESTRATORS.monitorJob,
    {
      vaultId,
      jobId,
      ...(crossRegion ? { crossRegion } : {}),
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
  // One lookup may not hang the cleanup: it has twice the longest retry wait, at most the cleanup's deadline.
  const lookupSeconds = Math.max(10, 2 * settings.activityRetry.maxDelaySeconds);
  for (let polls = 0; ; polls++) {
    let found: FoundRestoreJob;
    try {
      found = yield* drill.act(ACTIVITIES.findRestoreJob, ref, true, lookupSeconds);
    } catch {
      drill.restoreMayStillRun = true;
      return;
    }
    const job = found.job;
    if (job) drill.record.job = jobRecord(job, drill.record.job?.polls ?? 0);
    if (job?.terminal) return;
    let waitSeconds = jobPollDelaySeconds(polls, settings.jobPoll);
    if (!job) {
      // Not visible: done, unless an earlier POST may still be accepted — then look again once it settled.
      if (!found.settleUntil) return;
      waitSeconds = Math.max(1, (Date.parse(found.settleUntil) - now(ctx).getTime()) / 1000);
    }
    drill.status(
      'cleanup',
      job
        ? `waiting for restore job ${job.id} (${job.status}) to end before cleaning up`
        : 'waiting until an earlier restore attempt can no longer start a job, before cleaning up',
    );
    if (!(yield* drill.pauseFinal(waitSeconds))) {
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
