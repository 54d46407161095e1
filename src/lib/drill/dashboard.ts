/**
 * The dashboard: every backup instance the history has seen, its last verdict and age, whether a passed drill
 * is recent enough (coverage), RTO and RPO over its last drills, and RTO regressions. Pure: built from history
 * rows (src/lib/storage/reportStore.ts) and rendered as one self-contained HTML page (inline SVG, no scripts).
 */
import { coverageOf } from './fleet';
import type { RestoreFrom } from './request';
import { dur, esc } from './report';
import { REPORT_PAGE_CSP } from './reportPage';

/** A finished drill as the dashboard reads it (a history row). */
export interface DashboardDrill {
  drillId: string;
  backupInstanceId: string;
  startedAt: string;
  verdict: string;
  /** database or files: a drill that loads and verifies takes longer than one that only restores files. */
  targetKind?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  failureCode?: string;
  /** Absent: primaryRegion. Coverage (DRILL_COVERAGE_DAYS) counts same-region drills only. */
  restoreFrom?: RestoreFrom;
}

/** A drill's RTO well above what its instance usually takes. */
export interface Regression {
  drillId: string;
  rtoSeconds: number;
  /** The 90th percentile of the previous drills' RTO (nearest rank). */
  p90Seconds: number;
  /** REGRESSION_FACTOR × p90Seconds: above it is a regression. */
  thresholdSeconds: number;
  /** How many previous drills the percentile was taken over. */
  previous: number;
}

export interface DashboardEntry {
  backupInstanceId: string;
  /** The instance's own name (the id's last segment). */
  name: string;
  last: { drillId: string; startedAt: string; verdict: string; failureCode?: string };
  /** Days since the last drill started (one decimal). */
  lastAgeDays: number;
  /** When the oldest drill read of this instance started. */
  firstStartedAt: string;
  lastPassedAt?: string;
  /** current: a passed drill within the coverage window; overdue: an older one only; never: none. */
  coverage: 'current' | 'overdue' | 'never';
  drills: number;
  /** RTO and RPO of the last drills that measured them, oldest first (the sparklines). */
  rto: { drillId: string; seconds: number }[];
  rpo: { drillId: string; seconds: number }[];
  regression?: Regression;
}

export interface Dashboard {
  generatedAt: string;
  coverageDays: number;
  /** Drills read: the newest `drillsRead` of the history (at most DASHBOARD_MAX_DRILLS). */
  drillsRead: number;
  totals: { instances: number; lastPassed: number; lastFailed: number; overdue: number; regressions: number };
  instances: DashboardEntry[];
}

/** A drill is a regression when its RTO is above this many times the p90 of the previous ones. */
export const REGRESSION_FACTOR = 1.5;
/** The previous drills the p90 is taken over. */
export const REGRESSION_WINDOW = 10;
/** Fewer previous drills than this say too little about what is usual: no regression is flagged. */
export const REGRESSION_MIN_PREVIOUS = 3;
/** Points in a sparkline. */
export const SPARKLINE_POINTS = 20;
/** The dashboard reads at most this many of the newest drills. */
export const DASHBOARD_MAX_DRILLS = 5000;

const DAY_MS = 86_400_000;

/** The p-th percentile by nearest rank (p in 0..100) of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Whether the newest drill that measured an RTO regressed: its RTO above REGRESSION_FACTOR × the p90 of the
 * REGRESSION_WINDOW drills before it of the same target kind (a restore as files that is not loaded measures
 * less than one restored as a database and verified). `drills` newest first.
 */
export function regressionOf(drills: DashboardDrill[]): Regression | undefined {
  const measured = drills.filter((d) => typeof d.rtoSeconds === 'number');
  const [latest, ...others] = measured;
  // Like with like: a cross-region restore takes longer than a same-region one without being a regression.
  const rest = others.filter(
    (d) =>
      d.targetKind === latest?.targetKind &&
      (d.restoreFrom ?? 'primaryRegion') === (latest?.restoreFrom ?? 'primaryRegion'),
  );
  const previous = rest.slice(0, REGRESSION_WINDOW).map((d) => d.rtoSeconds!);
  if (!latest || previous.length < REGRESSION_MIN_PREVIOUS) return undefined;
  const p90 = percentile(previous, 90);
  const threshold = REGRESSION_FACTOR * p90;
  if (latest.rtoSeconds! <= threshold) return undefined;
  return {
    drillId: latest.drillId,
    rtoSeconds: latest.rtoSeconds!,
    p90Seconds: p90,
    thresholdSeconds: threshold,
    previous: previous.length,
  };
}

function series(drills: DashboardDrill[], key: 'rtoSeconds' | 'rpoSeconds') {
  return drills
    .filter((d) => typeof d[key] === 'number')
    .slice(0, SPARKLINE_POINTS)
    .reverse()
    .map((d) => ({ drillId: d.drillId, seconds: d[key]! }));
}

/**
 * The dashboard of these drills (any order): one entry per backup instance (ids compared without case),
 * failing and overdue instances first. A passed drill older than `coverageDays` leaves the instance overdue.
 */
export function buildDashboard(drills: DashboardDrill[], now: Date, coverageDays: number): Dashboard {
  const byInstance = new Map<string, DashboardDrill[]>();
  for (const d of drills) {
    const key = d.backupInstanceId.toLowerCase();
    byInstance.set(key, [...(byInstance.get(key) ?? []), d]);
  }
  const instances: DashboardEntry[] = [];
  for (const mine of byInstance.values()) {
    mine.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.drillId.localeCompare(a.drillId));
    const last = mine[0]!;
    // Same-region coverage: a cross-region drill proves the paired region's copy, not the primary one.
    const [cov] = coverageOf([last.backupInstanceId], mine, now, coverageDays);
    const regression = regressionOf(mine);
    instances.push({
      backupInstanceId: last.backupInstanceId,
      name: last.backupInstanceId.split('/').filter(Boolean).at(-1) ?? last.backupInstanceId,
      last: {
        drillId: last.drillId,
        startedAt: last.startedAt,
        verdict: last.verdict,
        ...(last.failureCode ? { failureCode: last.failureCode } : {}),
      },
      lastAgeDays: Math.round(((now.getTime() - Date.parse(last.startedAt)) / DAY_MS) * 10) / 10,
      firstStartedAt: mine.at(-1)!.startedAt,
      ...(cov?.lastPassedAt ? { lastPassedAt: cov.lastPassedAt } : {}),
      coverage: !cov?.lastPassedAt ? 'never' : cov.overdue ? 'overdue' : 'current',
      drills: mine.length,
      rto: series(mine, 'rtoSeconds'),
      rpo: series(mine, 'rpoSeconds'),
      ...(regression ? { regression } : {}),
    });
  }
  const rank = (e: DashboardEntry) =>
    (e.last.verdict === 'failed' ? 0 : 4) + (e.coverage === 'current' ? 2 : 0) + (e.regression ? 0 : 1);
  instances.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return {
    generatedAt: now.toISOString(),
    coverageDays,
    drillsRead: drills.length,
    totals: {
      instances: instances.length,
      lastPassed: instances.filter((e) => e.last.verdict === 'passed').length,
      lastFailed: instances.filter((e) => e.last.verdict === 'failed').length,
      overdue: instances.filter((e) => e.coverage !== 'current').length,
      regressions: instances.filter((e) => e.regression).length,
    },
    instances,
  };
}

/** An inline SVG sparkline of `points` (oldest first), the newest point marked; a dash without points. */
export function sparkline(points: { seconds: number }[], label: string, flagged = false): string {
  if (points.length === 0) return '–';
  const w = 160;
  const h = 32;
  const max = Math.max(...points.map((p) => p.seconds));
  const min = Math.min(...points.map((p) => p.seconds));
  const span = max - min || 1;
  const xy = points.map((p, i) => {
    const x = points.length === 1 ? w / 2 : 4 + (i * (w - 8)) / (points.length - 1);
    const y = h - 4 - ((p.seconds - min) / span) * (h - 8);
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10] as const;
  });
  const [lx, ly] = xy.at(-1)!;
  const colour = flagged ? '#cf222e' : '#0969da';
  return `<svg class="spark" role="img" aria-label="${esc(label)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><title>${esc(label)}</title><polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${xy.map(([x, y]) => `${x},${y}`).join(' ')}"/><circle cx="${lx}" cy="${ly}" r="2.5" fill="${colour}"/></svg> ${esc(dur(points.at(-1)!.seconds))}`;
}

/** The dashboard as a self-contained HTML page (no scripts, no external assets). */
export function renderDashboardHtml(d: Dashboard): string {
  const verdictCell = (e: DashboardEntry) =>
    `<span class="v ${esc(e.last.verdict)}">${esc(e.last.verdict)}</span>${e.last.failureCode ? ` <code>${esc(e.last.failureCode)}</code>` : ''}`;
  const coverageCell = (e: DashboardEntry) =>
    e.coverage === 'current'
      ? `current (passed ${esc(e.lastPassedAt)})`
      : e.coverage === 'overdue'
        ? `<b>OVERDUE</b>: last passed ${esc(e.lastPassedAt)}`
        : '<b>NEVER PASSED</b>';
  const rows = d.instances
    .map((e) => {
      const reg = e.regression
        ? `<b>REGRESSION</b>: RTO ${esc(dur(e.regression.rtoSeconds))} &gt; ${REGRESSION_FACTOR} × p90 ${esc(dur(e.regression.p90Seconds))} of ${e.regression.previous} previous`
        : '';
      const cls = [
        e.last.verdict === 'failed' ? 'failed' : '',
        e.coverage !== 'current' ? 'overdue' : '',
        e.regression ? 'regressed' : '',
      ]
        .filter(Boolean)
        .join(' ');
      return `<tr class="${cls}"><td title="${esc(e.backupInstanceId)}">${esc(e.name)}</td><td>${verdictCell(e)}</td><td>${esc(e.last.startedAt)} (${e.lastAgeDays} d ago)</td><td>${coverageCell(e)}</td><td>${sparkline(e.rto, `RTO of the last ${e.rto.length} drills of ${e.name}`, Boolean(e.regression))}</td><td>${sparkline(e.rpo, `RPO of the last ${e.rpo.length} drills of ${e.name}`)}</td><td>${e.drills}</td><td>${reg}</td></tr>`;
    })
    .join('\n');
  const t = d.totals;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${esc(REPORT_PAGE_CSP)}"><title>Restore drills: dashboard</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1f2328}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:middle}th{background:#f6f8fa}tr.failed td,tr.regressed td{background:#ffebe9}tr.overdue td{background:#fff8c5}.v{padding:1px 8px;border-radius:10px;color:#fff;background:#6e7781}.v.passed{background:#1a7f37}.v.failed{background:#cf222e}.v.cancelled{background:#9a6700}svg.spark{vertical-align:middle}</style></head><body>
<h1>Restore drills</h1>
<p>${t.instances} backup instance(s): last drill passed for ${t.lastPassed}, failed for ${t.lastFailed}; ${t.overdue} without a passed drill in the last ${d.coverageDays} days; ${t.regressions} RTO regression(s). Generated ${esc(d.generatedAt)} from the newest ${d.drillsRead} drill(s).</p>
<table><tr><th>backup instance</th><th>last verdict</th><th>last drill</th><th>coverage (${d.coverageDays} days)</th><th>RTO</th><th>RPO</th><th>drills</th><th>regression</th></tr>
${rows}
</table>
<p>Regression: the newest drill's RTO above ${REGRESSION_FACTOR} × the 90th percentile of the ${REGRESSION_WINDOW} drills before it (with at least ${REGRESSION_MIN_PREVIOUS}).</p>
</body></html>
`;
}
