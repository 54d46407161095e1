/**
 * Event-triggered disaster-recovery drills, the pure part: DRILL_ALERT_TRIGGERS (schemas/alert-triggers.schema.json),
 * an Azure Monitor alert in the common alert schema (schemas/monitor-alert.schema.json) read down to what
 * decides a drill, and the decision: which plan the alert starts and for what, or why it is ignored.
 *
 * - A Service Health alert (monitoringService or alertContext.eventSource ServiceHealth) names regions: the
 *   ImpactedRegions of properties.impactedServices (a JSON string) of the services a drill is about (Azure
 *   Database for PostgreSQL, any variant, and Azure Backup); alertContext.properties.region only when
 *   impactedServices is absent. It starts cross-region drills of the fleet plan's instances whose vault is in
 *   one of them, with the plan's cross-region templates only. It is an activity-log alert: every update of an
 *   incident is a new alert (new alertId, always Fired), so its run is named by the incident's trackingId, its
 *   stage Resolved counts as Resolved, and only incidentType Incident counts unless the trigger says otherwise.
 * - Any other alert (an Azure Backup alert, a resource alert) names resources (essentials.alertTargetIDs, and
 *   backup instance or datasource ids in alertContext.properties). A single plan drills its own backup instance
 *   only, and only when the alert names it, its datasource or its server: whoever can fire an alert rule (or
 *   post to /api/alerts) must not choose what is restored onto the plan's target. A fleet plan drills the
 *   instances of its scope that the alert names (their id, datasource or server); nothing outside the scope.
 *
 * An alert no trigger matches, a condition the trigger does not want (Resolved, by default) or a plan that
 * cannot do what the alert asks is ignored with a reason, never an error: Azure Monitor would retry an error.
 * No I/O.
 */
import { ValidationError } from '../errors';
import type { AlertTrigger } from '../types/generated/alert-triggers';
import type { MonitorAlert } from '../types/generated/monitor-alert';
import { assertValid, schemaRef } from '../validation';
import {
  canonicalBackupInstanceId,
  parseArmId,
  RESOURCE_TYPES,
  isResourceType,
  sameArmId,
} from '../dataprotection/armId';
import type { FleetPlan, NormalizedPlan, SinglePlan } from './plans';
import { parseDrillRequest, type NormalizedRequest } from './request';

export type { AlertTrigger, MonitorAlert };

export const COMMON_ALERT_SCHEMA_ID = 'azureMonitorCommonAlertSchema';

/** An alert as the decision reads it. */
export interface ParsedAlert {
  alertId: string;
  alertRule: string;
  alertRuleId?: string;
  monitorCondition: 'Fired' | 'Resolved';
  monitoringService: string;
  /** serviceHealth: names regions; resource: names resources (backup instances, datasources). */
  kind: 'serviceHealth' | 'resource';
  /** The regions a Service Health alert names, as ARM names (eastus), sorted, without repeats. */
  regions: string[];
  /** The ARM ids a resource alert names that a drill can start from: backup instances and PostgreSQL datasources. */
  targets: string[];
  /** Service Health: the incident's title and tracking id (one per incident, across its updates). */
  title?: string;
  trackingId?: string;
  /** Service Health: properties.incidentType (Incident, Maintenance, Informational, ActionRequired, Security). */
  incidentType?: string;
}

/** What an alert's fleet run is limited to, and how its drills restore (FleetInput.alert). */
export interface AlertRun {
  alertId: string;
  alertRule: string;
  /** Only instances whose vault is in one of these regions (ARM names). */
  regions?: string[];
  /** Only instances whose id or datasource (or its server) is one of these ARM ids. */
  targets?: string[];
  /**
   * Service Health: only templates that restore from here are used (an instance without one is skipped): a
   * template written for same-region drills targets the region the incident is about.
   */
  restoreFrom?: 'secondaryRegion';
  /** Service Health: the incident's trackingId. The run is named by it, so the incident's updates start nothing. */
  trackingId?: string;
}

export type AlertDecision =
  | { action: 'ignore'; reason: string }
  | { action: 'fleet'; plan: FleetPlan; run: AlertRun }
  | {
      action: 'drill';
      plan: SinglePlan;
      request: NormalizedRequest;
      /** What else the alert names: not the plan's instance, so not drilled (each logged with why). */
      ignored: IgnoredTarget[];
    }
  /**
   * A single plan, an alert naming datasources or servers but not the plan's instance: whether one of them is
   * its own needs the instance's datasource (an ARM read). Decide again with it.
   */
  | { action: 'needsDatasource'; plan: SinglePlan; backupInstanceId: string };

/** An ARM id an alert names that its plan does not drill, and why. */
export interface IgnoredTarget {
  target: string;
  reason: string;
}

/** "East US" and "eastus" are one region: ARM names have no spaces and no case. */
export function armRegionName(region: string): string {
  return region.replace(/\s+/g, '').toLowerCase();
}

/** Whether a message is meant as an Azure Monitor alert (then it is parsed as one, never as a drill request). */
export function isCommonAlert(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    !Array.isArray(message) &&
    (message as Record<string, unknown>).schemaId === COMMON_ALERT_SCHEMA_ID
  );
}

/** DRILL_ALERT_TRIGGERS parsed and checked (none when unset). Errors name the field. */
export function parseAlertTriggers(json: string | undefined): AlertTrigger[] {
  if (!json || !json.trim()) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ValidationError('DRILL_ALERT_TRIGGERS', [
      {
        pointer: '',
        message: `is not JSON (${(err as Error).message}): write an array, see schemas/alert-triggers.schema.json`,
      },
    ]);
  }
  const triggers = assertValid<AlertTrigger[]>(
    schemaRef('alert-triggers.schema.json'),
    raw,
    'DRILL_ALERT_TRIGGERS',
  );
  const missing = triggers.flatMap((t, i) =>
    t.alertRule === undefined && t.alertRuleId === undefined
      ? [
          {
            pointer: `/${i}/alertRule`,
            message: 'is required (or alertRuleId): say which alert rule starts the plan',
          },
        ]
      : [],
  );
  if (missing.length) throw new ValidationError('DRILL_ALERT_TRIGGERS', missing);
  return triggers;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A property of an object by name, case-insensitively (alert contexts are not consistent about case). */
function prop(o: Record<string, unknown> | undefined, name: string): unknown {
  if (!o) return undefined;
  const key = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : o[key];
}

function eventSource(context: Record<string, unknown> | undefined): string {
  const source = prop(context, 'eventSource');
  return typeof source === 'string' ? source.toLowerCase() : '';
}

/**
 * Whether a Service Health service name is one a drill is about: Azure Database for PostgreSQL (its variants:
 * "... flexible servers", "... - Single Server") or Azure Backup ("Backup"). An incident of another service
 * (Virtual Machines in the same region) says nothing about our backups.
 */
export function isRelevantService(name: string): boolean {
  const n = name.trim().toLowerCase();
  return n.startsWith('azure database for postgresql') || n === 'backup' || n === 'azure backup';
}

/**
 * The regions of properties.impactedServices (a JSON string, or array, of {ServiceName, ImpactedRegions}) of
 * the services a drill is about; undefined when there is no list to read (then properties.region is used).
 */
function impactedRegions(value: unknown): string[] | undefined {
  let services: unknown = value;
  if (typeof value === 'string')
    try {
      services = JSON.parse(value);
    } catch {
      return undefined;
    }
  if (!Array.isArray(services)) return undefined;
  return services.flatMap((s) => {
    const service = prop(record(s), 'ServiceName');
    if (typeof service !== 'string' || !isRelevantService(service)) return [];
    const regions = prop(record(s), 'ImpactedRegions');
    return Array.isArray(regions)
      ? regions.flatMap((r) => {
          const name = prop(record(r), 'RegionName');
          return typeof name === 'string' ? [name] : [];
        })
      : [];
  });
}

/** An ARM id a drill can start from: a backup instance, or a PostgreSQL datasource (or Single Server). */
function drillTarget(id: string): string | undefined {
  try {
    const parsed = parseArmId(id, 'alert target');
    const types = [
      RESOURCE_TYPES.backupInstance,
      RESOURCE_TYPES.flexibleServer,
      RESOURCE_TYPES.singleServerDatabase,
      RESOURCE_TYPES.singleServer,
    ];
    return types.some((t) => isResourceType(parsed, t)) ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** Reads an alert (validated against schemas/monitor-alert.schema.json; errors name the field). */
export function parseMonitorAlert(message: unknown, what = 'alert'): ParsedAlert {
  const alert = assertValid<MonitorAlert>(schemaRef('monitor-alert.schema.json'), message, what);
  const e = alert.data.essentials;
  const context = record(alert.data.alertContext);
  const properties = record(prop(context, 'properties'));
  const serviceHealth =
    e.monitoringService.toLowerCase() === 'servicehealth' || eventSource(context) === 'servicehealth';
  const regionText = prop(properties, 'region');
  // properties.region lists every region of the incident, whatever the service: only a fallback.
  const namedRegions =
    impactedRegions(prop(properties, 'impactedServices')) ??
    (typeof regionText === 'string' ? regionText.split(',') : []);
  const regions = serviceHealth ? [...new Set(namedRegions.map(armRegionName).filter(Boolean))].sort() : [];
  // Resource alerts: what essentials targets, and the ids a backup alert's context names.
  const named = [
    ...e.alertTargetIDs,
    ...['backupInstanceId', 'datasourceId', 'dataSourceId', 'resourceId']
      .map((k) => prop(properties, k) ?? prop(context, k))
      .filter((v): v is string => typeof v === 'string'),
  ];
  const targets = serviceHealth
    ? []
    : [
        ...new Map(
          named.flatMap((id) => {
            const t = drillTarget(id);
            return t ? [[t.toLowerCase(), t] as const] : [];
          }),
        ).values(),
      ];
  const title = prop(properties, 'title');
  const trackingId = prop(properties, 'trackingId');
  const incidentType = prop(properties, 'incidentType');
  // A Service Health alert is always Fired; its resolution is an event of its own, stage (or status) Resolved.
  const stage = prop(properties, 'stage') ?? prop(context, 'status');
  const resolved = serviceHealth && typeof stage === 'string' && stage.toLowerCase() === 'resolved';
  return {
    alertId: e.alertId,
    alertRule: e.alertRule,
    ...(e.alertRuleID ? { alertRuleId: e.alertRuleID } : {}),
    monitorCondition: resolved ? 'Resolved' : e.monitorCondition,
    monitoringService: e.monitoringService,
    kind: serviceHealth ? 'serviceHealth' : 'resource',
    regions,
    targets,
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof trackingId === 'string' ? { trackingId } : {}),
    ...(serviceHealth && typeof incidentType === 'string' ? { incidentType } : {}),
  };
}

/** The first trigger whose rule (name or ARM id, case-insensitively) is the alert's. */
export function triggerFor(alert: ParsedAlert, triggers: AlertTrigger[]): AlertTrigger | undefined {
  return triggers.find(
    (t) =>
      (t.alertRuleId !== undefined &&
        alert.alertRuleId !== undefined &&
        t.alertRuleId.toLowerCase() === alert.alertRuleId.toLowerCase()) ||
      (t.alertRule !== undefined && t.alertRule.toLowerCase() === alert.alertRule.toLowerCase()),
  );
}

/**
 * What an alert starts, or why it starts nothing. planDatasource: the datasource of the single plan's backup
 * instance, once read (after a needsDatasource decision).
 */
export function decideAlert(
  alert: ParsedAlert,
  triggers: AlertTrigger[],
  plans: NormalizedPlan[],
  planDatasource?: string,
): AlertDecision {
  const trigger = triggerFor(alert, triggers);
  const rule = `alert rule "${alert.alertRule}"${alert.alertRuleId ? ` (${alert.alertRuleId})` : ''}`;
  if (!trigger)
    return {
      action: 'ignore',
      reason: `no DRILL_ALERT_TRIGGERS entry names ${rule}: add one to start a plan on this alert`,
    };
  const conditions = trigger.conditions ?? ['Fired'];
  if (!conditions.includes(alert.monitorCondition))
    return {
      action: 'ignore',
      reason: `the alert is ${alert.monitorCondition}; the trigger of ${rule} starts drills when it is ${conditions.join(' or ')}`,
    };
  const plan = plans.find((p) => p.name === trigger.plan);
  if (!plan)
    return {
      action: 'ignore',
      reason: `plan "${trigger.plan}" (DRILL_ALERT_TRIGGERS, ${rule}) is not a valid plan of DRILL_PLANS`,
    };
  const run: AlertRun = { alertId: alert.alertId, alertRule: alert.alertRule };
  if (alert.kind === 'serviceHealth') {
    if (plan.kind !== 'fleet')
      return {
        action: 'ignore',
        reason: `a Service Health alert starts cross-region drills of a fleet plan's scope; plan "${plan.name}" is a single plan`,
      };
    const types = trigger.incidentTypes ?? ['Incident'];
    if (!types.some((t) => t.toLowerCase() === alert.incidentType?.toLowerCase()))
      return {
        action: 'ignore',
        reason: `the Service Health event is ${alert.incidentType ?? '(no incidentType)'}; the trigger of ${rule} starts drills on ${types.join(' or ')} (incidentTypes)`,
      };
    if (!alert.regions.length)
      return {
        action: 'ignore',
        reason:
          'the Service Health alert names no region of Azure Database for PostgreSQL or Azure Backup (alertContext.properties.impactedServices, else region)',
      };
    if (!hasCrossRegionTemplate(plan))
      return {
        action: 'ignore',
        reason: `plan "${plan.name}" has no cross-region template (request restoreFrom "secondaryRegion"): a Service Health alert drills with those only`,
      };
    return {
      action: 'fleet',
      plan,
      run: {
        ...run,
        regions: alert.regions,
        restoreFrom: 'secondaryRegion',
        ...(alert.trackingId ? { trackingId: alert.trackingId } : {}),
      },
    };
  }
  if (!alert.targets.length)
    return {
      action: 'ignore',
      reason:
        'the alert names no backup instance or PostgreSQL server (essentials.alertTargetIDs, alertContext.properties)',
    };
  if (plan.kind === 'fleet') return { action: 'fleet', plan, run: { ...run, targets: alert.targets } };
  return singlePlanDecision(alert.targets, plan, planDatasource);
}

/** Whether a fleet plan has a template a Service Health run can use: one restoring from the secondary region. */
export function hasCrossRegionTemplate(plan: FleetPlan): boolean {
  return plan.templates.some((t) => t.request.restoreFrom === 'secondaryRegion');
}

function isBackupInstanceId(id: string): boolean {
  return isResourceType(parseArmId(id), RESOURCE_TYPES.backupInstance);
}

/** A single plan drills its own instance, and only when the alert names it (its id, datasource or server). */
function singlePlanDecision(
  targets: string[],
  plan: SinglePlan,
  planDatasource: string | undefined,
): AlertDecision {
  const own = plan.request.backupInstanceId;
  const instance = { backupInstanceId: own, ...(planDatasource ? { datasourceId: planDatasource } : {}) };
  const named = targets.filter((t) => namesInstance(t, instance));
  // Only a datasource or server can still be the instance's: that takes its datasource, read through ARM.
  if (!named.length && planDatasource === undefined && targets.some((t) => !isBackupInstanceId(t)))
    return { action: 'needsDatasource', plan, backupInstanceId: own };
  const ignored = targets
    .filter((t) => !named.includes(t))
    .map((target) => ({
      target,
      reason: isBackupInstanceId(target)
        ? `not the plan's backup instance (plan "${plan.name}" drills ${own} only)`
        : planDatasource === undefined
          ? // The instance was named itself, so its datasource was not read to compare with this one.
            `the plan's backup instance ${own} is named itself; its datasource was not read to compare`
          : `not the datasource or server of the plan's backup instance (plan "${plan.name}" drills ${own} only)`,
    }));
  if (!named.length)
    return {
      action: 'ignore',
      reason: `the alert does not name plan "${plan.name}"'s backup instance ${own}, its datasource or its server (it names ${targets.join(', ')}): a single plan drills its own instance only; map the alert to a fleet plan to drill the instances of a scope`,
    };
  // The plan's own request without its idempotency key: the drill's id comes from the alert (instanceIds.ts).
  const { idempotencyKey: _key, ...request } = plan.request;
  return {
    action: 'drill',
    plan,
    request: parseDrillRequest(
      {
        ...request,
        backupInstanceId: canonicalBackupInstanceId(own, `plan ${plan.name}'s backupInstanceId`),
      },
      `plan ${plan.name}'s request`,
    ),
    ignored,
  };
}

/** Whether an ARM id an alert names is this instance, its datasource or its datasource's server (ARM ids: no case). */
function namesInstance(
  target: string,
  instance: { backupInstanceId: string; datasourceId?: string },
): boolean {
  const ids = [instance.backupInstanceId, instance.datasourceId, serverOf(instance.datasourceId)];
  return ids.some((id) => id !== undefined && sameArmId(id, target));
}

/** Whether an alert's fleet run drills this instance: its vault in a region named, or it (or its source) named. */
export function alertSelects(
  run: AlertRun,
  instance: { backupInstanceId: string; region?: string; datasourceId?: string },
): string | undefined {
  if (run.regions) {
    const region = instance.region === undefined ? undefined : armRegionName(instance.region);
    if (region === undefined || !run.regions.includes(region))
      return `its vault's region ${instance.region ?? '(unknown)'} is not one the alert names (${run.regions.join(', ')})`;
  }
  if (run.targets && !run.targets.some((t) => namesInstance(t, instance)))
    return 'the alert does not name it, its datasource or its server';
  return undefined;
}

/** The Single Server of a database datasource (what a server-level alert names). */
function serverOf(datasourceId: string | undefined): string | undefined {
  if (!datasourceId) return undefined;
  const parts = datasourceId.split('/');
  return /\/servers\/[^/]+\/databases\/[^/]+$/i.test(datasourceId) ? parts.slice(0, -2).join('/') : undefined;
}
