/**
 * Event-triggered disaster-recovery drills: POST /api/alerts takes an Azure Monitor alert in the common alert
 * schema (an action group's webhook), and the drill queue hands over messages that are one. What an alert
 * starts is decided in src/lib/drill/alertTriggers.ts (DRILL_ALERT_TRIGGERS); here it is started, through the
 * same starters as every other trigger, with instance ids derived from the alert (src/lib/drill/instanceIds.ts),
 * so the same alert delivered again — a retried webhook, or once by HTTP and once by queue — starts nothing new.
 *
 * Azure Monitor retries a webhook that fails: an alert that starts nothing (no trigger for its rule, a
 * condition the trigger does not want, a plan that cannot do it, an instance that is not the single plan's
 * own, an id or request the alert's content makes invalid) is answered 202 with why, and logged; only a body
 * that is not a common-schema alert gets a 400 naming the field. A failed ARM read (a single plan's datasource)
 * is thrown (a 500): a retry may succeed.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import { ArmIdError } from '../lib/dataprotection/armId';
import {
  decideAlert,
  type AlertDecision,
  parseAlertTriggers,
  parseMonitorAlert,
  type AlertTrigger,
  type IgnoredTarget,
  type ParsedAlert,
} from '../lib/drill/alertTriggers';
import type { NormalizedPlan } from '../lib/drill/plans';
import type { DrillSettings } from '../lib/drill/settings';
import { duplicateKey, jsonNesting, MAX_NESTING } from '../lib/json';
import { ValidationError, type FieldError } from '../lib/errors';
import type { HttpFunctionDefinition } from './definitions';
import { durableClientFactory, type ClientFactory, type DrillClient } from './drillClient';
import { startDrill } from './drillStart';
import { startFleet } from './fleetStart';
import { goodPlans } from './planSet';

/** Service Health alerts carry the incident's communication (HTML): larger than a drill request. */
export const MAX_ALERT_BYTES = 256 * 1024;

export interface AlertDeps {
  settings: () => DrillSettings;
  plans: () => NormalizedPlan[];
  /** DRILL_ALERT_TRIGGERS; throws a ValidationError when the setting is invalid. */
  triggers: () => AlertTrigger[];
  /** The datasource ARM id of a backup instance (an ARM read): is an alert's server the single plan's? */
  datasourceOf: (backupInstanceId: string) => Promise<string>;
  now?: () => Date;
}

/** One drill an alert asked for, and whether this delivery started it. */
export interface AlertDrill {
  drillId: string;
  backupInstanceId: string;
  started: boolean;
  /** Not started: it exists already (this alert started it before), or its names collide with a running drill. */
  reason?: 'exists' | 'nameInUse';
}

/**
 * The decision, or why the alert's content allows none. A content error (an id or request that does not
 * validate) is the same on every retry, so it is an ignored alert, not a 500; anything else is thrown.
 */
function decideOrIgnore(
  alert: ParsedAlert,
  triggers: AlertTrigger[],
  plans: NormalizedPlan[],
  planDatasource?: string,
): AlertDecision {
  try {
    return decideAlert(alert, triggers, plans, planDatasource);
  } catch (err) {
    if (!(err instanceof ValidationError || err instanceof ArmIdError)) throw err;
    return { action: 'ignore', reason: `the alert cannot start a drill: ${err.message}` };
  }
}

/**
 * What an alert did: started drills or a fleet run, found them started already (or another alert run of the
 * plan running), started nothing because a running drill holds its names (notStarted, reason nameInUse), or was
 * ignored (and why).
 */
export interface AlertOutcome {
  alertId: string;
  alertRule: string;
  monitorCondition: string;
  status: 'started' | 'alreadyStarted' | 'notStarted' | 'ignored';
  reason?: string;
  plan?: string;
  /** The fleet run the alert started (a fleet plan): its drills are started by the run. */
  fleetId?: string;
  statusUri?: string;
  regions?: string[];
  drills?: AlertDrill[];
  /** What the alert names that the single plan does not drill (not its instance), and why. */
  ignored?: IgnoredTarget[];
}

/** Starts what an alert asks for (see the file comment). Never throws for the alert's content. */
export async function handleAlert(
  deps: AlertDeps,
  client: DrillClient,
  alert: ParsedAlert,
  context: InvocationContext,
): Promise<AlertOutcome> {
  const base = {
    alertId: alert.alertId,
    alertRule: alert.alertRule,
    monitorCondition: alert.monitorCondition,
  };
  let triggers: AlertTrigger[];
  try {
    triggers = deps.triggers();
  } catch (err) {
    const errors = err instanceof ValidationError ? err.errors : [];
    context.error(
      JSON.stringify({ message: 'DRILL_ALERT_TRIGGERS is invalid: no alert starts a drill', errors }),
    );
    return {
      ...base,
      status: 'ignored',
      reason: `DRILL_ALERT_TRIGGERS is invalid: ${(err as Error).message}`,
    };
  }
  const plans = deps.plans();
  let decision = decideOrIgnore(alert, triggers, plans);
  if (decision.action === 'needsDatasource')
    decision = decideOrIgnore(alert, triggers, plans, await deps.datasourceOf(decision.backupInstanceId));
  if (decision.action === 'needsDatasource')
    throw new Error('decideAlert asked again for the datasource it was given'); // cannot happen
  if (decision.action === 'ignore') {
    context.log(
      JSON.stringify({ message: 'alert ignored', ...base, kind: alert.kind, reason: decision.reason }),
    );
    return { ...base, status: 'ignored', reason: decision.reason };
  }
  if (decision.action === 'fleet') {
    const fleet = await startFleet(client, deps.settings(), decision.plan, {
      alert: decision.run,
      now: deps.now?.() ?? new Date(),
    });
    const why =
      fleet.started || fleet.reason !== 'alertRunRunning'
        ? undefined
        : `alert run ${fleet.fleetId} of plan "${decision.plan.name}" is still running: one alert run of a plan at a time`;
    context.log(
      JSON.stringify({
        message: fleet.started ? 'alert started a fleet run' : 'alert: fleet run already started',
        ...base,
        plan: decision.plan.name,
        fleetId: fleet.fleetId,
        ...(why ? { reason: why } : {}),
        ...(decision.run.regions ? { regions: decision.run.regions } : {}),
        ...(decision.run.targets ? { targets: decision.run.targets } : {}),
        ...(alert.trackingId ? { trackingId: alert.trackingId } : {}),
      }),
    );
    return {
      ...base,
      status: fleet.started ? 'started' : 'alreadyStarted',
      ...(why ? { reason: why } : {}),
      plan: decision.plan.name,
      fleetId: fleet.fleetId,
      statusUri: `/api/fleets/${encodeURIComponent(fleet.fleetId)}`,
      ...(decision.run.regions ? { regions: decision.run.regions } : {}),
    };
  }
  const { request, plan, ignored } = decision;
  if (ignored.length)
    context.log(JSON.stringify({ message: 'alert: targets ignored', ...base, plan: plan.name, ignored }));
  const outcome = await startDrill(
    client,
    deps.settings(),
    request,
    {
      kind: 'alert',
      plan: plan.name,
      alertId: alert.alertId,
      alertRule: alert.alertRule,
      backupInstanceId: request.backupInstanceId,
    },
    context,
  );
  const drill: AlertDrill = {
    drillId: outcome.drillId,
    backupInstanceId: request.backupInstanceId,
    started: outcome.started,
    ...(outcome.started ? {} : { reason: 'collision' in outcome ? 'nameInUse' : 'exists' }),
  };
  return {
    ...base,
    // A drill refused for a name clash was not started by anyone: saying alreadyStarted would hide it.
    ...(drill.started
      ? { status: 'started' as const }
      : drill.reason === 'nameInUse'
        ? { status: 'notStarted' as const, reason: 'nameInUse' }
        : { status: 'alreadyStarted' as const }),
    plan: plan.name,
    drills: [drill],
    ...(ignored.length ? { ignored } : {}),
  };
}

/** The alert in a text, or the errors (by JSON pointer) that say why it is not one. */
export function readAlertText(text: string): { alert: ParsedAlert } | { errors: FieldError[] } {
  if (Buffer.byteLength(text) > MAX_ALERT_BYTES)
    return { errors: [{ pointer: '', message: `is larger than ${MAX_ALERT_BYTES} bytes` }] };
  if (jsonNesting(text) > MAX_NESTING)
    return { errors: [{ pointer: '', message: `nests deeper than ${MAX_NESTING} levels` }] };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { errors: [{ pointer: '', message: `is not JSON: ${(err as Error).message}` }] };
  }
  const twice = duplicateKey(text);
  if (twice !== undefined) return { errors: [{ pointer: twice, message: 'is given twice' }] };
  try {
    return { alert: parseMonitorAlert(body) };
  } catch (err) {
    if (err instanceof ValidationError) return { errors: err.errors };
    throw err;
  }
}

export function createAlertHttpHandler(deps: AlertDeps & { clientFor: ClientFactory }) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const length = Number(request.headers.get('content-length') ?? '0');
    if (length > MAX_ALERT_BYTES)
      return {
        status: 413,
        jsonBody: {
          error: {
            code: 'RequestTooLarge',
            message: `the body is ${length} bytes; the limit is ${MAX_ALERT_BYTES}`,
          },
        },
      };
    const read = readAlertText(await request.text());
    if ('errors' in read) {
      const first = read.errors[0];
      context.warn(
        JSON.stringify({ message: 'alert refused: not a common-schema alert', errors: read.errors }),
      );
      return {
        status: 400,
        jsonBody: {
          error: {
            code: 'InvalidAlert',
            message: `not an Azure Monitor alert in the common alert schema (turn on "Enable the common alert schema" for the action group's webhook): ${first ? `${first.pointer || '(body)'} ${first.message}` : 'invalid'}`,
            errors: read.errors.slice(0, 20),
          },
        },
      };
    }
    const outcome = await handleAlert(deps, deps.clientFor(context), read.alert, context);
    return { status: 202, jsonBody: outcome };
  };
}

/** What the app's alert handling reads from its configuration (the queue trigger uses it too). */
export function appAlertDeps(context: InvocationContext): AlertDeps {
  const services = appServices();
  return {
    settings: () => services.settings,
    plans: () => goodPlans(services.plans(), context, services.config.DRILL_ALERT_TRIGGERS),
    triggers: () => parseAlertTriggers(services.config.DRILL_ALERT_TRIGGERS),
    datasourceOf: async (id) =>
      (await services.dataProtection.getBackupInstance(id)).properties.dataSourceInfo.resourceID,
  };
}

export const alertFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'drillAlert',
  options: {
    route: 'alerts',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [input.durableClient()],
    handler: (request, context) =>
      createAlertHttpHandler({ ...appAlertDeps(context), clientFor: durableClientFactory })(request, context),
  },
};
