/**
 * The drill report: built from the orchestration's record of a drill (pure, deterministic), validated against
 * schemas/drill-report.schema.json when saved, and rendered as HTML for people.
 */
import type { CheckResult, DrillReport, PhaseRecord } from '../types/generated/drill-report';
import type { FailureInfo } from '../errors';
import { actionsOrDefault } from '../recommendedActions';
import { parseJobDurationSeconds } from './durations';
import type { DrillTrigger, NormalizedRequest } from './request';

export type { CheckResult, DrillReport, PhaseRecord };
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

export function buildReport(record: DrillRecord, endedAt: string): DrillReport {
  const rto = rtoOf(record);
  const rpoSeconds = rpoOf(record);
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

/** Text made safe for HTML (the report pages). */
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

/** A self-contained HTML page for one report. */
export function renderReportHtml(r: DrillReport): string {
  const badge = { passed: '#1a7f37', failed: '#cf222e', cancelled: '#9a6700' }[r.verdict];
  const rows = (items: string[][]) =>
    items.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  const target =
    r.request.target.kind === 'database'
      ? `database on ${esc(r.request.target.serverId)}`
      : `files in ${esc(r.request.target.containerUrl)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Restore drill ${esc(r.drillId)}: ${r.verdict}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1f2328}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}th{background:#f6f8fa}.v{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;background:${badge}}code{font-size:12px}</style></head><body>
<h1>Restore drill <code>${esc(r.drillId)}</code> <span class="v">${r.verdict}</span></h1>
<p>${esc(r.label ?? '')}</p>
<table><tr><th>Backup instance</th><td><code>${esc(r.request.backupInstanceId)}</code></td></tr>
<tr><th>Restored as</th><td>${target}</td></tr>
<tr><th>Recovery point</th><td>${r.recoveryPoint ? `${esc(r.recoveryPoint.id)} at ${esc(r.recoveryPoint.time)} (${esc(r.recoveryPoint.dataStore)})` : '–'}</td></tr>
<tr><th>RPO</th><td>${dur(r.rpoSeconds)}${r.objectives?.rpo ? ` (target ${dur(r.objectives.rpo.targetSeconds)}: ${r.objectives.rpo.met ? 'met' : 'missed'})` : ''}</td></tr>
<tr><th>RTO</th><td>${dur(r.rtoSeconds)}${r.rtoBasis === 'azureJob' ? ` on Azure's job clock (the job's end was seen ${dur(r.detectionLagSeconds)} after it; not counted)` : ''}${r.objectives?.rto ? ` (target ${dur(r.objectives.rto.targetSeconds)}: ${r.objectives.rto.met ? 'met' : 'missed'})` : ''}</td></tr>
<tr><th>Azure job</th><td>${r.job ? `${esc(r.job.id)}: ${esc(r.job.status)}, ${esc(r.job.azureDuration ?? '')}` : '–'}</td></tr>
<tr><th>Started / ended</th><td>${esc(r.startedAt)} / ${esc(r.endedAt)} (${dur(r.durationSeconds)})</td></tr></table>
${r.failure ? `<h2>Failure</h2><p><b>${esc(r.failure.code)}</b> in ${esc(r.failure.phase)}: ${esc(r.failure.message)}</p>${(r.failure.recommendedActions ?? []).map((a) => `<p>Recommended action: ${esc(a)}</p>`).join('')}` : ''}
<h2>Phases</h2><table><tr><th>phase</th><th>status</th><th>started</th><th>duration</th><th>detail</th></tr>${rows(r.phases.map((p) => [esc(p.name), esc(p.status), esc(p.startedAt), dur(p.durationSeconds), esc(p.detail ?? '')]))}</table>
<h2>Verification</h2><table><tr><th>check</th><th>database</th><th>status</th><th>expected</th><th>actual</th><th>message</th></tr>${rows(r.verification.map((c) => [esc(c.check), esc(c.database ?? ''), esc(c.status), esc(JSON.stringify(c.expected ?? null)), esc(JSON.stringify(c.actual ?? null)), esc(c.message)]))}</table>
<h2>Cleanup (${esc(r.cleanup.policy)}: ${esc(r.cleanup.status)})</h2><table><tr><th>resource</th><th>action</th><th>status</th><th>message</th></tr>${rows(r.cleanup.actions.map((a) => [esc(a.resource), esc(a.action), esc(a.status), esc(a.message ?? '')]))}</table>
${r.evidence ? evidenceHtml(r.evidence, rows) : ''}
</body></html>
`;
}

/** The evidence section of the report page: hash, chain link, segregation and the controls. */
function evidenceHtml(e: NonNullable<DrillReport['evidence']>, rows: (items: string[][]) => string): string {
  return `<h2>Evidence</h2><table>
<tr><th>SHA-256</th><td><code>${esc(e.sha256)}</code></td></tr>
<tr><th>Previous</th><td>${e.previous ? `<code>${esc(e.previous.sha256)}</code> (drill ${esc(e.previous.drillId)})` : 'none: the first drill of this backup instance'}</td></tr>
<tr><th>Segregation</th><td>${esc(e.segregation.statement)}</td></tr>
<tr><th>Hash of</th><td>${esc(e.algorithm)}</td></tr></table>
<table><tr><th>framework</th><th>clause</th><th>requirement</th><th>what in this report proves it</th></tr>${rows(e.controls.map((c) => [esc(c.framework), esc(c.clause), esc(c.requirement), esc(c.proof)]))}</table>`;
}
