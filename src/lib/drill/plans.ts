/**
 * Drill plans (scheduled drills): parsed from the DRILL_PLANS setting, and the slot a plan is due for at a
 * given time. A slot is an occurrence of the plan's NCRONTAB schedule (with seconds, in its time zone); a
 * plan is due when its latest slot is no older than its start window. Pure.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors';
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

export function parsePlans(json: string | undefined): NormalizedPlan[] {
  if (!json || !json.trim()) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ValidationError('DRILL_PLANS', [
      { pointer: '', message: `is not JSON: ${(err as Error).message}` },
    ]);
  }
  const plans = assertValid<DrillPlan[]>(schemaRef('drill-plan.schema.json'), raw, 'DRILL_PLANS');
  const names = new Set<string>();
  return plans.map((p, i) => {
    if (names.has(p.name))
      throw new ValidationError('DRILL_PLANS', [
        { pointer: `/${i}/name`, message: `"${p.name}" is used twice: plan names must be unique` },
      ]);
    names.add(p.name);
    try {
      // next() as well: an unknown time zone only shows when a date is computed.
      CronExpressionParser.parse(p.schedule, { tz: p.timeZone ?? 'UTC' }).next();
    } catch (err) {
      throw new ValidationError('DRILL_PLANS', [
        {
          pointer: `/${i}/schedule`,
          message: `is not a valid NCRONTAB schedule (or /${i}/timeZone is unknown): ${(err as Error).message}`,
        },
      ]);
    }
    return {
      ...p,
      timeZone: p.timeZone ?? 'UTC',
      startWindowMinutes: p.startWindowMinutes ?? 60,
      enabled: p.enabled ?? true,
      request: parseDrillRequest(p.request, `DRILL_PLANS/${i}/request`),
    };
  });
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
