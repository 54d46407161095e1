/**
 * The activities of the vault job watchers (src/lib/drill/jobWatch.ts): register a drill's job with its vault's
 * watcher (starting the watcher when none runs), and tell drills their job ended. They use Durable Functions'
 * client: passed per invocation in Azure, or the in-process driver's.
 */
import {
  VAULT_JOB_WATCHER,
  WATCH_JOB_EVENT,
  JOB_ENDED_EVENT,
  vaultWatcherId,
  watcherHealthy,
  type WatcherStatus,
  type WatchRequest,
} from '../lib/drill/jobWatch';
import type { JobEndedNotice, WatchJobInput, WatchJobOutput } from './contracts';
import { orchestrationClientOf, type ActivityDeps, type OrchestrationClient } from './deps';

const ACTIVE = ['Pending', 'Running', 'ContinuedAsNew'];

/** What a new watcher starts with. */
export interface VaultWatcherInput {
  vaultId: string;
  /** A watcher of the vault's cross-region restore jobs in this paired region (absent: the vault's own jobs). */
  crossRegion?: WatchJobInput['crossRegion'];
  settings: WatchJobInput['settings'];
  watched: Record<string, Omit<WatchRequest, 'instanceId'>>;
  listedAt?: string;
}

export function jobWatchActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const clientOf = (client: OrchestrationClient | undefined): OrchestrationClient =>
    orchestrationClientOf(deps, client, 'for the job watcher');

  return {
    /**
     * Registers a drill's job with its vault's watcher (again: registering twice is harmless), starting the
     * watcher when none runs. Says whether the watcher is alive, so a drill knows whether to wait for its word.
     */
    watchRestoreJob: async (input: WatchJobInput, client?: OrchestrationClient): Promise<WatchJobOutput> => {
      const c = clientOf(client);
      const watcherId = vaultWatcherId(input.vaultId, input.crossRegion);
      const { instanceId, ...entry }: WatchRequest = {
        instanceId: input.instanceId,
        jobId: input.jobId,
        ...(input.startTime ? { startTime: input.startTime } : {}),
        ...(input.until ? { until: input.until } : {}),
      };
      const request: WatchRequest = { instanceId, ...entry };
      const interval = input.settings.jobWatch?.intervalSeconds ?? 30;
      const status = await c.getStatus(watcherId);
      if (status && ACTIVE.includes(status.runtimeStatus)) {
        // Not delivered (the watcher ended a moment ago, or the client failed): the drill must look for itself.
        if ((await c.raiseEvent(watcherId, WATCH_JOB_EVENT, request)) === false)
          return { watcherId, healthy: false };
        return {
          watcherId,
          healthy: watcherHealthy(
            status.customStatus as WatcherStatus | undefined,
            status.createdTime,
            now(),
            interval,
          ),
        };
      }
      const start: VaultWatcherInput = {
        vaultId: input.vaultId,
        ...(input.crossRegion ? { crossRegion: input.crossRegion } : {}),
        settings: input.settings,
        watched: {
          [input.instanceId]: {
            jobId: input.jobId,
            ...(input.startTime ? { startTime: input.startTime } : {}),
          },
        },
      };
      try {
        await c.startNew(VAULT_JOB_WATCHER, watcherId, start);
        deps.log?.('vault job watcher started', { watcherId, vaultId: input.vaultId });
      } catch {
        // Another drill started it a moment ago: register with that one.
        const delivered = await c.raiseEvent(watcherId, WATCH_JOB_EVENT, request).catch(() => false);
        return { watcherId, healthy: delivered !== false };
      }
      return { watcherId, healthy: true };
    },

    /** Tells each drill its job ended. A drill that is gone (finished, cancelled) is skipped. */
    notifyJobsEnded: async (
      input: { notices: JobEndedNotice[] },
      client?: OrchestrationClient,
    ): Promise<{ delivered: number }> => {
      const c = clientOf(client);
      let delivered = 0;
      for (const n of input.notices) {
        const ok = await c.raiseEvent(n.instanceId, JOB_ENDED_EVENT, n.job).catch(() => false);
        if (ok !== false) delivered++;
      }
      return { delivered };
    },
  };
}
