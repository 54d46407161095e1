/**
 * The negative control (verify.negativeControl; docs/design.md, "Schema drift and the negative control"): the
 * drill's table checks and assertions run once more against an empty scratch database. A check that passes
 * there too cannot tell a good restore from an empty one; if every check passes there, the verification proves
 * nothing and the drill fails (NegativeControlPassed). Pure: the verdict from the results on the empty database.
 */
import type { CheckResult as ReportCheck } from '../types/generated/drill-report';
import type { Verification } from '../types/generated/drill-request';
import { recommendedActionFor } from '../recommendedActions';

export const NEGATIVE_CONTROL_CHECK = 'negativeControl';
/** The source database name the control's own lines carry. */
export const NEGATIVE_CONTROL_DATABASE = '(empty database)';
const MAX_NAMED = 8;

/** The spec the control runs: every table check and assertion, whichever database it names; nothing else. */
export function negativeControlSpec(spec: Verification): Verification {
  return {
    ...(spec.statementTimeoutMs !== undefined ? { statementTimeoutMs: spec.statementTimeoutMs } : {}),
    tables: (spec.tables ?? []).map(({ database: _d, ...t }) => t),
    assertions: (spec.assertions ?? []).map(({ database: _d, ...a }) => a),
  };
}

/** Whether a check line is one the control judges (a table check or an assertion). */
export function isControlled(check: string): boolean {
  return check.startsWith('table ') || check.startsWith('assertion ');
}

const list = (names: string[]): string =>
  `${names.slice(0, MAX_NAMED).join(', ')}${names.length > MAX_NAMED ? `, and ${names.length - MAX_NAMED} more` : ''}`;

/**
 * The negativeControl line, from the table and assertion lines of the run on the empty database: passed when at
 * least one of them failed there (naming how many, and which passed anyway), failed when all passed — or when
 * there is no such check at all, since then nothing in the drill could fail on empty data.
 */
export function judgeNegativeControl(onEmpty: readonly Pick<ReportCheck, 'check' | 'status'>[]): ReportCheck {
  const checks = onEmpty.filter((c) => isControlled(c.check));
  const failing = checks.filter((c) => c.status === 'failed' || c.status === 'error');
  const passing = checks.filter((c) => c.status === 'passed').map((c) => c.check);
  const base = { check: NEGATIVE_CONTROL_CHECK, database: NEGATIVE_CONTROL_DATABASE };
  if (failing.length > 0)
    return {
      ...base,
      status: 'passed',
      expected: 'at least one check fails on an empty database',
      actual: `${failing.length} of ${checks.length} failed`,
      message:
        `${failing.length} of ${checks.length} table check(s) and assertion(s) failed on an empty database, as they should` +
        (passing.length ? `; these passed there too and prove nothing alone: ${list(passing)}` : ''),
    };
  return {
    ...base,
    status: 'failed',
    code: 'NegativeControlPassed',
    recommendedActions: [recommendedActionFor('NegativeControlPassed')!],
    expected: 'at least one check fails on an empty database',
    actual: checks.length ? `all ${checks.length} passed` : 'no table check or assertion to run',
    message: checks.length
      ? `every table check and assertion (${checks.length}) also passed on an empty database, so none of them proves the restored data is there: ${list(passing)}`
      : 'the drill has no table check or assertion, so nothing in its verification could fail on an empty database',
  };
}
