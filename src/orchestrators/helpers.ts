/**
 * Deterministic building blocks shared by the orchestrators. Time comes from context.df.currentUtcDateTime
 * only, waits are durable timers, and retries are explicit: a failed activity is retried (after a durable
 * timer) only when its failure says it is retryable, so a user error is reported at once instead of being
 * repeated. (DESIGN.md suggested callActivityWithRetry; it retries every failure alike and its hidden retry
 * timers complicate replay, so the drill does this instead.)
 */
import type * as df from 'durable-functions';
import type { ActivityResult, FailureInfo } from '../lib/drill/failure';
import { DrillFailure, failure } from '../lib/drill/failure';
import { MAX_TIMER_MS } from '../lib/drill/polling';
import type { DrillSettings } from '../lib/drill/request';
import { CANCEL_EVENT } from './names';

export type Ctx = df.OrchestrationContext;

/** The drill an instance belongs to: the drill itself, or a polling sub-orchestration of it. */
export function drillIdOf(instanceId: string): string {
  const i = instanceId.lastIndexOf(':');
  return i > 0 && ['validate', 'restore', 'job'].includes(instanceId.slice(i + 1))
    ? instanceId.slice(0, i)
    : instanceId;
}

export function now(ctx: Ctx): Date {
  return ctx.df.currentUtcDateTime;
}

export function log(ctx: Ctx, message: string, fields: Record<string, unknown> = {}): void {
  if (!ctx.df.isReplaying) ctx.log(JSON.stringify({ message, instanceId: ctx.df.instanceId, ...fields }));
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

function thrownToFailure(name: string, err: unknown): FailureInfo {
  const message = err instanceof Error ? err.message : String(err);
  return failure('ActivityFailed', `activity ${name} failed unexpectedly: ${message}`, { isRetryable: true });
}

/**
 * Calls an activity returning ActivityResult<T>; retries retryable failures with exponential backoff on
 * durable timers; throws DrillFailure with the failure otherwise.
 */
export function* callActivity<T>(
  ctx: Ctx,
  name: string,
  input: unknown,
  settings: DrillSettings,
  deadline: Date,
  cancel?: df.Task,
): Generator<df.Task, T, unknown> {
  const { maxAttempts, firstDelaySeconds, maxDelaySeconds } = settings.activityRetry;
  // Every activity learns which drill it works for, so its log lines carry the drill id (activities do not
  // know the orchestration otherwise). Instance ids are {drillId} and {drillId}:{purpose}.
  const stamped =
    input && typeof input === 'object' && !Array.isArray(input)
      ? { ...input, drillId: drillIdOf(ctx.df.instanceId) }
      : input;
  for (let attempt = 1; ; attempt++) {
    let result: ActivityResult<T>;
    try {
      result = (yield ctx.df.callActivity(name, stamped)) as ActivityResult<T>;
    } catch (err) {
      result = { ok: false, error: thrownToFailure(name, err) };
    }
    if (result.ok) return result.value;
    const error = result.error;
    if (!error.isRetryable || attempt >= maxAttempts) throw new DrillFailure(error);
    const delay = Math.max(
      error.retryAfterSeconds ?? 0,
      Math.min(maxDelaySeconds, firstDelaySeconds * 2 ** (attempt - 1)),
    );
    log(ctx, 'retrying activity', { activity: name, attempt, code: error.code, delaySeconds: delay });
    const outcome = yield* waitUntil(ctx, new Date(now(ctx).getTime() + delay * 1000), deadline, cancel);
    if (outcome === 'cancelled') throw new DrillFailure(failure('Cancelled', 'the drill was cancelled'));
    if (outcome === 'deadline')
      throw new DrillFailure(
        failure('DeadlineExceeded', `the drill's deadline passed while retrying ${name}`),
      );
  }
}
