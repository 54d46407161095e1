/**
 * Drill plans (scheduled drills): parsed from the DRILL_PLANS setting, and the slot a plan is due for at a
 * given time. A slot is an occurrence of the plan's NCRONTAB schedule (with seconds, in its time zone); a
 * plan is due when its latest slot is no older than its start window. Pure.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError, type FieldError } from '../errors';
import type { DrillPlan, FleetScope, FleetTemplate } from '../types/generated/drill-plan';
import { assertValid, schemaRef } from '../validation';
import { parseDrillRequest, type NormalizedRequest } from './request';

export type { DrillPlan, FleetScope, FleetTemplate };

interface PlanBase {
  name: string;
  schedule: string;
  timeZone: string;
  startWindowMinutes: number;
  enabled: boolean;
  /** The pre-flight doctor's own schedule (same time zone and start window), when the plan has one. */
  doctor?: { schedule: string };
}

/** A plan that starts one drill per slot. */
export interface SinglePlan extends PlanBase {
  kind: 'single';
  request: NormalizedRequest;
}

/** Drills of a fleet run at once: overall, per vault, per target or drill server. */
export interface FleetCapsNormalized {
  total: number;
  perVault: number;
  perServer: number;
}

/** A plan that drills every backup instance in its scope (src/lib/drill/fleet.ts). */
export interface FleetPlan extends PlanBase {
  kind: 'fleet';
  scope: FleetScope;
  templates: FleetTemplate[];
  /** Days within which every instance in scope must have been drilled; without it, every run drills all. */
  everyDays?: number;
  caps: FleetCapsNormalized;
}

export type NormalizedPlan = SinglePlan | FleetPlan;

export const DEFAULT_FLEET_CAPS: FleetCapsNormalized = { total: 10, perVault: 5, perServer: 2 };

/** A placeholder instance id a template is checked with (each instance's own replaces it). */
const TEMPLATE_CHECK_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault/backupInstances/instance';

/** The plans of DRILL_PLANS that are valid, and what is wrong with each one that is not. */
export interface PlanSet {
  plans: NormalizedPlan[];
  problems: FieldError[];
}

/**
 * Each plan on its own: a bad plan is reported (by JSON pointer) and left out, and never stops a good one.
 * Only a DRILL_PLANS that is not a JSON array at all leaves no plan.
 */
export function parsePlanSet(json: string | undefined): PlanSet {
  if (!json || !json.trim()) return { plans: [], problems: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    return { plans: [], problems: [{ pointer: '', message: `is not JSON: ${(err as Error).message}` }] };
  }
  if (!Array.isArray(raw))
    return { plans: [], problems: [{ pointer: '', message: 'must be a JSON array of plans' }] };
  const plans: NormalizedPlan[] = [];
  const problems: FieldError[] = [];
  const names = new Set<string>();
  raw.forEach((item: unknown, i) => {
    try {
      checkShape(item);
      const p = assertValid<DrillPlan>(
        `${schemaRef('drill-plan.schema.json')}#/items`,
        structuredClone(item),
        'plan',
      );
      if (names.has(p.name))
        throw new ValidationError('plan', [
          { pointer: '/name', message: `"${p.name}" is used twice: plan names must be unique` },
        ]);
      names.add(p.name);
      checkSchedule(p.schedule, p.timeZone, '/schedule');
      if (p.doctor) checkSchedule(p.doctor.schedule, p.timeZone, '/doctor/schedule');
      const base: PlanBase = {
        name: p.name,
        schedule: p.schedule,
        timeZone: p.timeZone ?? 'UTC',
        startWindowMinutes: p.startWindowMinutes ?? 60,
        enabled: p.enabled ?? true,
        ...(p.doctor ? { doctor: { schedule: p.doctor.schedule } } : {}),
      };
      plans.push(p.request ? singlePlan(p, base, i) : fleetPlan(p, base, i));
    } catch (err) {
      const errors =
        err instanceof ValidationError ? err.errors : [{ pointer: '', message: (err as Error).message }];
      for (const e of errors) problems.push({ pointer: `/${i}${e.pointer}`, message: e.message });
    }
  });
  return { plans, problems };
}

/** A schedule cron-parser reads in the plan's time zone, or an error naming the field. */
function checkSchedule(schedule: string, timeZone: string | undefined, pointer: string): void {
  try {
    // next() as well: an unknown time zone only shows when a date is computed.
    CronExpressionParser.parse(schedule, { tz: timeZone ?? 'UTC' }).next();
  } catch (err) {
    throw new ValidationError('plan', [
      {
        pointer,
        message: `is not a valid NCRONTAB schedule (or /timeZone is unknown): ${(err as Error).message}`,
      },
    ]);
  }
}

/** A request under /request, its errors re-pointed into the plan. */
function requestOf(raw: unknown, pointer: string, where: string): NormalizedRequest {
  try {
    return parseDrillRequest(raw, where);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError(
        'plan',
        err.errors.map((e) => ({ ...e, pointer: `${pointer}${e.pointer}` })),
      );
    throw err;
  }
}

/** One drill or a fleet, never a mix: said before the schema's own errors, which would be less clear. */
function checkShape(item: unknown): void {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return;
  const fleetFields = ['scope', 'templates', 'coverage', 'maxConcurrent'].filter((k) => k in item);
  if ('request' in item) {
    if (fleetFields.length)
      throw new ValidationError(
        'plan',
        fleetFields.map((k) => ({
          pointer: `/${k}`,
          message:
            'belongs to a fleet plan: give either request (one drill) or scope and templates (a fleet)',
        })),
      );
    return;
  }
  const missing = ['scope', 'templates'].filter((k) => !(k in item));
  if (missing.length)
    throw new ValidationError(
      'plan',
      missing.map((k) => ({
        pointer: `/${k}`,
        message:
          fleetFields.length || missing.length === 1
            ? 'is required: a plan gives either request (one drill) or scope and templates (a fleet)'
            : 'is required (or give request instead, for one drill): a plan gives either request or scope and templates',
      })),
    );
}

function singlePlan(p: DrillPlan, base: PlanBase, i: number): SinglePlan {
  return { ...base, kind: 'single', request: requestOf(p.request, '/request', `DRILL_PLANS/${i}/request`) };
}

function fleetPlan(p: DrillPlan, base: PlanBase, i: number): FleetPlan {
  const scope = p.scope!;
  if (!scope.vaults && !scope.resourceGroups && !scope.subscriptions)
    throw new ValidationError('plan', [
      {
        pointer: '/scope',
        message: 'selects nothing: give vaults, resourceGroups or subscriptions (ARM ids of what to list)',
      },
    ]);
  // Each template is checked as the whole request it becomes, so a bad one fails when the plan is read.
  p.templates!.forEach((t, k) => {
    const own = (['backupInstanceId', 'idempotencyKey'] as const).filter((f) => f in t.request);
    if (own.length)
      throw new ValidationError(
        'plan',
        own.map((f) => ({
          pointer: `/templates/${k}/request/${f}`,
          message: 'is set for each instance in scope by the fleet: leave it out of the template',
        })),
      );
    requestOf(
      { ...t.request, backupInstanceId: TEMPLATE_CHECK_ID },
      `/templates/${k}/request`,
      `DRILL_PLANS/${i}/templates/${k}/request`,
    );
  });
  return {
    ...base,
    kind: 'fleet',
    scope,
    templates: p.templates!,
    ...(p.coverage ? { everyDays: p.coverage.everyDays } : {}),
    caps: { ...DEFAULT_FLEET_CAPS, ...p.maxConcurrent },
  };
}

/** All plans, or a ValidationError naming every bad field of every bad plan (the standalone host's start). */
export function parsePlans(json: string | undefined): NormalizedPlan[] {
  const set = parsePlanSet(json);
  if (set.problems.length) throw new ValidationError('DRILL_PLANS', set.problems);
  return set.plans;
}

/** The latest slot at or before `now`, if it is within the plan's start window. */
export function dueSlot(plan: NormalizedPlan, now: Date): Date | undefined {
  return slotOf(plan, plan.schedule, now);
}

/** The latest slot of the plan's doctor schedule at or before `now`, within the start window; none without one. */
export function doctorDueSlot(plan: NormalizedPlan, now: Date): Date | undefined {
  return plan.doctor ? slotOf(plan, plan.doctor.schedule, now) : undefined;
}

function slotOf(plan: NormalizedPlan, schedule: string, now: Date): Date | undefined {
  const expr = CronExpressionParser.parse(schedule, {
    tz: plan.timeZone,
    currentDate: new Date(now.getTime() + 1000),
  });
  const slot = expr.prev().toDate();
  return now.getTime() - slot.getTime() <= plan.startWindowMinutes * 60_000 ? slot : undefined;
}
