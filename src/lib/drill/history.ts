/**
 * The query of the drill history (GET /api/drills, `pgdrill history`): parsed from URL parameters with an error
 * that names the parameter and what it takes. Pure.
 */
import type { HistoryQuery } from '../storage/reportStore';

export const HISTORY_PAGE_DEFAULT = 50;
export const HISTORY_PAGE_MAX = 200;
const VERDICTS = ['passed', 'failed', 'cancelled'];
/** A cursor is a history row key: 13 digits, '_', then a drill id as stored. */
const CURSOR = /^\d{13}_[A-Za-z0-9._:@-]{1,256}$/;

export class HistoryQueryError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

function time(name: string, value: string): Date {
  const t = Date.parse(value);
  // History keys order drills from 1970 to 2286; dates outside a sane range are typos.
  const year = Number(value.slice(0, 4));
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t) || year < 2000 || year > 2200)
    throw new HistoryQueryError(
      name,
      `${name}: give an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z`,
    );
  return new Date(t);
}

export function parseHistoryQuery(params: { get(name: string): string | null }): HistoryQuery {
  const q: HistoryQuery = { top: HISTORY_PAGE_DEFAULT };
  const backupInstance = params.get('backupInstance');
  if (backupInstance !== null) {
    if (
      !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DataProtection\/backupVaults\/[^/]+\/backupInstances\/[^/]+$/i.test(
        backupInstance,
      )
    )
      throw new HistoryQueryError(
        'backupInstance',
        'backupInstance: give a backup instance id, /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault}/backupInstances/{name}',
      );
    q.backupInstance = backupInstance;
  }
  const plan = params.get('plan');
  if (plan !== null) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(plan))
      throw new HistoryQueryError('plan', 'plan: give the name of a plan of DRILL_PLANS');
    q.plan = plan;
  }
  const verdict = params.get('verdict');
  if (verdict !== null) {
    if (!VERDICTS.includes(verdict))
      throw new HistoryQueryError('verdict', `verdict: one of ${VERDICTS.join(', ')}`);
    q.verdict = verdict;
  }
  const since = params.get('since');
  if (since !== null) q.since = time('since', since);
  const until = params.get('until');
  if (until !== null) q.until = time('until', until);
  if (q.since && q.until && q.since > q.until)
    throw new HistoryQueryError('since', 'since: must not be after until');
  const top = params.get('top');
  if (top !== null) {
    const n = Number(top);
    if (!/^\d+$/.test(top) || n < 1 || n > HISTORY_PAGE_MAX)
      throw new HistoryQueryError(
        'top',
        `top: a whole number from 1 to ${HISTORY_PAGE_MAX} (default ${HISTORY_PAGE_DEFAULT})`,
      );
    q.top = n;
  }
  const after = params.get('after');
  if (after !== null) {
    if (!CURSOR.test(after))
      throw new HistoryQueryError(
        'after',
        "after: pass the cursor of the previous page's next link unchanged",
      );
    q.after = after;
  }
  return q;
}

/** The link to the page after this one: the same filters, the cursor added. */
export function nextPageLink(params: URLSearchParams, next: string | undefined): string | undefined {
  if (!next) return undefined;
  const p = new URLSearchParams(params);
  p.delete('code');
  p.set('after', next);
  return `/api/drills?${p.toString()}`;
}
