/**
 * The fleet report: what a fleet run covered and how each drill ended, built from the scope decision and the
 * drills' outcomes. Pure.
 */
import type { CoverageEntry, ScopeDecision } from './fleet';
import { dur, esc } from './report';

/** One drill of the fleet, as the fleet report lists it. */
export interface FleetDrillResult {
  backupInstanceId: string;
  drillId: string;
  verdict: string;
  failureCode?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
}

export interface FleetReport {
  fleetId: string;
  plan: string;
  /** When the run's start window opened. */
  slot: string;
  startedAt: string;
  endedAt: string;
  /** completed: every due drill ran (whatever its verdict); failed: the scope could not be read at all. */
  status: 'completed' | 'failed';
  failure?: { code: string; message: string };
  counts: {
    inScope: number;
    due: number;
    drilled: number;
    passed: number;
    failed: number;
    notDue: number;
    skipped: number;
    /** In scope and still without a passed drill inside the coverage window after this run. */
    overdue: number;
  };
  drills: FleetDrillResult[];
  skipped: ScopeDecision[];
  notDue: string[];
  /** Instance ids still overdue after this run. */
  overdue: string[];
  problems: { resource: string; code: string; message: string }[];
  /** The Azure Monitor alert that started this run (DRILL_ALERT_TRIGGERS). */
  alert?: { alertId: string; alertRule: string; regions?: string[]; targets?: string[] };
}

export function buildFleetReport(input: {
  fleetId: string;
  plan: string;
  slot: string;
  startedAt: string;
  endedAt: string;
  coverage: CoverageEntry[];
  drills: FleetDrillResult[];
  skipped: ScopeDecision[];
  notDue: string[];
  problems: FleetReport['problems'];
  everyDays: number | undefined;
  alert?: FleetReport['alert'];
}): FleetReport {
  const passedNow = new Set(
    input.drills.filter((d) => d.verdict === 'passed').map((d) => d.backupInstanceId.toLowerCase()),
  );
  const overdue =
    input.everyDays === undefined
      ? []
      : input.coverage
          .filter((c) => c.overdue && !passedNow.has(c.backupInstanceId.toLowerCase()))
          .map((c) => c.backupInstanceId);
  const passed = input.drills.filter((d) => d.verdict === 'passed').length;
  return {
    fleetId: input.fleetId,
    plan: input.plan,
    slot: input.slot,
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    status: 'completed',
    counts: {
      inScope: input.coverage.length,
      due: input.drills.length,
      drilled: input.drills.length,
      passed,
      failed: input.drills.length - passed,
      notDue: input.notDue.length,
      skipped: input.skipped.length,
      overdue: overdue.length,
    },
    drills: input.drills,
    skipped: input.skipped,
    notDue: input.notDue,
    overdue,
    problems: input.problems,
    ...(input.alert ? { alert: input.alert } : {}),
  };
}

/** A self-contained HTML page for a fleet run: the counts, each drill (failed ones marked), what was left out. */
export function renderFleetHtml(r: FleetReport): string {
  const c = r.counts;
  const ok = r.status === 'completed' && c.failed === 0 && c.overdue === 0;
  const table = (head: string[], rows: { cells: string[]; bad?: boolean }[]) =>
    rows.length
      ? `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows
          .map(
            (row) =>
              `<tr${row.bad ? ' class="bad"' : ''}>${row.cells.map((x) => `<td>${x}</td>`).join('')}</tr>`,
          )
          .join('')}</table>`
      : '<p>none</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fleet ${esc(r.fleetId)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1f2328}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}th{background:#f6f8fa}tr.bad td{background:#ffebe9}.v{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;background:${ok ? '#1a7f37' : '#cf222e'}}code{font-size:12px}</style></head><body>
<h1>Fleet run <code>${esc(r.fleetId)}</code> <span class="v">${ok ? 'all proven' : 'attention'}</span></h1>
<p>Plan <b>${esc(r.plan)}</b>, window from ${esc(r.slot)}; ${esc(r.startedAt)} to ${esc(r.endedAt)} (${dur((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000)}).</p>
${r.alert ? `<p>Started by alert <b>${esc(r.alert.alertRule)}</b> (<code>${esc(r.alert.alertId)}</code>)${r.alert.regions ? `: cross-region drills of the instances in ${esc(r.alert.regions.join(', '))}` : ''}.</p>` : ''}
${r.failure ? `<p><b>${esc(r.failure.code)}</b>: ${esc(r.failure.message)}</p>` : ''}
<table><tr><th>in scope</th><th>drilled</th><th>passed</th><th>failed</th><th>not due</th><th>skipped</th><th>overdue</th></tr><tr>${[c.inScope, c.drilled, c.passed, c.failed, c.notDue, c.skipped, c.overdue].map((n) => `<td>${n}</td>`).join('')}</tr></table>
<h2>Drills</h2>${table(
    ['backup instance', 'drill', 'verdict', 'failure', 'RTO', 'RPO'],
    r.drills.map((d) => ({
      bad: d.verdict !== 'passed',
      cells: [
        `<code>${esc(d.backupInstanceId)}</code>`,
        esc(d.drillId),
        esc(d.verdict),
        esc(d.failureCode ?? ''),
        dur(d.rtoSeconds),
        dur(d.rpoSeconds),
      ],
    })),
  )}
<h2>Still overdue</h2>${table(
    ['backup instance'],
    r.overdue.map((id) => ({ bad: true, cells: [`<code>${esc(id)}</code>`] })),
  )}
<h2>Left out</h2>${table(
    ['backup instance', 'why'],
    r.skipped.map((s) => ({ cells: [`<code>${esc(s.backupInstanceId)}</code>`, esc(s.reason)] })),
  )}
<h2>Could not be listed or read</h2>${table(
    ['resource', 'code', 'message'],
    r.problems.map((p) => ({
      bad: true,
      cells: [`<code>${esc(p.resource)}</code>`, esc(p.code), esc(p.message)],
    })),
  )}
</body></html>
`;
}
