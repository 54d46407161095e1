/**
 * monitorJob: follows a backup job to a terminal status. Jobs carry no Retry-After, so the interval grows
 * from `initialSeconds` by `factor` up to `maxSeconds`: short jobs are noticed soon. Once the interval would
 * reach a third of the vault job watcher's (settings.jobWatch), the drill stops polling: it registers with its vault's
 * watcher (src/orchestrators/vaultJobWatcher.ts) and waits for its jobEnded event, with a backstop timer at
 * which it registers again and learns whether the watcher is alive; only while it is not does the drill poll
 * its own job. Continues as new every `pollsPerGeneration` polls or waits.
 *
 * A cross-region restore's job (input.crossRegion) is read through the paired region's cross-region job API
 * only, and watched by the vault's watcher for that region (which lists the cross-region jobs).
 */
import type * as df from 'durable-functions';
import type { JobSummary } from '../activities/contracts';
import type { CrossRegion } from '../lib/dataprotection/crossRegion';
import { sameName } from '../lib/dataprotection/armId';
import { jobPollDelaySeconds } from '../lib/drill/polling';
import type { DrillSettings } from '../lib/drill/settings';
import { DrillFailure, failure, type FailureInfo } from '../lib/errors';
import { ACTIVITIES } from '../activities/names';
import { JOB_ENDED_EVENT, type JobWatchSettings } from '../lib/drill/jobWatch';
import {
  callActivity,
  cancelledFailure,
  cancelTask,
  isCancelled,
  log,
  now,
  waitUntil,
  type Ctx,
} from './helpers';

export interface MonitorJobInput {
  vaultId: string;
  jobId: string;
  deadline: string;
  settings: DrillSettings;
  pollsBefore?: number;
  last?: JobSummary;
  /** Registrations with the vault's job watcher so far. */
  watchChecksBefore?: number;
  /** A cross-region restore's job: read in the paired region (absent for every other drill). */
  crossRegion?: CrossRegion;
}

export type MonitorJobOutput =
  | { ok: true; job: JobSummary; polls: number }
  | { ok: false; error: FailureInfo; job?: JobSummary; polls: number };

/** How a wait handed to the vault's watcher ended. */
type WatchOutcome =
  | { kind: 'ended'; job: JobSummary }
  | { kind: 'backstop' }
  | { kind: 'unhealthy' }
  | { kind: 'cancelled' }
  | { kind: 'deadline' };

export function* monitorJob(ctx: Ctx): Generator<df.Task, MonitorJobOutput, unknown> {
  const input = ctx.df.getInput<MonitorJobInput>();
  const deadline = new Date(input.deadline);
  const cancel = cancelTask(ctx);
  let polls = input.pollsBefore ?? 0;
  let job = input.last;
  let generationPolls = 0;
  let watchChecks = input.watchChecksBefore ?? 0;
  let ended: df.Task | undefined;
  const stopped = (error: FailureInfo): MonitorJobOutput => ({
    ok: false,
    error,
    ...(job ? { job } : {}),
    polls,
  });
  const atDeadline = () =>
    stopped(
      failure(
        'DeadlineExceeded',
        `backup job ${input.jobId} was still ${job?.status ?? 'running'} at the drill's deadline`,
      ),
    );

  /** The watcher's word, taken (a word about another job, which cannot happen, is ignored). */
  function heard(): WatchOutcome {
    const job = ended!.result as JobSummary;
    ended = undefined;
    return sameName(job.id, input.jobId) ? { kind: 'ended', job } : { kind: 'backstop' };
  }

  /** One wait handed to the vault's watcher: (re-)register, then its word, the backstop, a cancel or the deadline. */
  function* viaWatcher(watch: JobWatchSettings): Generator<df.Task, WatchOutcome, unknown> {
    ended ??= ctx.df.waitForExternalEvent(JOB_ENDED_EVENT);
    if (ended.isCompleted) return heard();
    let healthy: boolean;
    try {
      const reg = yield* callActivity(
        ctx,
        ACTIVITIES.watchRestoreJob,
        {
          vaultId: input.vaultId,
          instanceId: ctx.df.instanceId,
          jobId: input.jobId,
          ...(job?.startTime ? { startTime: job.startTime } : {}),
          until: input.deadline,
          settings: input.settings,
          ...(input.crossRegion ? { crossRegion: input.crossRegion } : {}),
        },
        { settings: input.settings, deadline, cancel },
      );
      healthy = reg.healthy;
    } catch (err) {
      if (err instanceof DrillFailure && err.info.code === 'Cancelled') return { kind: 'cancelled' };
      if (err instanceof DrillFailure && err.info.code === 'DeadlineExceeded') return { kind: 'deadline' };
      log(ctx, 'could not register with the vault job watcher: polling', { error: String(err) });
      healthy = false;
    }
    watchChecks++;
    if (!healthy) return { kind: 'unhealthy' };
    // The first check comes soon (a registration lost in a race with the watcher ending is repeated then).
    const backstopSeconds = watchChecks === 1 ? 3 * watch.intervalSeconds : watch.backstopSeconds;
    const fireAt = Math.min(now(ctx).getTime() + backstopSeconds * 1000, deadline.getTime());
    if (isCancelled(cancel)) return { kind: 'cancelled' };
    if (!ended.isCompleted) {
      const timer = ctx.df.createTimer(new Date(fireAt));
      const winner = yield ctx.df.Task.any([ended, timer, cancel]);
      if (winner !== timer) timer.cancel();
    }
    if (ended.isCompleted) return heard();
    if (isCancelled(cancel)) return { kind: 'cancelled' };
    if (now(ctx).getTime() >= deadline.getTime()) return { kind: 'deadline' };
    return { kind: 'backstop' };
  }

  try {
    for (;;) {
      // The first poll of a drill goes at once: short jobs (and the emulator's) are often done already.
      if (polls > 0) {
        let delaySeconds = jobPollDelaySeconds(polls - 1, input.settings.jobPoll);
        const watch = input.settings.jobWatch;
        // A third of the watcher's interval already: hand over (the watcher notices the end within its interval,
        // so a drill gains little by polling on, and each own poll costs a request and eight history events).
        if (watch && delaySeconds >= watch.intervalSeconds / 3) {
          const w = yield* viaWatcher(watch);
          generationPolls++;
          if (w.kind === 'cancelled') return stopped(cancelledFailure());
          if (w.kind === 'deadline') return atDeadline();
          if (w.kind === 'ended') {
            job = w.job;
            ctx.df.setCustomStatus({ jobId: input.jobId, status: job.status, polls, byWatcher: true });
            if (job.terminal) break;
          }
          if (w.kind !== 'unhealthy') {
            if (generationPolls >= input.settings.pollsPerGeneration) {
              log(ctx, 'monitorJob continues as new', { polls, watchChecks });
              ctx.df.continueAsNew({
                ...input,
                pollsBefore: polls,
                watchChecksBefore: watchChecks,
                ...(job ? { last: job } : {}),
              } satisfies MonitorJobInput);
              return { ok: true, job: job!, polls };
            }
            continue;
          }
          // The watcher is not listing: poll this job ourselves, at the watcher's interval.
          delaySeconds = watch.intervalSeconds;
        }
        const fireAt = new Date(now(ctx).getTime() + delaySeconds * 1000);
        const outcome = yield* waitUntil(ctx, fireAt, deadline, cancel);
        if (outcome === 'cancelled') return stopped(cancelledFailure());
        if (outcome === 'deadline') return atDeadline();
      }
      job = yield* callActivity(
        ctx,
        ACTIVITIES.getJob,
        {
          vaultId: input.vaultId,
          jobId: input.jobId,
          ...(input.crossRegion ? { crossRegion: input.crossRegion } : {}),
        },
        { settings: input.settings, deadline, cancel },
      );
      polls++;
      generationPolls++;
      ctx.df.setCustomStatus({ jobId: input.jobId, status: job.status, progress: job.progress, polls });
      if (job.terminal) break;
      if (generationPolls >= input.settings.pollsPerGeneration) {
        log(ctx, 'monitorJob continues as new', { polls });
        ctx.df.continueAsNew({
          ...input,
          pollsBefore: polls,
          watchChecksBefore: watchChecks,
          last: job,
        } satisfies MonitorJobInput);
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
