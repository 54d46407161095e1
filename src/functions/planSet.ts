/** The good plans of DRILL_PLANS, each bad one logged (by pointer) on every use: the good ones run regardless. */
import type { InvocationContext } from '@azure/functions';
import { hasCrossRegionTemplate, parseAlertTriggers, type AlertTrigger } from '../lib/drill/alertTriggers';
import type { NormalizedPlan, PlanSet } from '../lib/drill/plans';

/**
 * alertTriggers (DRILL_ALERT_TRIGGERS, when the caller handles alerts): a fleet plan mapped to a Service Health
 * trigger (one that sets incidentTypes) without a cross-region template is logged as a problem too: every
 * Service Health alert would start nothing of it.
 */
export function goodPlans(
  set: PlanSet,
  context: InvocationContext,
  alertTriggers?: string,
): NormalizedPlan[] {
  for (const problem of set.problems)
    context.error(
      JSON.stringify({
        message: 'DRILL_PLANS: a plan is invalid and does not run',
        pointer: `/DRILL_PLANS${problem.pointer}`,
        problem: problem.message,
      }),
    );
  let triggers: AlertTrigger[] = [];
  try {
    triggers = parseAlertTriggers(alertTriggers);
  } catch {
    // An invalid DRILL_ALERT_TRIGGERS is logged where alerts are handled (and then none starts a drill).
  }
  triggers.forEach((trigger, i) => {
    const plan = set.plans.find((p) => p.name === trigger.plan);
    if (trigger.incidentTypes && plan?.kind === 'fleet' && !hasCrossRegionTemplate(plan))
      context.error(
        JSON.stringify({
          message: 'DRILL_PLANS: a plan of a Service Health trigger has no cross-region template',
          pointer: `/DRILL_ALERT_TRIGGERS/${i}/plan`,
          problem: `plan "${plan.name}" has no template with request restoreFrom "secondaryRegion": a Service Health alert starts no drill of it`,
        }),
      );
  });
  return set.plans;
}
