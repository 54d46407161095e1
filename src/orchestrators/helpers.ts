/**
 * Deterministic building blocks shared by the orchestrators. Time comes from context.df.currentUtcDateTime
 * only, waits are durable timers, and retries are explicit: a failed activity is retried (after a durable
 * timer) only when its failure says it is retryable, so a user error is reported at once instead of being
 * repeated. (callActivityWithRetry retries every failure alike, and its hidden retry timers complicate replay:
 * docs/design.md, "Decisions".)
 */
import type * as df from 'durable-functions';
import type { ActivityInput, ActivityName, ActivityOutput } from '../activities';
import { drillIdOf } from '../lib/drill/instanceIds';
import { MAX_TIMER_MS } from '../lib/drill/polling';
import type { DrillSettings } from '../lib/drill/settings';
import { DrillFailure, failure, type ActivityResult, type FailureInfo } from '../lib/errors';
import { CANCEL_EVENT } from './names';

export type Ctx = df.OrchestrationContext;

export function now(ctx: Ctx): Date {
  return ctx.df.currentUtcDateTime;
}

export function log(ctx: Ctx, message: string, fields: Record<string, unknown> = {}): void {
  if (!ctx.df.isReplaying) ctx.log(JSON.stringify({ message, instanceId: ctx.df.instanceId, ...fields }));
}

/** The one failure a cancelled drill (or polling sub-orchestration) ends with. */
export function cancelledFailure(): FailureInfo {
  return failure('Cancelled', 'the drill was cancelled');
}

/** Outcome of a wait that a cancel request or the deadline can cut short. */
export type WaitOutcome = 'elapsed' | 'cancelled' | 'deadline';

/**
 * Waits until `fireAt` (chained timers of at most 3 days), unless the drill is cancelled or its deadline
 * comes first. `cancel` is the drill's one cancel-event task, shared by every wait.
 */
export function* waitUntil(
  ctx: Ctx,
  fireAt: Date,
  deadline: Date,
  cancel: df.Task | undefined,
): Generator<df.Task, WaitOutcome, unknown> {
  for (;;) {
    if (isCancelled(cancel)) return 'cancelled';
    const t = now(ctx).getTime();
    if (t >= fireAt.getTime()) return 'elapsed';
    if (t >= deadline.getTime()) return 'deadline';
    const step = new Date(Math.min(fireAt.getTime(), deadline.getTime(), t + MAX_TIMER_MS));
    const timer = ctx.df.createTimer(step);
    if (!cancel) {
      yield timer;
      continue;
    }
    const winner = yield ctx.df.Task.any([timer, cancel]);
    if (winner !== timer) {
      timer.cancel();
      return 'cancelled';
    }
  }
}

export function cancelTask(ctx: Ctx): df.Task {
  return ctx.df.waitForExternalEvent(CANCEL_EVENT);
}

/**
 * True once the cancel event has arrived. Checked before every wait: the engine hands a raised event to the
 * newest Task.any that ever included the cancel task, which may be one that already finished (the timer won),
 * and a Task.any built around an already-completed task never resolves from it.
 */
export function isCancelled(cancel: df.Task | undefined): boolean {
  return cancel?.isCompleted === true;
}

/** How an activity call may retry and wait. */
export interface CallOptions {
  settings: DrillSettings;
  /** Retries stop here. */
  deadline: Date;
  /** A cancel request stops a retry wait. */
  cancel?: df.Task;
}

/**
 * Calls activity `name` with `input` and returns its result, both typed by the activity itself
 * (src/activities). Retries retryable failures with exponential backoff on durable timers; throws
 * DrillFailure with the failure otherwise.
 */
export function* callActivity<N extends ActivityName>(
  ctx: Ctx,
  name: N,
  input: ActivityInput<N>,
  options: CallOptions,
): Generator<df.Task, ActivityOutput<N>, unknown> {
  const { maxAttempts, firstDelaySeconds, maxDelaySeconds } = options.settings.activityRetry;
  // Every activity learns which drill it works for (its log lines carry the drill id) and when it must stop.
  const stamped = {
    ...input,
    drillId: drillIdOf(ctx.df.instanceId),
    deadline: options.deadline.toISOString(),
  };
  for (let attempt = 1; ; attempt++) {
    let result: ActivityResult<ActivityOutput<N>>;
    try {
      result = (yield ctx.df.callActivity(name, stamped)) as ActivityResult<ActivityOutput<N>>;
    } catch (err) {
      // The activity threw instead of returning its failure (a crash or timeout of the worker): try again.
      // The engine appends the worker's details (a stack trace) to the reason; only the reason is reported.
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
      result = {
        ok: false,
        error: failure('ActivityFailed', `activity ${name} failed unexpectedly: ${reason}`, {
          isRetryable: true,
        }),
      };
    }
    if (result.ok) return result.value;
    const error = result.error;
    if (!error.isRetryable || attempt >= maxAttempts) throw new DrillFailure(error);
    const delay = Math.max(
      error.retryAfterSeconds ?? 0,
      Math.min(maxDelaySeconds, firstDelaySeconds * 2 ** (attempt - 1)),
    );
    log(ctx, 'retrying activity', { activity: name, attempt, code: error.code, delaySeconds: delay });
    const outcome = yield* waitUntil(
      ctx,
      new Date(now(ctx).getTime() + delay * 1000),
      options.deadline,
      options.cancel,
    );
    if (outcome === 'cancelled') throw new DrillFailure(cancelledFailure());
    if (outcome === 'deadline')
      throw new DrillFailure(
        failure('DeadlineExceeded', `the drill's deadline passed while retrying ${name}`),
      );
  }
}

/**
 * Runs a sub-orchestration and returns its output; a cancel request stops the wait here (the caller raises
 * cancel to the child too), and a child that failed outright becomes SubOrchestrationFailed.
 */
export function* callChild<T>(
  ctx: Ctx,
  name: string,
  input: unknown,
  instanceId: string,
  cancel: df.Task,
): Generator<df.Task, T, unknown> {
  if (isCancelled(cancel)) throw new DrillFailure(cancelledFailure());
  const task = ctx.df.callSubOrchestrator(name, input, instanceId);
  const winner = yield ctx.df.Task.any([task, cancel]);
  if (winner !== task) throw new DrillFailure(cancelledFailure());
  if (task.isFaulted)
    throw new DrillFailure(
      failure(
        'SubOrchestrationFailed',
        `${name} failed: ${String((task.result as Error | undefined)?.message ?? task.result)}`,
      ),
    );
  return task.result as T;
}
