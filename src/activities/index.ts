/**
 * The drill's activities: every side effect of a drill. createActivities(deps) returns them as named, typed
 * functions (the way Temporal's TypeScript samples build theirs); orchestrators call them by name through a
 * helper typed from this object (ActivityInput / ActivityOutput), and import types only from here.
 *
 * At the runtime boundary (activityHandlers), each activity becomes a handler that never throws: its value,
 * or its failure as data with a stable code (docs/design.md, "Errors"), because an error's class does not
 * survive the trip to the orchestrator. Credentials are read from Key Vault inside the activities and never
 * returned.
 */
import { withDeadline } from '../lib/deadline';
import type { FleetReport } from '../lib/drill/fleetReport';
import { toFailure, type ActivityResult } from '../lib/errors';
import { cleanupActivities } from './cleanup';
import type { SaveReportInput, SaveReportOutput } from './contracts';
import { dataProtectionActivities } from './dataProtection';
import type { ActivityDeps, OrchestrationClient } from './deps';
import { fileActivities } from './files';
import { fleetActivities } from './fleet';
import { jobWatchActivities } from './jobWatch';
import { outcomeActivities } from './outcome';
import { preflightActivities } from './preflight';
import { ACTIVITIES, type ActivityName } from './names';
import { verifyActivities } from './verify';

export type { ActivityDeps, OrchestrationClient } from './deps';
export { ACTIVITIES, CLIENT_ACTIVITIES, type ActivityName } from './names';

export function createActivities(deps: ActivityDeps) {
  return {
    ...dataProtectionActivities(deps),
    ...fileActivities(deps),
    ...verifyActivities(deps),
    ...cleanupActivities(deps),
    saveReport: (input: SaveReportInput): Promise<SaveReportOutput> => {
      return deps.reports.save(input.report);
    },
    ...fleetActivities(deps),
    ...jobWatchActivities(deps),
    ...outcomeActivities(deps),
    ...preflightActivities(deps),
    saveFleetReport: (input: { report: FleetReport }): Promise<{ blobUrl: string; htmlUrl: string }> => {
      return deps.reports.saveFleet(input.report);
    },
  };
}

/** The activities as createActivities builds them. */
export type Activities = ReturnType<typeof createActivities>;
/** What activity N takes. */
export type ActivityInput<N extends ActivityName> = Parameters<Activities[N]>[0];
/** What activity N returns (awaited). */
export type ActivityOutput<N extends ActivityName> = Awaited<ReturnType<Activities[N]>>;

// The registered names and the implemented activities are the same set (a compile-time check).
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatch: SameKeys<keyof Activities, ActivityName> = true;
void namesMatch;

/**
 * An activity as the runtime calls it: any input in, never a throw out. `client`: Durable Functions' client of
 * this invocation, where the runtime binds one (CLIENT_ACTIVITIES in Azure).
 */
export type ActivityHandler = (
  input: unknown,
  client?: OrchestrationClient,
) => Promise<ActivityResult<unknown>>;

/**
 * The activities as runtime handlers. Inputs come stamped with the drill id and the deadline (the
 * orchestrator helper adds them): every log line of an activity names its drill, and it stops at the deadline.
 */
export function activityHandlers(
  activities: Activities,
  log?: ActivityDeps['log'],
): Record<ActivityName, ActivityHandler> {
  const handlers = {} as Record<ActivityName, ActivityHandler>;
  for (const name of Object.values(ACTIVITIES)) {
    const fn = activities[name] as (input: unknown, client?: OrchestrationClient) => Promise<unknown>;
    handlers[name] = async (input: unknown, client?: OrchestrationClient) => {
      const stamp = (input && typeof input === 'object' ? input : {}) as {
        drillId?: unknown;
        deadline?: unknown;
      };
      const drillId = stamp.drillId;
      const deadline = typeof stamp.deadline === 'string' ? new Date(stamp.deadline) : undefined;
      const started = Date.now();
      try {
        // No activity outlives its drill's deadline: the clients it uses stop at it too (lib/deadline.ts).
        const value = await withDeadline(deadline, () => fn(input, client));
        log?.('activity done', { drillId, activity: name, ms: Date.now() - started });
        return { ok: true, value };
      } catch (err) {
        const error = toFailure(err);
        log?.('activity failed', {
          drillId,
          activity: name,
          code: error.code,
          retryable: error.isRetryable,
          ms: Date.now() - started,
        });
        return { ok: false, error };
      }
    };
  }
  return handlers;
}
