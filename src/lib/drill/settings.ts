/**
 * What orchestrators need from configuration, which they cannot read themselves: it travels in their input.
 * Built from the typed app settings (whose defaults live in schemas/config.schema.json) and a few fixed
 * constants that are not settings. Pure.
 */
import type { AppConfig } from '../config';
import type { JobWatchSettings } from './jobWatch';
import type { JobPollSettings } from './polling';

export interface DrillSettings {
  /**
   * DATAPROTECTION_API_VERSION, which decides the fields of the restore request built in the orchestrator.
   * Absent in the settings of drills started before it existed (src/lib/drill/restorePlan.ts).
   */
  apiVersion?: string;
  jobPoll: JobPollSettings;
  /**
   * Asynchronous operations (validate, restore) that answer without Retry-After: poll on this schedule.
   * Absent in the settings of drills started before it existed: OPERATION_POLL_DEFAULTS then.
   */
  operationPoll?: JobPollSettings;
  /** Polls per sub-orchestration generation before continueAsNew, which keeps history bounded. */
  pollsPerGeneration: number;
  /** Whole-activity retries for retryable failures. */
  activityRetry: { maxAttempts: number; firstDelaySeconds: number; maxDelaySeconds: number };
  /** The vault's job watcher (src/orchestrators/vaultJobWatcher.ts); absent: every drill polls its own job. */
  jobWatch?: JobWatchSettings;
  /**
   * Publish alerts, dashboard and metrics once the verdict is saved (activity publishDrillOutcome). Absent in
   * drills started before that step existed: their histories have no such call, so they replay without it.
   */
  publishOutcome?: boolean;
}

/** Each job poll interval is the previous one times this. */
export const JOB_POLL_FACTOR = 1.5;
/** Each operation poll interval (without Retry-After) is the previous one times this. */
export const OPERATION_POLL_FACTOR = 2;
/** The operation poll schedule of a drill whose settings predate it (the config schema's defaults). */
export const OPERATION_POLL_DEFAULTS: JobPollSettings = {
  initialSeconds: 1,
  factor: OPERATION_POLL_FACTOR,
  maxSeconds: 30,
};
/** Polls per generation of a polling sub-orchestration. */
export const POLLS_PER_GENERATION = 50;
/** Attempts of a retryable activity, and the longest wait between two. */
export const ACTIVITY_MAX_ATTEMPTS = 4;
export const ACTIVITY_MAX_RETRY_DELAY_SECONDS = 60;

export function drillSettings(
  config: Pick<
    AppConfig,
    | 'DATAPROTECTION_API_VERSION'
    | 'DRILL_JOB_POLL_INITIAL_SECONDS'
    | 'DRILL_JOB_POLL_MAX_SECONDS'
    | 'DRILL_OPERATION_POLL_INITIAL_SECONDS'
    | 'DRILL_OPERATION_POLL_MAX_SECONDS'
    | 'DRILL_RETRY_FIRST_DELAY_SECONDS'
    | 'DRILL_JOB_WATCH_INTERVAL_SECONDS'
    | 'DRILL_JOB_WATCH_BACKSTOP_SECONDS'
  >,
): DrillSettings {
  return {
    apiVersion: config.DATAPROTECTION_API_VERSION,
    jobPoll: {
      initialSeconds: config.DRILL_JOB_POLL_INITIAL_SECONDS,
      factor: JOB_POLL_FACTOR,
      maxSeconds: config.DRILL_JOB_POLL_MAX_SECONDS,
    },
    operationPoll: {
      initialSeconds: config.DRILL_OPERATION_POLL_INITIAL_SECONDS,
      factor: OPERATION_POLL_FACTOR,
      maxSeconds: config.DRILL_OPERATION_POLL_MAX_SECONDS,
    },
    pollsPerGeneration: POLLS_PER_GENERATION,
    publishOutcome: true,
    activityRetry: {
      maxAttempts: ACTIVITY_MAX_ATTEMPTS,
      firstDelaySeconds: config.DRILL_RETRY_FIRST_DELAY_SECONDS,
      maxDelaySeconds: ACTIVITY_MAX_RETRY_DELAY_SECONDS,
    },
    ...(config.DRILL_JOB_WATCH_INTERVAL_SECONDS > 0
      ? {
          jobWatch: {
            intervalSeconds: config.DRILL_JOB_WATCH_INTERVAL_SECONDS,
            backstopSeconds: config.DRILL_JOB_WATCH_BACKSTOP_SECONDS,
          },
        }
      : {}),
  };
}
