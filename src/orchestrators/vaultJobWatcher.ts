/**
 * vaultJobWatcher: one per vault (instance id from vaultWatcherId), alive while drills wait on restore jobs in
 * it (src/lib/drill/jobWatch.ts). Drills register with the watchJob event; once per interval the watcher lists
 * the vault's jobs (one paged list for every drill waiting there), raises jobEnded to each drill whose job
 * ended, and forgets it. It records when it last listed in its custom status, which drills read to decide
 * whether to trust it. A list that fails is logged and tried at the next interval: drills that hear nothing
 * check on their own at their backstop. With nothing to watch for a few intervals it ends (the next drill
 * starts a new one); it continues as new every few hundred rounds to keep its history short. A watcher with
 * input.crossRegion watches the vault's cross-region restore jobs in that paired region instead.
 */
import type * as df from 'durable-functions';
import type { JobEndedNotice, JobSummary } from '../activities/contracts';
import type { VaultWatcherInput } from '../activities/jobWatch';
import { ACTIVITIES } from '../activities/names';
import { nameKey } from '../lib/dataprotection/armId';
import { WATCH_JOB_EVENT, type WatcherStatus, type WatchRequest } from '../lib/drill/jobWatch';
import { toFailure } from '../lib/errors';
import { callActivity, log, now, type Ctx } from './helpers';

/** Rounds (lists) per generation before continueAsNew. */
const ROUNDS_PER_GENERATION = 200;
/** Intervals without anything to watch before the watcher ends. */
const IDLE_INTERVALS = 4;
/** How long one list (with its retries) may take. */
const LIST_SECONDS = 120;

export function* vaultJobWatcher(ctx: Ctx): Generator<df.Task, { ended: string }, unknown> {
  const input = ctx.df.getInput<VaultWatcherInput>();
  const intervalMs = (input.settings.jobWatch?.intervalSeconds ?? 30) * 1000;
  const watched = new Map(Object.entries(input.watched ?? {}));
  let listedAt = input.listedAt;
  let lastError: string | undefined;
  let next = now(ctx).getTime() + intervalMs;
  let idleSince = watched.size ? undefined : now(ctx).getTime();

  // Registrations. The engine hands an event to the newest wait for its name that was ever yielded, and a wait
  // yielded twice is completed twice (the first registration lost): so every wait is a fresh task, yielded once,
  // and every one of them is looked at after each yield (an event that came during a list completes the last).
  let waits: df.Task[] = [];
  const newWait = (): df.Task => {
    const t = ctx.df.waitForExternalEvent(WATCH_JOB_EVENT);
    waits.push(t);
    return t;
  };
  const takeRegistrations = (): boolean => {
    const done = waits.filter((t) => t.isCompleted);
    waits = waits.filter((t) => !t.isCompleted);
    for (const t of done) {
      const req = t.result as WatchRequest;
      watched.set(req.instanceId, {
        jobId: req.jobId,
        ...(req.startTime ? { startTime: req.startTime } : {}),
        ...(req.until ? { until: req.until } : {}),
      });
    }
    if (done.length) idleSince = undefined;
    return done.length > 0;
  };

  const status = () =>
    ctx.df.setCustomStatus({
      vaultId: input.vaultId,
      watching: watched.size,
      ...(listedAt ? { listedAt } : {}),
      ...(lastError ? { lastError } : {}),
    } satisfies WatcherStatus);

  for (let round = 0; round < ROUNDS_PER_GENERATION;) {
    status();
    const fireAt = idleSince !== undefined ? idleSince + IDLE_INTERVALS * intervalMs : next;
    if (now(ctx).getTime() < fireAt) {
      const timer = ctx.df.createTimer(new Date(fireAt));
      const winner = yield ctx.df.Task.any([newWait(), timer]);
      if (winner !== timer) timer.cancel();
    }
    if (takeRegistrations()) continue;
    if (idleSince !== undefined) {
      log(ctx, 'vault job watcher idle: ending', { vaultId: input.vaultId });
      return { ended: 'idle' };
    }
    round++;
    next = now(ctx).getTime() + intervalMs;
    // Drills past their deadline stopped waiting: forget them (their job is theirs to find in cleanup).
    for (const [id, w] of watched)
      if (w.until && Date.parse(w.until) <= now(ctx).getTime()) watched.delete(id);
    try {
      const jobs = [...new Map([...watched.values()].map((w) => [nameKey(w.jobId), w])).values()];
      const { ended } = jobs.length
        ? yield* callActivity(
            ctx,
            ACTIVITIES.endedRestoreJobs,
            {
              vaultId: input.vaultId,
              jobs,
              ...(input.crossRegion ? { crossRegion: input.crossRegion } : {}),
            },
            { settings: input.settings, deadline: new Date(now(ctx).getTime() + LIST_SECONDS * 1000) },
          )
        : { ended: [] };
      listedAt = now(ctx).toISOString();
      lastError = undefined;
      const notices = noticesFor(watched, ended);
      if (notices.length) {
        yield* callActivity(
          ctx,
          ACTIVITIES.notifyJobsEnded,
          { notices },
          { settings: input.settings, deadline: new Date(now(ctx).getTime() + LIST_SECONDS * 1000) },
        );
        for (const n of notices) watched.delete(n.instanceId);
      }
    } catch (err) {
      lastError = toFailure(err).message;
      log(ctx, 'vault job watcher could not list jobs', { vaultId: input.vaultId, error: lastError });
    }
    takeRegistrations();
    if (watched.size === 0 && idleSince === undefined) idleSince = now(ctx).getTime();
  }
  // Registrations that came during the last list go with the new generation.
  takeRegistrations();
  status();
  ctx.df.continueAsNew({
    ...input,
    watched: Object.fromEntries(watched),
    ...(listedAt ? { listedAt } : {}),
  } satisfies VaultWatcherInput);
  return { ended: 'continuedAsNew' };
}

/** Each waiting drill whose job is among those that ended. Pure. */
export function noticesFor(
  watched: ReadonlyMap<string, { jobId: string }>,
  ended: readonly JobSummary[],
): JobEndedNotice[] {
  const byId = new Map(ended.map((j) => [nameKey(j.id), j]));
  const out: JobEndedNotice[] = [];
  for (const [instanceId, w] of watched) {
    const job = byId.get(nameKey(w.jobId));
    if (job) out.push({ instanceId, job });
  }
  return out;
}
