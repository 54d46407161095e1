/**
 * HTTP triggers for fleets: POST /api/fleets (run a fleet plan of DRILL_PLANS now), GET /api/fleets/{id}
 * (progress, and the fleet report once done), GET /api/coverage[?plan=] (each instance in a fleet plan's
 * scope: last drill, verdict, age, overdue). Thin: parse, validate, call. Function-level auth.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { input } from 'durable-functions';
import type { ScopeFleetInput, ScopeFleetOutput } from '../activities/fleet';
import { appServices } from '../app/services';
import { validInstanceId } from '../lib/drill/instanceIds';
import type { FleetPlan, NormalizedPlan } from '../lib/drill/plans';
import type { DrillSettings } from '../lib/drill/settings';
import { toFailure } from '../lib/errors';
import type { ReportStore } from '../lib/storage/reportStore';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { HttpFunctionDefinition } from './definitions';
import { durableClientFactory, type ClientFactory } from './drillClient';
import { startFleet } from './fleetStart';

export interface FleetHttpDeps {
  clientFor: ClientFactory;
  settings: () => DrillSettings;
  plans: () => NormalizedPlan[];
  scope: (input: ScopeFleetInput) => Promise<ScopeFleetOutput>;
  reports: () => ReportStore;
  newId?: () => string;
  now?: () => Date;
}

function problem(status: number, code: string, message: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, message } } };
}

export function createFleetHttpHandlers(deps: FleetHttpDeps) {
  const newId = deps.newId ?? (() => randomUUID());
  const clock = deps.now ?? (() => new Date());

  /** The fleet plan named `name`, or the response that says why there is none. */
  function fleetPlan(name: unknown, field: string): FleetPlan | HttpResponseInit {
    const plans = deps.plans();
    const fleets = plans.filter((p): p is FleetPlan => p.kind === 'fleet').map((p) => p.name);
    if (typeof name !== 'string' || !name)
      return problem(
        400,
        'InvalidFleetRequest',
        `${field}: give the name of a fleet plan of DRILL_PLANS (${fleets.join(', ') || 'there is none'})`,
      );
    const plan = plans.find((p) => p.name === name);
    if (!plan)
      return problem(
        404,
        'PlanNotFound',
        `${field}: no plan "${name}" in DRILL_PLANS; fleet plans: ${fleets.join(', ') || 'none'}`,
      );
    if (plan.kind !== 'fleet')
      return problem(
        400,
        'NotAFleetPlan',
        `${field}: plan "${name}" drills one backup instance (it has a request, not a scope); start a single drill with POST /api/drills`,
      );
    return plan;
  }

  async function start(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    let body: unknown;
    try {
      body = JSON.parse((await request.text()) || '{}');
    } catch (err) {
      return problem(400, 'InvalidJson', `the body is not JSON: ${(err as Error).message}`);
    }
    const name = (body as { plan?: unknown } | null)?.plan;
    const plan = fleetPlan(name, '/plan');
    if (!('kind' in plan)) return plan;
    const outcome = await startFleet(deps.clientFor(context), deps.settings(), plan, {
      newId,
      now: clock(),
    });
    const links = { statusUri: `/api/fleets/${encodeURIComponent(outcome.fleetId)}` };
    if (!outcome.started)
      return problem(
        409,
        'FleetAlreadyRunning',
        `a run of plan "${plan.name}" is still going (${outcome.fleetId}); follow it at ${links.statusUri}`,
      );
    context.log(JSON.stringify({ message: 'fleet started', fleetId: outcome.fleetId, plan: plan.name }));
    return {
      status: 202,
      headers: { Location: links.statusUri },
      jsonBody: { id: outcome.fleetId, ...links },
    };
  }

  async function status(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id ?? '';
    if (!validInstanceId(id))
      return problem(400, 'InvalidFleetId', `${JSON.stringify(id.slice(0, 80))} is not a fleet id`);
    const s = await deps.clientFor(context).getStatus(id);
    if (!s || s.name !== ORCHESTRATORS.fleetDrill) {
      // A run whose instance was purged still has its report.
      const stored = await deps.reports().getFleet(id);
      if (stored) return { status: 200, jsonBody: { id, runtimeStatus: 'Completed', report: stored } };
      return problem(404, 'FleetNotFound', `no fleet run ${id}`);
    }
    return {
      status: 200,
      jsonBody: {
        id: s.instanceId,
        runtimeStatus: s.runtimeStatus,
        progress: s.customStatus ?? null,
        createdTime: s.createdTime,
        lastUpdatedTime: s.lastUpdatedTime,
        ...(s.runtimeStatus === 'Completed' ? { report: s.output } : {}),
        ...(s.runtimeStatus === 'Failed' ? { error: String(s.output) } : {}),
      },
    };
  }

  async function coverage(request: HttpRequest): Promise<HttpResponseInit> {
    const only = request.query.get('plan');
    const plans = only
      ? [fleetPlan(only, '?plan')]
      : deps.plans().filter((p): p is FleetPlan => p.kind === 'fleet');
    const out = [];
    for (const plan of plans) {
      if (!('kind' in plan)) return plan;
      try {
        const scoped = await deps.scope({ plan, slot: clock().toISOString() });
        out.push({
          plan: plan.name,
          everyDays: plan.everyDays ?? null,
          instances: scoped.coverage,
          overdue: scoped.coverage.filter((c) => c.overdue).length,
          skipped: scoped.skipped,
          problems: scoped.problems,
        });
      } catch (err) {
        const f = toFailure(err);
        out.push({ plan: plan.name, error: { code: f.code, message: f.message } });
      }
    }
    return { status: 200, jsonBody: { plans: out } };
  }

  return { start, status, coverage };
}

const handlers = createFleetHttpHandlers({
  clientFor: durableClientFactory,
  settings: () => appServices().settings,
  plans: () => appServices().plans().plans,
  scope: (i) => appServices().activities.scopeFleet(i),
  reports: () => appServices().reports,
});
const durableClient = input.durableClient();

export const startFleetFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'startFleet',
  options: {
    route: 'fleets',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.start,
  },
};
export const fleetStatusFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'fleetStatus',
  options: {
    route: 'fleets/{id}',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.status,
  },
};
export const coverageFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'coverage',
  options: {
    route: 'coverage',
    methods: ['GET'],
    authLevel: 'function',
    handler: handlers.coverage,
  },
};
