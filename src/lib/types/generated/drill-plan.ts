/* Generated from schemas/drill-plan.schema.json by scripts/gen-types.mjs. Do not edit. */

import type { DrillRequest as DrillRequestType } from './drill-request';

/**
 * A restore drill: which backup to restore, where, how to verify it, and what to clean up. Unknown fields are rejected. Secrets never appear here: credentials are Key Vault secret URIs, read by the activities that need them.
 */
export type DrillRequest = DrillRequestType;
/**
 * Scheduled drills (app setting DRILL_PLANS, a JSON array): each plan starts its request at most once per schedule slot.
 */
export type DrillPlans = DrillPlan[];

export interface DrillPlan {
  name: string;
  /**
   * NCRONTAB with seconds: {second} {minute} {hour} {day} {month} {day-of-week}, e.g. 0 0 3 * * 1 (Mondays 03:00).
   */
  schedule: string;
  /**
   * IANA time zone the schedule is read in.
   */
  timeZone?: string;
  /**
   * A slot missed by more than this (host down) is not started late.
   */
  startWindowMinutes?: number;
  enabled?: boolean;
  request: DrillRequest;
}
