/**
 * The deadline of the activity running now, without passing it through every call: the activity boundary
 * (src/activities/index.ts) runs each activity inside `withDeadline`, and the clients that talk to the outside
 * world (ARM, Key Vault, storage, PostgreSQL, pg_restore) read `currentSignal()` and stop when it fires. So no
 * activity outlives its drill's deadline, whatever it is waiting for (docs/design.md, "Safety").
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { AppError } from './errors';

interface DeadlineScope {
  signal: AbortSignal;
  deadline: Date;
}

const scope = new AsyncLocalStorage<DeadlineScope>();

/** The abort signal of the activity running now (undefined outside an activity). */
export function currentSignal(): AbortSignal | undefined {
  return scope.getStore()?.signal;
}

/** The deadline of the activity running now. */
export function currentDeadline(): Date | undefined {
  return scope.getStore()?.deadline;
}

/** Time left before the current deadline, at most `cap` ms. */
export function timeLeftMs(cap: number): number {
  const d = scope.getStore()?.deadline;
  return d ? Math.max(0, Math.min(cap, d.getTime() - Date.now())) : cap;
}

/** The drill's deadline passed while an activity was still working. */
export class DeadlineExceededError extends AppError {
  constructor(deadline: Date) {
    super(
      'DeadlineExceeded',
      `the drill's deadline ${deadline.toISOString()} passed before this step finished`,
      {
        isUserError: true,
        recommendedActions: [
          'Raise the drill\'s deadline (request field "deadline", e.g. P1D; archived points need days), or find what is slow in the phase named.',
        ],
      },
    );
  }
}

/**
 * Runs `fn` with an abort signal that fires at `deadline`. Resolves with `fn`'s result, or rejects with
 * DeadlineExceededError at the deadline even if `fn` ignores the signal.
 */
export function withDeadline<T>(deadline: Date | undefined, fn: () => Promise<T>): Promise<T> {
  if (!deadline || Number.isNaN(deadline.getTime())) return fn();
  const controller = new AbortController();
  const ms = Math.max(0, deadline.getTime() - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceededError(deadline);
      controller.abort(err);
      reject(err);
    }, ms);
    timer.unref?.();
  });
  expired.catch(() => undefined);
  const run = scope.run({ signal: controller.signal, deadline }, fn);
  return Promise.race([run, expired]).finally(() => clearTimeout(timer));
}

/**
 * A pipeline policy for Azure SDK clients (Key Vault, Tables): every request gets a time limit, and the current
 * activity's abort signal, so a hanging dependency ends at the deadline at the latest.
 */
export function deadlinePolicy(requestTimeoutMs: number): PipelinePolicy {
  return {
    name: 'pgdrillDeadlinePolicy',
    sendRequest(request, next) {
      if (!request.timeout || request.timeout > requestTimeoutMs) request.timeout = requestTimeoutMs;
      const signal = currentSignal();
      if (signal && !request.abortSignal) request.abortSignal = signal;
      return next(request);
    },
  };
}
