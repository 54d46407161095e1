/**
 * The alerts of a plan's scheduled pre-flight doctor run, one backup instance (and region) at a time: what
 * changed since the previous run of the same plan, instance and region. A check that fails now and did not
 * fail then (or there was no previous run) raises doctorFailed; no check failing now after some failed then
 * raises doctorRecovered, once. A check that keeps failing raises nothing again. Pure.
 */
import type { DoctorResult } from '../doctor/types';
import type { Alert } from './alerts';

export interface DoctorAlertContext {
  plan: string;
  runId: string;
  result: DoctorResult;
  /** Ids of the checks that failed in the previous run; undefined when there was none. */
  previousFailed: readonly string[] | undefined;
}

function instanceName(id: string): string {
  return id.split('/').filter(Boolean).at(-1) ?? id;
}

/** Ids of the failed checks of a doctor result, in its order. */
export function failedCheckIds(result: DoctorResult): string[] {
  return result.checks.filter((c) => c.status === 'failed').map((c) => c.id);
}

export function doctorAlerts(c: DoctorAlertContext): Alert[] {
  const { result } = c;
  const failed = result.checks.filter((k) => k.status === 'failed');
  const before = new Set(c.previousFailed ?? []);
  const fresh = failed.filter((k) => !before.has(k.id));
  const name = instanceName(result.backupInstanceId);
  const region = result.restoreFrom === 'secondaryRegion' ? ' (cross-region)' : '';
  // One id per run, instance and region: a retried activity hands over the same alert, and receivers drop it.
  const id = (kind: string) =>
    `doctor:${c.runId}:${result.backupInstanceId.toLowerCase()}:${result.restoreFrom}:${kind}`;
  const base = {
    occurredAt: result.checkedAt,
    backupInstanceId: result.backupInstanceId,
    plan: c.plan,
    doctorRunId: c.runId,
    restoreFrom: result.restoreFrom,
  };
  if (fresh.length) {
    const still = failed.length - fresh.length;
    return [
      {
        ...base,
        id: id('doctorFailed'),
        kind: 'doctorFailed',
        severity: 'error',
        title: `Pre-flight check failed for ${name}${region} (plan ${c.plan})`,
        summary:
          `${fresh.map((k) => k.title).join('; ')}: ${fresh.length === 1 ? 'fails' : 'fail'} now` +
          (still ? `; ${still} other check(s) still failing` : '') +
          '. A drill of this instance would fail before restoring.',
        failureCode: fresh[0]!.code ?? 'PreflightCheckFailed',
        // The new failures first, then those that were failing already.
        checks: [...fresh, ...failed.filter((k) => before.has(k.id))].map((k) => ({
          id: k.id,
          title: k.title,
          evidence: k.evidence,
          ...(k.fix ? { fix: k.fix } : {}),
        })),
      },
    ];
  }
  if (!failed.length && before.size)
    return [
      {
        ...base,
        id: id('doctorRecovered'),
        kind: 'doctorRecovered',
        severity: 'info',
        title: `Pre-flight checks pass again for ${name}${region} (plan ${c.plan})`,
        summary: `every check passes; failing before: ${[...before].join(', ')}`,
      },
    ];
  return [];
}
