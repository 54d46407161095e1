/**
 * trackOperation: follows an ARM asynchronous operation (validateRestore or restore) to a terminal status.
 * Each poll is an activity; the wait between polls is a durable timer of the service's Retry-After, or, when
 * it sent none, of the drill's operation poll schedule (DRILL_OPERATION_POLL_*: short, growing). After
 * `pollsPerGeneration` polls it continues as new with its state, so its history stays bounded however long
 * the operation runs. Stops at the deadline or on cancel.
 */
import type * as df from 'durable-functions';
import type { PollState } from '../lib/dataprotection/pollState';
import { operationPollDelaySeconds } from '../lib/drill/polling';
import { OPERATION_POLL_DEFAULTS, type DrillSettings } from '../lib/drill/settings';
import { DrillFailure, failure, type FailureInfo } from '../lib/errors';
import { ACTIVITIES } from '../activities/names';
import { callActivity, cancelledFailure, cancelTask, log, now, waitUntil, type Ctx } from './helpers';

export interface TrackOperationInput {
  state: PollState;
  deadline: string;
  settings: DrillSettings;
  /** Polls made by earlier generations. */
  pollsBefore?: number;
}

export type TrackOperationOutput =
  | { ok: true; state: PollState; polls: number }
  | { ok: false; error: FailureInfo; state: PollState; polls: number };

export function* trackOperation(ctx: Ctx): Generator<df.Task, TrackOperationOutput, unknown> {
  const input = ctx.df.getInput<TrackOperationInput>();
  const deadline = new Date(input.deadline);
  const cancel = cancelTask(ctx);
  const options = { settings: input.settings, deadline, cancel };
  let state = input.state;
  let polls = input.pollsBefore ?? 0;
  let generationPolls = 0;
  ctx.df.setCustomStatus({ operation: state.operation, polls });
  try {
    while (state.status === 'running') {
      const delaySeconds = operationPollDelaySeconds(
        state.retryAfterSeconds,
        polls,
        input.settings.operationPoll ?? OPERATION_POLL_DEFAULTS,
      );
      const fireAt = new Date(now(ctx).getTime() + delaySeconds * 1000);
      const outcome = yield* waitUntil(ctx, fireAt, deadline, cancel);
      if (outcome === 'cancelled') return { ok: false, error: cancelledFailure(), state, polls };
      if (outcome === 'deadline') {
        return {
          ok: false,
          error: failure(
            'DeadlineExceeded',
            `the ${state.operation} operation was still running at the drill's deadline`,
          ),
          state,
          polls,
        };
      }
      state = yield* callActivity(ctx, ACTIVITIES.pollOperation, { state }, options);
      polls++;
      generationPolls++;
      ctx.df.setCustomStatus({ operation: state.operation, polls, status: state.serviceStatus });
      if (state.status === 'running' && generationPolls >= input.settings.pollsPerGeneration) {
        log(ctx, 'trackOperation continues as new', { polls });
        ctx.df.continueAsNew({ ...input, state, pollsBefore: polls } satisfies TrackOperationInput);
        return { ok: true, state, polls };
      }
    }
  } catch (err) {
    if (err instanceof DrillFailure) return { ok: false, error: err.info, state, polls };
    throw err;
  }
  if (state.status === 'succeeded') return { ok: true, state, polls };
  return {
    ok: false,
    error:
      state.error ?? failure('OperationFailed', `the ${state.operation} operation ended ${state.status}`),
    state,
    polls,
  };
}
