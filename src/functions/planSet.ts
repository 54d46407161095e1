/** The good plans of DRILL_PLANS, each bad one logged (by pointer) on every use: the good ones run regardless. */
import type { InvocationContext } from '@azure/functions';
import type { NormalizedPlan, PlanSet } from '../lib/drill/plans';

export function goodPlans(set: PlanSet, context: InvocationContext): NormalizedPlan[] {
  for (const problem of set.problems)
    context.error(
      JSON.stringify({
        message: 'DRILL_PLANS: a plan is invalid and does not run',
        pointer: `/DRILL_PLANS${problem.pointer}`,
        problem: problem.message,
      }),
    );
  return set.plans;
}
