/** Text for people: a drill report in a few lines, and a progress line. */
import { dur, type DrillReport } from '../lib/drill/report';

/** Each target the request set, what was measured and whether it was met ('' when none was set). */
function targetsLine(r: DrillReport): string {
  const o = r.objectives;
  const parts = (
    [
      ['RTO', o?.rto],
      ['RPO', o?.rpo],
    ] as const
  )
    .filter(([, x]) => x)
    .map(
      ([n, x]) =>
        `${n} ${dur(x!.actualSeconds)} against ${dur(x!.targetSeconds)}: ${x!.met ? 'met' : 'MISSED'}`,
    );
  if (!parts.length) return '';
  return `  targets    ${parts.join('   ')}${r.request.targets?.informational ? '   (informational: they do not decide the verdict)' : ''}`;
}

export function formatReport(r: DrillReport): string {
  const lines = [
    `drill ${r.drillId}: ${r.verdict.toUpperCase()}${r.label ? ` (${r.label})` : ''}`,
    `  restored   ${r.request.target.kind === 'database' ? `as database ${r.restored?.database?.name ?? '–'}` : `as files (${r.restored?.files?.length ?? 0}), loaded ${r.restored?.loaded?.length ?? 0}`}`,
    `  point      ${r.recoveryPoint ? `${r.recoveryPoint.id} at ${r.recoveryPoint.time} (${r.recoveryPoint.dataStore})` : '–'}`,
    `  RPO ${dur(r.rpoSeconds)}   RTO ${dur(r.rtoSeconds)}${r.rtoBasis === 'azureJob' ? ` (Azure's job clock; job end seen ${dur(r.detectionLagSeconds)} later)` : ''}   total ${dur(r.durationSeconds)}   Azure job ${r.job ? `${r.job.status} ${r.job.azureDuration ?? ''}` : '–'}`,
    ...(targetsLine(r) ? [targetsLine(r)] : []),
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
