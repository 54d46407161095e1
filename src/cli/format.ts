/** Text for people: a drill report in a few lines, and a progress line. */
import type { DrillReport } from '../lib/drill/report';

function dur(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatReport(r: DrillReport): string {
  const lines = [
    `drill ${r.drillId}: ${r.verdict.toUpperCase()}${r.label ? ` (${r.label})` : ''}`,
    `  restored   ${r.request.target.kind === 'database' ? `as database ${r.restored?.database?.name ?? '–'}` : `as files (${r.restored?.files?.length ?? 0}), loaded ${r.restored?.loaded?.length ?? 0}`}`,
    `  point      ${r.recoveryPoint ? `${r.recoveryPoint.id} at ${r.recoveryPoint.time} (${r.recoveryPoint.dataStore})` : '–'}`,
    `  RPO ${dur(r.rpoSeconds)}   RTO ${dur(r.rtoSeconds)}${r.rtoBasis === 'azureJob' ? ` (Azure's job clock; job end seen ${dur(r.detectionLagSeconds)} later)` : ''}   total ${dur(r.durationSeconds)}   Azure job ${r.job ? `${r.job.status} ${r.job.azureDuration ?? ''}` : '–'}`,
    `  phases     ${r.phases.map((p) => `${p.name} ${dur(p.durationSeconds)}${p.status === 'succeeded' ? '' : ` [${p.status}]`}`).join(', ')}`,
    ...r.verification.map(
      (c) =>
        `  ${c.status === 'passed' ? 'ok  ' : c.status === 'skipped' ? 'skip' : 'FAIL'} ${c.database ? `${c.database}: ` : ''}${c.check}: ${c.message}`,
    ),
    `  cleanup    ${r.cleanup.policy}: ${r.cleanup.status}${r.cleanup.actions.length ? ` (${r.cleanup.actions.map((a) => `${a.action} ${a.status}`).join(', ')})` : ''}`,
  ];
  if (r.failure) {
    lines.push(`  failure    ${r.failure.code} in ${r.failure.phase}: ${r.failure.message}`);
    for (const a of r.failure.recommendedActions ?? []) lines.push(`  action     ${a}`);
  }
  return lines.join('\n');
}

export function progressLine(
  id: string,
  status: { runtimeStatus?: string; phase?: string | null; detail?: string | null },
  elapsedMs: number,
): string {
  return `${id}  ${String(Math.round(elapsedMs / 1000)).padStart(4)} s  ${status.phase ?? status.runtimeStatus ?? '…'}${status.detail ? `  ${status.detail}` : ''}`;
}
