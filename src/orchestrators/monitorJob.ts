/**
 * monitorJob: follows a backup job to a terminal status. Jobs carry no Retry-After, so the interval grows
 * from `initialSeconds` by `factor` up to `maxSeconds`: a long job costs far fewer requests than a fixed poll,
 * and completion is still noticed within the cap. Continues as new every `pollsPerGeneration` polls.
 */
import type * as df from 'durable-functions';
import type { JobSummary } from '../activities/contracts';
import { jobPollDelaySeconds } from '../lib/drill/polling';
import type { DrillSettings } from '../lib/drill/settings';
import { DrillFailure, failure, type FailureInfo } from '../lib/errors';
import { ACTIVITIES } from '../activities/names';
import { callActivity, cancelledFailure, cancelTask, log, now, waitUntil, type Ctx } from './helpers';

export interface MonitorJobInput {
  vaultId: string;
  jobId: string;
  deadline: string;
  settings: DrillSettings;
  pollsBefore?: number;
  last?: JobSummary;
}

export type MonitorJobOutput =
  | { ok: true; job: JobSummary; polls: number }
  | { ok: false; error: FailureInfo; job?: JobSummary; polls: number };

export function* monitorJob(ctx: Ctx): Generator<df.Task, MonitorJobOutput, unknown> {
  const input = ctx.df.getInput<MonitorJobInput>();
  const deadline = new Date(input.deadline);
  const cancel = cancelTask(ctx);
  let polls = input.pollsBefore ?? 0;
  let job = input.last;
  let generationPolls = 0;
  try {
    for (;;) {
      // The first poll of a drill goes at once: short jobs (and the emulator's) are often done already.
      if (polls > 0) {
        const fireAt = new Date(
          now(ctx).getTime() + jobPollDelaySeconds(polls - 1, input.settings.jobPoll) * 1000,
        );
        const outcome = yield* waitUntil(ctx, fireAt, deadline, cancel);
        if (outcome === 'cancelled')
          return {
            ok: false,
            error: cancelledFailure(),
            ...(job ? { job } : {}),
            polls,
          };
        if (outcome === 'deadline') {
          return {
            ok: false,
            error: failure(
              'DeadlineExceeded',
              `backup job ${input.jobId} was still ${job?.status ?? 'running'} at the drill's deadline`,
            ),
            ...(job ? { job } : {}),
            polls,
          };
        }
      }
      job = yield* callActivity(
        ctx,
        ACTIVITIES.getJob,
        { vaultId: input.vaultId, jobId: input.jobId },
        { settings: input.settings, deadline, cancel },
      );
      polls++;
      generationPolls++;
      ctx.df.setCustomStatus({ jobId: input.jobId, status: job.status, progress: job.progress, polls });
      if (job.terminal) break;
      if (generationPolls >= input.settings.pollsPerGeneration) {
        log(ctx, 'monitorJob continues as new', { polls });
        ctx.df.continueAsNew({ ...input, pollsBefore: polls, last: job } satisfies MonitorJobInput);
        return { ok: true, job, polls };
      }
    }
  } catch (err) {
    if (err instanceof DrillFailure) return { ok: false, error: err.info, ...(job ? { job } : {}), polls };
    throw err;
  }
  if (job.succeeded) return { ok: true, job, polls };
  return {
    ok: false,
    error: job.error ?? failure('JobFailed', `backup job ${job.id} ended ${job.status}`),
    job,
    polls,
  };
}
