/**
 * Drill plans (scheduled drills): parsed from the DRILL_PLANS setting, and the slot a plan is due for at a
 * given time. A slot is an occurrence of the plan's NCRONTAB schedule (with seconds, in its time zone); a
 * plan is due when its latest slot is no older than its start window. Pure.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError, type FieldError } from '../errors';
import type { DrillPlan } from '../types/generated/drill-plan';
import { assertValid, schemaRef } from '../validation';
import { parseDrillRequest, type NormalizedRequest } from './request';

export type { DrillPlan };
export type NormalizedPlan = Omit<DrillPlan, 'request'> & {
  request: NormalizedRequest;
  timeZone: string;
  startWindowMinutes: number;
  enabled: boolean;
};

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
      try {
        // next() as well: an unknown time zone only shows when a date is computed.
        CronExpressionParser.parse(p.schedule, { tz: p.timeZone ?? 'UTC' }).next();
      } catch (err) {
        throw new ValidationError('plan', [
          {
            pointer: '/schedule',
            message: `is not a valid NCRONTAB schedule (or /timeZone is unknown): ${(err as Error).message}`,
          },
        ]);
      }
      let request: NormalizedRequest;
      try {
        request = parseDrillRequest(p.request, `DRILL_PLANS/${i}/request`);
      } catch (err) {
        if (err instanceof ValidationError)
          throw new ValidationError(
            'plan',
            err.errors.map((e) => ({ ...e, pointer: `/request${e.pointer}` })),
          );
        throw err;
      }
      plans.push({
        ...p,
        timeZone: p.timeZone ?? 'UTC',
        startWindowMinutes: p.startWindowMinutes ?? 60,
        enabled: p.enabled ?? true,
        request,
      });
    } catch (err) {
      const errors =
        err instanceof ValidationError ? err.errors : [{ pointer: '', message: (err as Error).message }];
      for (const e of errors) problems.push({ pointer: `/${i}${e.pointer}`, message: e.message });
    }
  });
  return { plans, problems };
}

/** All plans, or a ValidationError naming every bad field of every bad plan (the standalone host's start). */
export function parsePlans(json: string | undefined): NormalizedPlan[] {
  const set = parsePlanSet(json);
  if (set.problems.length) throw new ValidationError('DRILL_PLANS', set.problems);
  return set.plans;
}

/** The latest slot at or before `now`, if it is within the plan's start window. */
export function dueSlot(plan: NormalizedPlan, now: Date): Date | undefined {
  const expr = CronExpressionParser.parse(plan.schedule, {
    tz: plan.timeZone,
    currentDate: new Date(now.getTime() + 1000),
  });
  const slot = expr.prev().toDate();
  return now.getTime() - slot.getTime() <= plan.startWindowMinutes * 60_000 ? slot : undefined;
}
