/**
 * preflight: one request of a plan's scheduled doctor run. Runs the pre-flight doctor (every precondition of
 * the drill, nothing restored), compares the result with the previous one of the same plan, instance and
 * region (kept in the report table), hands the alerts of what broke or recovered to deliverAlerts, and then
 * keeps the new result. Alerts go first: an activity that fails after handing them over is retried, finds
 * the delivery started (the alert id is per run) and sends nothing twice. Returns a small summary only: the
 * full result stays in the table, where GET /api/plans/{name}/doctor reads it.
 */
import { doctorAlerts, failedCheckIds } from '../lib/alerts/doctorAlerts';
import type { NormalizedRequest } from '../lib/drill/request';
import type { ActivityDeps, OrchestrationClient } from './deps';
import { runDoctor } from './doctor';
import { alertsInstanceId, handOverAlerts } from './outcome';

export interface PreflightInput {
  plan: string;
  /** The doctor run (its instance id). */
  runId: string;
  request: NormalizedRequest;
}

export interface PreflightOutput {
  backupInstanceId: string;
  restoreFrom: 'primaryRegion' | 'secondaryRegion';
  ok: boolean;
  checks: number;
  /** Ids of the checks that failed. */
  failed: string[];
  /** Ids of the alerts this result raised (doctorFailed or doctorRecovered). */
  alerts: string[];
}

export function preflightActivities(deps: ActivityDeps) {
  const log = deps.log ?? (() => undefined);
  return {
    preflight: async (input: PreflightInput, client?: OrchestrationClient): Promise<PreflightOutput> => {
      const result = await runDoctor(deps, input.request);
      const summary = (alerts: string[]): PreflightOutput => ({
        backupInstanceId: result.backupInstanceId,
        restoreFrom: result.restoreFrom,
        ok: result.ok,
        checks: result.checks.length,
        failed: failedCheckIds(result),
        alerts,
      });
      const last = await deps.reports.lastDoctorResult(
        input.plan,
        result.backupInstanceId,
        result.restoreFrom,
      );
      // A retry of this run's own call after it saved: its alerts were handed over before the save.
      if (last?.runId === input.runId) return summary([]);
      const alerts = doctorAlerts({
        plan: input.plan,
        runId: input.runId,
        result,
        previousFailed: last ? failedCheckIds(last.result) : undefined,
      });
      for (const alert of alerts) await handOverAlerts(deps, [alert], alertsInstanceId(alert.id), client);
      await deps.reports.saveDoctorResult({ plan: input.plan, runId: input.runId, result });
      log('doctor checked', {
        plan: input.plan,
        runId: input.runId,
        backupInstanceId: result.backupInstanceId,
        restoreFrom: result.restoreFrom,
        ok: result.ok,
        failed: failedCheckIds(result),
        alerts: alerts.map((a) => a.kind),
      });
      return summary(alerts.map((a) => a.id));
    },
  };
}
