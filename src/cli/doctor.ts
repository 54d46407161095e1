/**
 * `pgdrill doctor <request.json> [--json]`: the pre-flight doctor through the app's HTTP API (POST
 * /api/drills/preflight). Text: one line per check (PASS/FAIL/SKIP, title, evidence), an indented fix under each
 * failure, then a summary line; --json: the DoctorResult as one JSON line. The command's entry is in main.ts:
 * exit 0 when no check failed, 1 when one did or the host refused the request, 2 for a usage error.
 */
import type { DoctorResult } from '../lib/doctor/types';

const LABEL = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;

/** The text form: a line per check, the fix of each failure under it, a summary. */
export function formatDoctor(result: DoctorResult): string {
  const lines: string[] = [];
  for (const c of result.checks) {
    lines.push(`${LABEL[c.status]}  ${c.title}: ${c.evidence}`);
    if (c.status === 'failed' && c.fix) lines.push(`      fix: ${c.fix}`);
  }
  const count = (s: keyof typeof LABEL) => result.checks.filter((c) => c.status === s).length;
  lines.push(
    `${result.ok ? 'ok' : 'NOT READY'}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${result.backupInstanceId}, ${result.restoreFrom})`,
  );
  return lines.join('\n');
}
