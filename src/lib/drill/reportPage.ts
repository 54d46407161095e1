/**
 * The report page: one self-contained HTML page for one drill report (no script, no external asset, every value
 * escaped), for people and for auditors. A verdict badge and a summary; the phases and Azure's own restore job on
 * one time axis (inline SVG); RTO and RPO against their targets; the checks with their expected and actual values
 * written out, failed rows marked in words as well as colour; what was restored (or that nothing was), what
 * cleanup removed or kept; the failure and what to do; the evidence hash and the controls. Pure.
 */
import type { CheckResult, DrillReport, PhaseRecord } from '../types/generated/drill-report';
import { dur, esc } from './report';

type Cleanup = DrillReport['cleanup'];
type CleanupAction = Cleanup['actions'][number];

/** The Content-Security-Policy a server sends with the page: no script can run, nothing is fetched. */
export const REPORT_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** The headers the host serves its pages (report, dashboard) with: no scripts, no loads, no sniffing. */
export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': REPORT_PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

const VERDICT_TEXT: Record<DrillReport['verdict'], string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

// ---------------------------------------------------------------------------------------------------------------
// Values for people

/** An instant as people read it: `2026-05-01 10:00:00 UTC` (the ISO text unchanged when it is not one). */
export function when(iso: string | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** A number with thousands separators: 12,345 or 1,234.57. */
export function num(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** A size in bytes: 512 B, 1.5 KiB, 12.3 MiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${num(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

/**
 * A check's expected or actual value written for people rather than as a JSON literal: `>= 500` is "at least
 * 500", a NULL (or no row at all) is "no value (NULL or no rows)", numbers get separators, times are UTC.
 */
export function readable(v: unknown): string {
  if (v === undefined) return '–';
  if (v === null) return 'no value (NULL or no rows)';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v !== 'string') return JSON.stringify(v);
  if (v === '') return 'empty text';
  // A whole number as text ("1000" from count(*)::text), unless its digits carry meaning as written ("007").
  if (/^-?\d+$/.test(v) && String(Number(v)) === v && Number.isSafeInteger(Number(v))) return num(Number(v));
  const atLeast = /^(a time )?>= (.+)$/.exec(v);
  if (atLeast) {
    const bound = atLeast[2]!;
    if (ISO_TIME.test(bound)) return `${atLeast[1] ? 'a time ' : ''}at or after ${when(bound)}`;
    return `at least ${readable(bound)}`;
  }
  if (ISO_TIME.test(v)) return when(v);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// What the page says

const failedCheck = (c: CheckResult): boolean => c.status === 'failed' || c.status === 'error';

/**
 * The status a phase is shown with. Reports saved before a failed check failed its phase (drillRecorder.ts) said
 * verify "succeeded" beside failed checks: the page never repeats that contradiction.
 */
export function phaseStatus(r: DrillReport, p: PhaseRecord): PhaseRecord['status'] {
  if (p.name === 'verify' && p.status === 'succeeded' && r.verification.some(failedCheck)) return 'failed';
  return p.status;
}

function restoredSomething(r: DrillReport): boolean {
  const x = r.restored ?? {};
  return Boolean(x.database || x.files?.length || x.loaded?.length);
}

/** Where the drill ended: the phase a failure or cancellation stopped in. */
function endedIn(r: DrillReport): string | undefined {
  if (r.failure) return r.failure.phase;
  if (r.verdict === 'cancelled')
    return r.phases.find((p) => p.status === 'cancelled')?.name ?? r.phases.at(-1)?.name;
  return undefined;
}

function objectiveText(name: string, o: NonNullable<DrillReport['objectives']>['rto']): string {
  return o
    ? `${name} ${dur(o.actualSeconds)} (target ${dur(o.targetSeconds)}: ${o.met ? 'met' : 'missed'})`
    : '';
}

/** One or two sentences at the top: the verdict and why. */
function summary(r: DrillReport): string {
  const failed = r.verification.filter(failedCheck).length;
  const checks = r.verification.length
    ? `${r.verification.length - failed} of ${r.verification.length} check(s) passed`
    : 'no check ran';
  const objectives = [objectiveText('RTO', r.objectives?.rto), objectiveText('RPO', r.objectives?.rpo)]
    .filter(Boolean)
    .join('; ');
  const took = `The drill took ${dur(r.durationSeconds)}`;
  if (r.verdict === 'passed')
    return `The backup restored and its data was verified: ${checks}${objectives ? `; ${objectives}` : ''}. ${took}.`;
  if (r.verdict === 'cancelled')
    return `The drill was cancelled in its ${endedIn(r) ?? 'first'} phase${restoredSomething(r) ? '' : ', before anything was restored'}. ${took}.`;
  const f = r.failure;
  const why = `The drill failed${f ? ` in its ${f.phase} phase (${f.code})` : ''}: ${f ? f.message : checks}${r.verification.length ? ` (${checks})` : ''}.`;
  return `${why}${objectives ? ` ${objectives}.` : ''} ${took}.`;
}

// ---------------------------------------------------------------------------------------------------------------
// The timeline (inline SVG)

const STATUS_COLOUR: Record<PhaseRecord['status'], string> = {
  succeeded: '#2da44e',
  failed: '#cf222e',
  cancelled: '#bf8700',
  skipped: '#8c959f',
  running: '#0969da',
};
const JOB_COLOUR = '#8250df';

/** A tick step of 1, 2 or 5 times a power of ten seconds, about `parts` ticks over `span`. */
function tickStep(span: number, parts: number): number {
  const raw = span / parts;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function tickLabel(s: number, span: number): string {
  const round = (x: number) => String(Math.round(x * 100) / 100);
  if (span < 120) return `${round(s)} s`;
  if (span < 7200) return `${round(s / 60)} min`;
  return `${round(s / 3600)} h`;
}

interface Bar {
  label: string;
  from: number;
  to: number;
  colour: string;
  cls: string;
  text: string;
  title: string;
}

/** The phases, and Azure's restore job where its times are known, as bars on one axis. */
export function timelineSvg(r: DrillReport): string {
  const t = (iso: string | undefined): number | undefined => {
    const v = iso ? Date.parse(iso) : NaN;
    return Number.isNaN(v) ? undefined : v;
  };
  const start = t(r.startedAt) ?? 0;
  const end = t(r.endedAt) ?? start;
  const bars: Bar[] = r.phases.map((p) => {
    const status = phaseStatus(r, p);
    const from = t(p.startedAt) ?? start;
    const to = t(p.endedAt) ?? end;
    return {
      label: p.name,
      from,
      to,
      colour: STATUS_COLOUR[status],
      cls: `bar phase status-${status}`,
      text: `${dur(p.durationSeconds ?? (to - from) / 1000)} ${status}`,
      title: `${p.name}: ${status}, ${when(p.startedAt)} to ${when(p.endedAt)}${p.detail ? ` — ${p.detail}` : ''}`,
    };
  });
  const jobFrom = t(r.job?.startTime);
  if (r.job && jobFrom !== undefined) {
    const seen = t(r.phases.find((p) => p.name === 'restore')?.endedAt);
    const jobTo = t(r.job.endTime) ?? seen ?? end;
    bars.push({
      label: 'Azure job',
      from: jobFrom,
      to: jobTo,
      colour: JOB_COLOUR,
      cls: 'bar job',
      text: `${dur((jobTo - jobFrom) / 1000)} ${r.job.status}`,
      title: `Azure's restore job ${r.job.id}: ${r.job.status}, ${when(r.job.startTime)} to ${r.job.endTime ? when(r.job.endTime) : 'no end time given'} (Azure's clock)`,
    });
  }
  const t0 = Math.min(start, ...bars.map((b) => b.from));
  const t1 = Math.max(end, ...bars.map((b) => b.to), t0 + 1000);
  const span = (t1 - t0) / 1000;
  const [W, left, right, row, top] = [960, 104, 190, 24, 8];
  const chart = W - left - right;
  const x = (ms: number) => left + ((ms - t0) / (t1 - t0)) * chart;
  const axisY = top + bars.length * row + 4;
  const H = axisY + 34;
  const step = tickStep(span, 6);
  const ticks: string[] = [];
  for (let s = 0; s <= span + 1e-9; s += step) {
    const tx = x(t0 + s * 1000).toFixed(1);
    ticks.push(
      `<line class="tick" x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}"/><text class="tick-label" x="${tx}" y="${axisY + 14}" text-anchor="middle">${esc(tickLabel(s, span))}</text>`,
    );
  }
  const rows = bars.map((b, i) => {
    const y = top + i * row;
    const bx = x(b.from);
    const bw = Math.max(2, x(b.to) - bx);
    return `<g class="row" data-label="${esc(b.label)}"><title>${esc(b.title)}</title><text class="label" x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text><rect class="${esc(b.cls)}" data-name="${esc(b.label)}" x="${bx.toFixed(1)}" y="${y + 4}" width="${bw.toFixed(1)}" height="${row - 8}" rx="2" fill="${b.colour}"/><text class="value" x="${W - right + 8}" y="${y + 16}">${esc(b.text)}</text></g>`;
  });
  const desc = `The drill's phases${bars.length > r.phases.length ? " and Azure's restore job" : ''} on one time axis from ${when(new Date(t0).toISOString())} (${tickLabel(span, span)} in all).`;
  return `<svg class="timeline" role="img" aria-labelledby="timeline-title" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet"><title id="timeline-title">${esc(desc)}</title>
<line class="axis" x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}"/>${ticks.join('')}
${rows.join('\n')}
<text class="tick-label" x="${left}" y="${axisY + 30}">${esc(when(new Date(t0).toISOString()))}</text><text class="tick-label" x="${W - right}" y="${axisY + 30}" text-anchor="end">${esc(when(new Date(t1).toISOString()))}</text>
</svg>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sections

const table = (head: string[], body: string[]): string =>
  `<table><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;

const mark = (kind: 'ok' | 'bad' | 'warn' | 'none', text: string): string =>
  `<span class="mark mark-${kind}">${esc(text)}</span>`;

function objectivesSection(r: DrillReport): string {
  const o = r.objectives ?? {};
  const asked = r.request.targets;
  const informational = asked?.informational === true;
  const line = (
    name: string,
    what: string,
    actual: number | undefined,
    judged: NonNullable<typeof o.rto> | undefined,
    targetSeconds: number | undefined,
    note: string,
  ) => {
    const result = judged
      ? judged.met
        ? mark('ok', 'MET')
        : mark(informational ? 'warn' : 'bad', 'MISSED')
      : targetSeconds !== undefined
        ? mark('none', 'not measured')
        : mark('none', 'no target');
    const state = judged ? (judged.met ? 'met' : 'missed') : 'none';
    return `<tr class="objective ${state}" data-objective="${name}"><th scope="row">${name}</th><td>${esc(what)}</td><td class="num">${dur(actual)}</td><td class="num">${dur(judged?.targetSeconds ?? targetSeconds)}</td><td>${result}</td><td>${esc(note)}</td></tr>`;
  };
  const rtoNote =
    r.rtoBasis === 'azureJob'
      ? `measured on Azure's job clock (job run + load + verify); the job's end was seen ${dur(r.detectionLagSeconds)} after it, not counted`
      : r.rtoBasis === 'drillClock'
        ? "restore trigger to data verified, on the drill's clock (Azure gave no job times)"
        : 'not measured: the drill did not restore and verify';
  const rpoNote = r.recoveryPoint
    ? `drill start minus the recovery point's time (${when(r.recoveryPoint.time)})`
    : 'not measured: no recovery point was selected';
  const minutes = asked?.rtoMinutes !== undefined ? asked.rtoMinutes * 60 : undefined;
  const hours = asked?.rpoHours !== undefined ? asked.rpoHours * 3600 : undefined;
  return `<section id="objectives"><h2>Recovery objectives</h2>${table(
    ['objective', 'what it measures', 'actual', 'target', 'result', 'how'],
    [
      line('RTO', 'time to a restored, verified copy', r.rtoSeconds, o.rto, minutes, rtoNote),
      line('RPO', 'age of the data restored', r.rpoSeconds, o.rpo, hours, rpoNote),
    ],
  )}${informational ? '<p class="note">Targets are informational here: a missed target does not fail the drill.</p>' : ''}</section>`;
}

/** A cross-region drill: both regions, the points on each side, the replication lag and the regional RPO. */
function crossRegionSection(r: DrillReport): string {
  const cr = r.crossRegion;
  if (!cr) return '';
  const rows: [string, string][] = [
    ['Backed up in', `<code>${esc(cr.sourceRegion)}</code> (the vault's region)`],
    ['Restored in', `<code>${esc(cr.restoreRegion)}</code> (the paired region, from its replicated copy)`],
    ['Secondary point restored', esc(when(cr.recoveryPointTime))],
    ['Newest secondary point', esc(when(cr.newestSecondaryPointTime))],
    [
      'Newest primary point',
      cr.newestPrimaryPointTime
        ? esc(when(cr.newestPrimaryPointTime))
        : 'not known: the primary list could not be read',
    ],
    [
      'Replication lag',
      cr.replicationLagSeconds !== undefined
        ? `${dur(cr.replicationLagSeconds)} <span class="note">(newest primary point minus newest secondary point: how far the paired region's copy trails; the restored point's age is the RPO above)</span>`
        : '–',
    ],
    [
      'Regional RPO',
      cr.regionalRpoSeconds !== undefined
        ? `${dur(cr.regionalRpoSeconds)} <span class="note">(drill start minus the newest secondary point: the data a loss of ${esc(cr.sourceRegion)} at that moment would have cost)</span>`
        : '–',
    ],
  ];
  return `<section id="cross-region"><h2>Cross-region restore</h2><table class="facts">${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</table></section>`;
}

function checksSection(r: DrillReport): string {
  if (!r.verification.length)
    return `<section id="checks"><h2>Checks</h2><p>No check ran: the drill ended before it verified any data.</p></section>`;
  const failed = r.verification.filter(failedCheck).length;
  const rows = r.verification.map((c) => {
    const result =
      c.status === 'passed'
        ? mark('ok', 'passed')
        : c.status === 'skipped'
          ? mark('none', 'skipped')
          : mark('bad', c.status === 'error' ? 'ERROR' : 'FAILED');
    const actions = c.recommendedActions?.length
      ? `<div class="actions">What to do: ${c.recommendedActions.map(esc).join(' ')}</div>`
      : '';
    return `<tr class="check check-${c.status}${failedCheck(c) ? ' failed' : ''}"><td>${result}</td><td>${esc(c.check)}</td><td>${esc(c.database ?? '')}</td><td>${esc(readable(c.expected))}</td><td>${esc(readable(c.actual))}</td><td>${esc(c.message)}${c.code ? ` <code>${esc(c.code)}</code>` : ''}${actions}</td><td class="num">${c.durationMs !== undefined ? `${num(c.durationMs)} ms` : ''}</td></tr>`;
  });
  const head = failed
    ? `<p class="bad-text">${failed} of ${r.verification.length} check(s) failed.</p>`
    : `<p>All ${r.verification.length} check(s) passed.</p>`;
  return `<section id="checks"><h2>Checks</h2>${head}${table(['result', 'check', 'database', 'expected', 'actual', 'message', 'time'], rows)}</section>`;
}

function restoredSection(r: DrillReport): string {
  const x = r.restored ?? {};
  const target = r.request.target;
  const asked =
    target.kind === 'database'
      ? `a new database on server <code>${esc(target.serverId)}</code>`
      : `dump files in <code>${esc(target.containerUrl)}</code>${target.load ? `, loaded into scratch databases on <code>${esc(target.load.host)}</code>` : ''}`;
  const requested = `<p>Requested: restore as ${asked}.</p>`;
  if (!restoredSomething(r)) {
    const why =
      r.verdict === 'cancelled'
        ? `the drill was cancelled in its ${endedIn(r) ?? 'first'} phase`
        : r.verdict === 'failed'
          ? `the drill failed in its ${endedIn(r) ?? 'first'} phase`
          : 'the drill recorded no restored data';
    const created = r.cleanup.resources?.length
      ? ' What the drill had recorded creating (a restore Azure had already accepted may still have made it) is listed under Cleanup, with what became of it.'
      : '';
    return `<section id="restored"><h2>What was restored</h2><p class="nothing"><strong>Nothing was restored</strong>: ${esc(why)} before Azure's restore was confirmed.${created}</p>${requested}</section>`;
  }
  const parts: string[] = [];
  if (x.database)
    parts.push(
      `<p>Database <code>${esc(x.database.name)}</code> on server <code>${esc(x.database.serverId)}</code>.</p>`,
    );
  if (x.files?.length)
    parts.push(
      `<h3>Files</h3>${table(
        ['file', 'database', 'size'],
        x.files.map(
          (f) =>
            `<tr><td><code>${esc(f.name)}</code></td><td>${esc(f.database ?? '')}</td><td class="num">${f.bytes !== undefined ? bytes(f.bytes) : '–'}</td></tr>`,
        ),
      )}`,
    );
  if (x.loaded?.length)
    parts.push(
      `<h3>Loaded</h3>${table(
        ['source database', 'scratch database', 'dump from', 'server', 'load time'],
        x.loaded.map(
          (l) =>
            `<tr><td>${esc(l.database)}</td><td><code>${esc(l.scratchDatabase)}</code></td><td>${esc(l.dumpVersion ?? '–')}</td><td>${esc(l.serverVersion ?? '–')}</td><td class="num">${dur(l.seconds)}</td></tr>`,
        ),
      )}`,
    );
  return `<section id="restored"><h2>What was restored</h2>${parts.join('')}${requested}</section>`;
}

/** What became of one resource: deleted, already gone, kept, failed or refused. */
function outcome(a: CleanupAction): { text: string; kind: 'ok' | 'bad' | 'warn' | 'none' } {
  if (a.status === 'failed') return { text: 'FAILED', kind: 'bad' };
  if (a.status === 'refused') return { text: 'REFUSED', kind: 'bad' };
  if (a.action === 'kept') return { text: 'kept', kind: 'warn' };
  if (a.status === 'absent') return { text: 'already gone', kind: 'none' };
  return { text: /^(drop|delete)/.test(a.action) ? 'deleted' : 'done', kind: 'ok' };
}

function cleanupSection(r: DrillReport): string {
  const c = r.cleanup;
  const bad = c.actions.filter((a) => a.status === 'failed' || a.status === 'refused').length;
  const said: Record<Cleanup['status'], string> = {
    nothing: 'The drill created nothing, so there was nothing to clean up.',
    done: 'Everything the drill created was removed.',
    partial: `Cleanup failed for ${bad} of ${c.actions.length} resource(s); the sweeper retries it from this report.`,
    failed: 'Cleanup failed; the sweeper retries it from this report.',
    skipped: `What the drill created was kept (cleanup policy ${c.policy}).`,
    deferred: `What the drill created is kept until ${when(c.keepUntil)} (cleanup policy ${c.policy}), then removed.`,
  };
  const rows = c.actions.map((a) => {
    const o = outcome(a);
    return `<tr class="cleanup-action${o.kind === 'bad' ? ' failed' : ''}"><td>${mark(o.kind, o.text)}</td><td><code>${esc(a.resource)}</code></td><td>${esc(a.action)}</td><td>${esc(a.message ?? '')}</td></tr>`;
  });
  const created = c.resources?.length
    ? `<h3>Created by the drill</h3><ul>${c.resources.map((x) => `<li>${esc(x.kind)} <code>${esc(x.name ?? x.prefix ?? '')}</code>${x.serverId ? ` on <code>${esc(x.serverId)}</code>` : x.host ? ` on <code>${esc(x.host)}${x.port ? `:${x.port}` : ''}</code>` : x.containerUrl ? ` in <code>${esc(x.containerUrl)}</code>` : ''}</li>`).join('')}</ul>`
    : '';
  return `<section id="cleanup"><h2>Cleanup</h2><p class="${bad ? 'bad-text' : ''}">${esc(said[c.status])}${c.sweptAt ? ` Last swept ${esc(when(c.sweptAt))}.` : ''}</p>${rows.length ? table(['outcome', 'resource', 'action', 'message'], rows) : ''}${created}</section>`;
}

function failureSection(r: DrillReport): string {
  const f = r.failure;
  if (!f) return '';
  const actions = f.recommendedActions ?? [];
  return `<section id="failure" class="failure"><h2>Why it failed</h2><p><strong>${esc(f.code)}</strong> in the ${esc(f.phase)} phase: ${esc(f.message)}</p>${f.isUserError ? '<p>This is something to fix in the request, the permissions or the data, not a passing fault.</p>' : f.isRetryable ? '<p>This looks passing: running the drill again may work.</p>' : ''}${actions.length ? `<h3>What to do</h3><ol>${actions.map((a) => `<li>${esc(a)}</li>`).join('')}</ol>` : ''}</section>`;
}

function phasesTable(r: DrillReport): string {
  return table(
    ['phase', 'status', 'started', 'duration', 'detail'],
    r.phases.map((p) => {
      const s = phaseStatus(r, p);
      const kind = s === 'succeeded' ? 'ok' : s === 'failed' ? 'bad' : s === 'cancelled' ? 'warn' : 'none';
      return `<tr class="phase-row status-${s}"><td>${esc(p.name)}</td><td>${mark(kind, s)}</td><td>${esc(when(p.startedAt))}</td><td class="num">${dur(p.durationSeconds)}</td><td>${esc(p.detail ?? '')}</td></tr>`;
    }),
  );
}

function evidenceSection(r: DrillReport): string {
  const e = r.evidence;
  if (!e)
    return `<section id="evidence"><h2>Evidence</h2><p>This report carries no evidence hash (it was not stored).</p></section>`;
  return `<section id="evidence"><h2>Evidence</h2><table class="facts">
<tr><th scope="row">SHA-256</th><td><code class="hash">${esc(e.sha256)}</code></td></tr>
<tr><th scope="row">Previous</th><td>${e.previous ? `<code class="hash">${esc(e.previous.sha256)}</code> (drill ${esc(e.previous.drillId)})` : 'none: the first drill of this backup instance'}</td></tr>
<tr><th scope="row">Segregation</th><td>${esc(e.segregation.statement)}</td></tr>
<tr><th scope="row">Hash of</th><td>${esc(e.algorithm)}</td></tr></table>
${table(
  ['framework', 'clause', 'requirement', 'what in this report proves it'],
  e.controls.map(
    (c) =>
      `<tr><td>${esc(c.framework)}</td><td>${esc(c.clause)}</td><td>${esc(c.requirement)}</td><td>${esc(c.proof)}</td></tr>`,
  ),
)}</section>`;
}

function factsTable(r: DrillReport): string {
  const rp = r.recoveryPoint;
  const job = r.job;
  const facts: [string, string][] = [
    ['Backup instance', `<code>${esc(r.request.backupInstanceId)}</code>`],
    [
      'Source',
      r.datasource
        ? `${r.datasource.kind === 'flexibleServer' ? 'Flexible Server' : 'Single Server database'} <code>${esc(r.datasource.id)}</code>${r.datasource.protectionStatus ? ` (${esc(r.datasource.protectionStatus)})` : ''}`
        : '–',
    ],
    [
      'Recovery point',
      rp
        ? `<code>${esc(rp.id)}</code> taken ${esc(when(rp.time))}, ${esc(rp.dataStore === 'ArchiveStore' ? 'archive tier' : 'vault tier')}${rp.policy ? `, chosen by policy ${esc(rp.policy)}` : ''}${rp.candidates !== undefined ? ` from ${num(rp.candidates)} candidate(s)` : ''}`
        : 'none selected',
    ],
    [
      "Azure's restore job",
      job
        ? `<code>${esc(job.id)}</code>: ${esc(job.status)}${job.azureDurationSeconds !== undefined ? `, ${dur(job.azureDurationSeconds)}` : job.azureDuration ? `, ${esc(job.azureDuration)}` : ''}${job.polls !== undefined ? ` (${num(job.polls)} poll(s))` : ''}`
        : 'none: the drill did not reach a restore job',
    ],
    [
      'Trigger',
      `${esc(r.trigger?.kind ?? '–')}${r.trigger?.plan ? ` (plan ${esc(r.trigger.plan)}${r.trigger.slot ? ` at ${esc(when(r.trigger.slot))}` : ''})` : ''}${r.trigger?.fleetId ? `, fleet ${esc(r.trigger.fleetId)}` : ''}${r.trigger?.alertRule ? `, alert ${esc(r.trigger.alertRule)}` : ''}${r.trigger?.alertId ? ` (${esc(r.trigger.alertId)})` : ''}${r.request.restoreFrom === 'secondaryRegion' ? ', cross-region (secondary region)' : ''}`,
    ],
    ['Started', esc(when(r.startedAt))],
    ['Ended', `${esc(when(r.endedAt))} (${dur(r.durationSeconds)})`],
  ];
  return `<table class="facts">${facts.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

const CSS = `
:root{color-scheme:light}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem;display:flex;flex-wrap:wrap;align-items:center;gap:.6rem}
h2{font-size:1.15rem;margin:1.8rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1rem;margin:1rem 0 .4rem}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.drill-label{color:#57606a;margin:0 0 .8rem}
.badge{display:inline-block;padding:.15rem .7rem;border-radius:1rem;color:#fff;font-size:.95rem;font-weight:600;letter-spacing:.04em}
.badge-passed{background:#1a7f37}.badge-failed{background:#cf222e}.badge-cancelled{background:#9a6700}
.summary{font-size:1.05rem;padding:.7rem 1rem;border-left:4px solid #d0d7de;background:#f6f8fa}
.summary-passed{border-color:#1a7f37}.summary-failed{border-color:#cf222e}.summary-cancelled{border-color:#9a6700}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
thead th,table.facts th{background:#f6f8fa;font-weight:600}
table.facts th{width:11rem}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.failed td{background:#ffebe9}
tr.failed td:first-child{box-shadow:inset 4px 0 0 #cf222e}
.mark{font-weight:600;white-space:nowrap}
.mark-ok{color:#1a7f37}.mark-bad{color:#cf222e}.mark-warn{color:#9a6700}.mark-none{color:#57606a}
tr.objective.missed td{background:#ffebe9}
.bad-text{color:#cf222e;font-weight:600}
.nothing{padding:.5rem .8rem;background:#fff8c5;border:1px solid #d4a72c;border-radius:4px}
.failure{border:1px solid #ff8182;background:#fff5f5;padding:0 1rem .5rem;border-radius:6px}
.failure h2{border-color:#ff8182}
.note,.actions{color:#57606a;font-size:.9rem}
.hash{font-size:13px}
svg.timeline{display:block;max-width:60rem;font:12px system-ui,sans-serif}
svg .axis{stroke:#57606a}svg .tick{stroke:#d0d7de;stroke-dasharray:2 3}
svg .tick-label,svg .value{fill:#57606a}svg .label{fill:#1f2328;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:1rem;font-size:.85rem;color:#57606a;margin:.2rem 0 .6rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
footer{margin-top:2rem;color:#57606a;font-size:.85rem}
@media print{body{margin:0;max-width:none;font-size:11px}code{font-size:10px}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}svg,tr,.summary,.failure{break-inside:avoid}h2{break-after:avoid}}
`;

function legend(r: DrillReport): string {
  const used = new Set(r.phases.map((p) => phaseStatus(r, p)));
  const items = (Object.keys(STATUS_COLOUR) as PhaseRecord['status'][])
    .filter((s) => used.has(s))
    .map((s) => `<span><span class="swatch" style="background:${STATUS_COLOUR[s]}"></span>${s}</span>`);
  if (r.job?.startTime)
    items.push(
      `<span><span class="swatch" style="background:${JOB_COLOUR}"></span>Azure's job (its own clock)</span>`,
    );
  return `<div class="legend">${items.join('')}</div>`;
}

/** The whole page. */
export function renderReportHtml(r: DrillReport): string {
  const verdict = VERDICT_TEXT[r.verdict];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_PAGE_CSP)}">
<title>Restore drill ${esc(r.drillId)}: ${verdict}</title>
<style>${CSS}</style></head>
<body class="verdict-${esc(r.verdict)}">
<header>
<h1>Restore drill <code>${esc(r.drillId)}</code> <span class="badge badge-${esc(r.verdict)}" id="verdict">${verdict}</span></h1>
${r.label ? `<p class="drill-label" id="label">${esc(r.label)}</p>` : ''}
<p class="summary summary-${esc(r.verdict)}" id="summary">${esc(summary(r))}</p>
${factsTable(r)}
</header>
<main>
${failureSection(r)}
${objectivesSection(r)}
${crossRegionSection(r)}
<section id="timeline"><h2>Timeline</h2>${legend(r)}${timelineSvg(r)}${phasesTable(r)}</section>
${checksSection(r)}
${restoredSection(r)}
${cleanupSection(r)}
${evidenceSection(r)}
</main>
<footer>Report schema ${esc(r.schemaVersion)}; ${num(r.stats?.activityCalls ?? 0)} activity call(s), ${num(r.stats?.operationPolls ?? 0)} operation poll(s), ${num(r.stats?.jobPolls ?? 0)} job poll(s). Generated by pg-restore-drill from the stored report JSON.</footer>
</body></html>
`;
}
