/**
 * The drill report: built from the orchestration's record of a drill (pure, deterministic), validated against
 * schemas/drill-report.schema.json when saved; reportPage.ts renders it as HTML for people.
 */
import type {
  CheckResult,
  CrossRegionRecord,
  DrillReport,
  PhaseRecord,
} from '../types/generated/drill-report';
import type { FailureInfo } from '../errors';
import { actionsOrDefault } from '../recommendedActions';
import { parseJobDurationSeconds } from './durations';
import type { DrillTrigger, NormalizedRequest } from './request';

export type { CheckResult, CrossRegionRecord, DrillReport, PhaseRecord };
export type PhaseName = PhaseRecord['name'];

/** What the orchestrator records as the drill goes (plain JSON). */
export interface DrillRecord {
  drillId: string;
  startedAt: string;
  request: NormalizedRequest;
  trigger: DrillTrigger;
  phases: PhaseRecord[];
  datasource?: DrillReport['datasource'];
  recoveryPoint?: DrillReport['recoveryPoint'];
  /** A cross-region drill's regions and point times (the derived seconds are the report's to compute). */
  crossRegion?: Omit<CrossRegionRecord, 'replicationLagSeconds' | 'regionalRpoSeconds'>;
  job?: DrillReport['job'];
  triggeredAt?: string;
  verifiedAt?: string;
  restored: NonNullable<DrillReport['restored']>;
  verification: CheckResult[];
  /** The schema fingerprint of each database verified (verify.schemaDrift). */
  schemaFingerprints?: NonNullable<DrillReport['schemaFingerprints']>;
  cleanup: DrillReport['cleanup'];
  failure?: FailureInfo & { phase: string };
  cancelled: boolean;
  stats: { activityCalls: number; operationPolls: number; jobPolls: number };
}

export function secondsBetween(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 10) / 100);
}

export function verdictOf(record: DrillRecord): DrillReport['verdict'] {
  if (record.cancelled) return 'cancelled';
  if (record.failure) return 'failed';
  if (record.verification.some((c) => c.status === 'failed' || c.status === 'error')) return 'failed';
  if (!record.request.targets?.informational && missedTargets(objectivesOf(record)).length) return 'failed';
  return 'passed';
}

/** RPO: how old the recovery point was when the drill started. */
function rpoOf(record: Pick<DrillRecord, 'startedAt' | 'recoveryPoint'>): number | undefined {
  return record.recoveryPoint
    ? (Date.parse(record.startedAt) - Date.parse(record.recoveryPoint.time)) / 1000
    : undefined;
}

/** Each target the request set, against what the drill measured (a target without a measure is left out). */
export function objectivesOf(record: DrillRecord): NonNullable<DrillReport['objectives']> {
  const targets = record.request.targets;
  const rtoSeconds = rtoOf(record).rtoSeconds;
  const rpoSeconds = rpoOf(record);
  const objectives: NonNullable<DrillReport['objectives']> = {};
  if (targets?.rtoMinutes !== undefined && rtoSeconds !== undefined) {
    objectives.rto = {
      targetSeconds: targets.rtoMinutes * 60,
      actualSeconds: rtoSeconds,
      met: rtoSeconds <= targets.rtoMinutes * 60,
    };
  }
  if (targets?.rpoHours !== undefined && rpoSeconds !== undefined) {
    objectives.rpo = {
      targetSeconds: targets.rpoHours * 3600,
      actualSeconds: rpoSeconds,
      met: rpoSeconds <= targets.rpoHours * 3600,
    };
  }
  return objectives;
}

/** One line per missed target, e.g. "RTO 12m 5s, over its target of 10m". Pure. */
export function missedTargets(objectives: NonNullable<DrillReport['objectives']>): string[] {
  const out: string[] = [];
  for (const [name, o] of [
    ['RTO', objectives.rto],
    ['RPO', objectives.rpo],
  ] as const)
    if (o && !o.met) out.push(`${name} ${dur(o.actualSeconds)}, over its target of ${dur(o.targetSeconds)}`);
  return out;
}

function targetFailure(objectives: NonNullable<DrillReport['objectives']>): FailureInfo & { phase: string } {
  return {
    phase: 'verify',
    code: 'TargetMissed',
    message: `the restore worked, but ${missedTargets(objectives).join('; ')}`,
    recommendedActions: actionsOrDefault('TargetMissed', []),
    isRetryable: false,
    isUserError: false,
  };
}

/**
 * The failure a failed check makes of the drill: a data failure (VerificationFailed), or — when the check could
 * not even look at the data (a secret that cannot be read, a server that cannot be reached) — that error's own
 * code and next step.
 */
function checkFailure(c: CheckResult): FailureInfo & { phase: string } {
  const code = c.code ?? 'VerificationFailed';
  return {
    phase: 'verify',
    code,
    message: `${c.check}${c.database ? ` (${c.database})` : ''}: ${c.message}`,
    recommendedActions: actionsOrDefault(code, c.recommendedActions ?? []),
    isRetryable: false,
    isUserError: c.code !== undefined,
  };
}

/**
 * RTO on Azure's clock where Azure gives the job's start and end: the job's own run plus our load and verify
 * time, so how quickly the drill noticed the job's end does not count; that lag is reported beside it
 * (when we saw the job end minus Azure's end time, across two clocks, so never below 0). Without the job's times,
 * restore trigger to data verified on the drill's clock.
 */
export function rtoOf(
  record: Pick<DrillRecord, 'triggeredAt' | 'verifiedAt' | 'job' | 'phases'>,
): Pick<DrillReport, 'rtoSeconds' | 'rtoBasis' | 'detectionLagSeconds'> {
  if (!record.triggeredAt || !record.verifiedAt) return {};
  const job = record.job;
  const times = [job?.startTime, job?.endTime].map((t) => (t ? Date.parse(t) : NaN));
  if (!job?.startTime || !job.endTime || times.some(Number.isNaN))
    return { rtoSeconds: secondsBetween(record.triggeredAt, record.verifiedAt), rtoBasis: 'drillClock' };
  const spent = (name: string) => {
    const p = record.phases.find((x) => x.name === name);
    return p?.endedAt ? secondsBetween(p.startedAt, p.endedAt) : 0;
  };
  const seen = record.phases.find((x) => x.name === 'restore')?.endedAt;
  const rto = secondsBetween(job.startTime, job.endTime) + spent('load') + spent('verify');
  return {
    rtoSeconds: Math.round(rto * 100) / 100,
    rtoBasis: 'azureJob',
    ...(seen ? { detectionLagSeconds: secondsBetween(job.endTime, seen) } : {}),
  };
}

/**
 * A cross-region drill's regions with what they cost, each when its times are known: the replication lag (newest
 * primary point minus newest secondary point: how far the paired region's copy trails, whatever point the
 * policy restored) and the regional RPO (drill start minus the newest secondary point). The chosen point's own
 * age is rpoSeconds. The newest times are of points at or before the drill start (selectRecoveryPoint leaves
 * later ones out); both figures are floored at 0 all the same, since a negative lag or RPO means nothing.
 */
export function crossRegionOf(
  record: Pick<DrillRecord, 'startedAt' | 'crossRegion'>,
): CrossRegionRecord | undefined {
  const cr = record.crossRegion;
  if (!cr) return undefined;
  const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  return {
    ...cr,
    ...(cr.newestPrimaryPointTime && cr.newestSecondaryPointTime
      ? { replicationLagSeconds: seconds(cr.newestSecondaryPointTime, cr.newestPrimaryPointTime) }
      : {}),
    ...(cr.newestSecondaryPointTime
      ? { regionalRpoSeconds: seconds(cr.newestSecondaryPointTime, record.startedAt) }
      : {}),
  };
}

export function buildReport(record: DrillRecord, endedAt: string): DrillReport {
  const rto = rtoOf(record);
  const rpoSeconds = rpoOf(record);
  const crossRegion = crossRegionOf(record);
  const objectives = objectivesOf(record);
  const verdict = verdictOf(record);
  const failedCheck = record.verification.find((c) => c.status === 'failed' || c.status === 'error');
  const failure =
    record.failure ??
    (verdict === 'failed' && failedCheck
      ? checkFailure(failedCheck)
      : verdict === 'failed'
        ? targetFailure(objectives)
        : undefined);
  return {
    schemaVersion: 1,
    drillId: record.drillId,
    ...(record.request.label ? { label: record.request.label } : {}),
    trigger: record.trigger,
    startedAt: record.startedAt,
    endedAt,
    durationSeconds: secondsBetween(record.startedAt, endedAt),
    request: record.request,
    ...(record.datasource ? { datasource: record.datasource } : {}),
    ...(record.recoveryPoint ? { recoveryPoint: record.recoveryPoint } : {}),
    phases: record.phases,
    ...(record.job ? { job: record.job } : {}),
    ...rto,
    ...(rpoSeconds !== undefined ? { rpoSeconds } : {}),
    ...(crossRegion ? { crossRegion } : {}),
    ...(Object.keys(objectives).length ? { objectives } : {}),
    restored: record.restored,
    verification: record.verification,
    ...(record.schemaFingerprints ? { schemaFingerprints: record.schemaFingerprints } : {}),
    cleanup: record.cleanup,
    verdict,
    ...(failure
      ? {
          failure: {
            phase: failure.phase,
            code: failure.code,
            message: failure.message,
            recommendedActions: failure.recommendedActions,
            isUserError: failure.isUserError,
            isRetryable: failure.isRetryable,
          },
        }
      : {}),
    stats: record.stats,
  };
}

/** The backup job as the report shows it. */
export function jobRecord(
  job: {
    id: string;
    status: string;
    duration?: string;
    durationSeconds?: number;
    startTime?: string;
    endTime?: string;
  },
  polls: number,
): NonNullable<DrillReport['job']> {
  const seconds = job.durationSeconds ?? parseJobDurationSeconds(job.duration);
  return {
    id: job.id,
    status: job.status,
    ...(job.duration ? { azureDuration: job.duration } : {}),
    ...(seconds !== undefined ? { azureDurationSeconds: seconds } : {}),
    ...(job.startTime ? { startTime: job.startTime } : {}),
    ...(job.endTime ? { endTime: job.endTime } : {}),
    polls,
  };
}

/** Text made safe for HTML (the report pages: reportPage.ts, fleetReport.ts). */
export function esc(v: string | number | undefined): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A duration for people: seconds, minutes or hours. */
export function dur(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
