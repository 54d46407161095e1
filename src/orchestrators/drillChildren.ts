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
