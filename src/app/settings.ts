/** Orchestration settings from app configuration (the orchestrator cannot read configuration itself). */
import type { AppConfig } from '../lib/config';
import { DEFAULT_SETTINGS, type DrillSettings } from '../lib/drill/request';

export function drillSettings(config: AppConfig): DrillSettings {
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  return {
    jobPoll: {
      initialSeconds: num(config.DRILL_JOB_POLL_INITIAL_SECONDS, DEFAULT_SETTINGS.jobPoll.initialSeconds),
      factor: DEFAULT_SETTINGS.jobPoll.factor,
      maxSeconds: num(config.DRILL_JOB_POLL_MAX_SECONDS, DEFAULT_SETTINGS.jobPoll.maxSeconds),
    },
    pollsPerGeneration: DEFAULT_SETTINGS.pollsPerGeneration,
    activityRetry: {
      ...DEFAULT_SETTINGS.activityRetry,
      firstDelaySeconds: num(
        config.DRILL_RETRY_FIRST_DELAY_SECONDS,
        DEFAULT_SETTINGS.activityRetry.firstDelaySeconds,
      ),
    },
  };
}
