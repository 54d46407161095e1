/**
 * GET /api/plans/{name}/doctor: what the plan's scheduled pre-flight doctor runs found. The latest result of
 * each backup instance and region the plan checks (every check with its status, evidence and fix), kept in
 * the report table by the preflight activity, and the newest run's summary (what was skipped or could not be
 * listed) while the orchestration history still has it. Thin: validate, read, answer. Function-level auth.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import type { NormalizedPlan } from '../lib/drill/plans';
import { toFailure } from '../lib/errors';
import type { ReportStore } from '../lib/storage/reportStore';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { HttpFunctionDefinition } from './definitions';
import { durableClientFactory, type ClientFactory } from './drillClient';

export interface PlanDoctorHttpDeps {
  clientFor: ClientFactory;
  plans: () => NormalizedPlan[];
  reports: () => ReportStore;
}

function problem(status: number, code: string, message: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, message } } };
}

export function createPlanDoctorHandler(deps: PlanDoctorHttpDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const name = request.params.name ?? '';
    const plans = deps.plans();
    const plan = plans.find((p) => p.name === name);
    if (!plan)
      return problem(
        404,
        'PlanNotFound',
        `{name}: no plan ${JSON.stringify(name.slice(0, 60))} in DRILL_PLANS; plans: ${plans.map((p) => p.name).join(', ') || 'none'}`,
      );
    let records;
    try {
      records = await deps.reports().doctorResults(plan.name);
    } catch (err) {
      const f = toFailure(err);
      return problem(
        503,
        'HistoryUnavailable',
        `the doctor results cannot be read (${f.code}): ${f.message}`,
      );
    }
    const newest = records.reduce<(typeof records)[number] | undefined>(
      (a, r) => (!a || r.result.checkedAt > a.result.checkedAt ? r : a),
      undefined,
    );
    // The run's status is extra: when the orchestration store cannot answer, the results are still given.
    const run = newest
      ? await deps
          .clientFor(context)
          .getStatus(newest.runId)
          .catch(() => undefined)
      : undefined;
    return {
      status: 200,
      jsonBody: {
        plan: plan.name,
        schedule: plan.doctor?.schedule ?? null,
        ...(plan.doctor
          ? {}
          : { note: 'this plan has no doctor schedule (set "doctor": {"schedule": ...})' }),
        lastRun:
          run && run.name === ORCHESTRATORS.planDoctor
            ? {
                runId: run.instanceId,
                runtimeStatus: run.runtimeStatus,
                ...(run.runtimeStatus === 'Completed' ? { report: run.output } : {}),
              }
            : newest
              ? { runId: newest.runId }
              : null,
        results: records.map((r) => ({ runId: r.runId, ...r.result })),
      },
    };
  };
}

export const planDoctorFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'planDoctorResults',
  options: {
    route: 'plans/{name}/doctor',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [input.durableClient()],
    handler: createPlanDoctorHandler({
      clientFor: durableClientFactory,
      plans: () => appServices().plans().plans,
      reports: () => appServices().reports,
    }),
  },
};
