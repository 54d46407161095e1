/* Generated from schemas/drill-plan.schema.json by scripts/gen-types.mjs. Do not edit. */

import type { DrillRequest as DrillRequestType } from './drill-request';

/**
 * A restore drill: which backup to restore, where, how to verify it, and what to clean up. Unknown fields are rejected. Secrets never appear here: credentials are Key Vault secret URIs, read by the activities that need them.
 */
export type DrillRequest = DrillRequestType;
export type NamePattern = string;
/**
 * Scheduled drills (app setting DRILL_PLANS, a JSON array). A plan with a request starts that one drill at most once per schedule slot; a fleet plan (scope + templates) selects backup instances through ARM and drills each in its turn, within caps, so that every instance in scope is drilled at least once per coverage window.
 */
export type DrillPlans = DrillPlan[];

/**
 * Either request (one drill) or scope and templates (a fleet); checked when the plan is read.
 */
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
   * A slot missed by more than this (host down) is not started late. In a fleet plan, each instance's drill starts at a deterministic offset within this window (spreading the load).
   */
  startWindowMinutes?: number;
  enabled?: boolean;
  request?: DrillRequest;
  scope?: FleetScope;
  /**
   * The drill request for each instance, chosen by its datasource kind and its vault's region: the first template that matches. An instance no template matches is skipped, and the fleet report says why.
   *
   * @minItems 1
   */
  templates?: [FleetTemplate, ...FleetTemplate[]];
  doctor?: PlanDoctor;
  coverage?: FleetCoverage;
  maxConcurrent?: FleetCaps;
}
/**
 * Which backup instances a fleet plan drills. vaults, resourceGroups and subscriptions are unioned (vaults and their backup instances are listed through ARM); kinds, include, exclude and tags then narrow that set. At least one of vaults, resourceGroups, subscriptions is required.
 */
export interface FleetScope {
  /**
   * ARM ids of backup vaults.
   *
   * @minItems 1
   */
  vaults?: [string, ...string[]];
  /**
   * ARM ids of resource groups: every backup vault in them.
   *
   * @minItems 1
   */
  resourceGroups?: [string, ...string[]];
  /**
   * Subscription ids: every backup vault in them.
   *
   * @minItems 1
   */
  subscriptions?: [string, ...string[]];
  /**
   * Datasource kinds drilled (default: both).
   *
   * @minItems 1
   */
  kinds?: ['singleServerDatabase' | 'flexibleServer', ...('singleServerDatabase' | 'flexibleServer')[]];
  /**
   * Backup instance name patterns (* and ?, case-insensitive): an instance must match one (default: all).
   *
   * @minItems 1
   */
  include?: [NamePattern, ...NamePattern[]];
  /**
   * Backup instance name patterns (* and ?, case-insensitive): an instance matching one is left out, whatever include says.
   *
   * @minItems 1
   */
  exclude?: [NamePattern, ...NamePattern[]];
  /**
   * Tags of the source server, all required: a value, a list of accepted values, or "*" for any value. Tag names compare case-insensitively (as ARM does), values exactly.
   */
  tags?: {
    [k: string]: string | [string, ...string[]];
  };
}
export interface FleetTemplate {
  kind: 'singleServerDatabase' | 'flexibleServer';
  /**
   * Vault region (ARM location, e.g. westeurope; compared without spaces or case). Default: any.
   */
  region?: string;
  /**
   * A drill request without backupInstanceId (each instance's own is filled in) or idempotencyKey; checked as a whole request when the plan is read.
   */
  request: Omit<DrillRequestType, 'backupInstanceId' | 'idempotencyKey'>;
}
/**
 * Runs the pre-flight doctor (every precondition check of a drill, nothing restored) for the plan's whole scope on its own schedule: a single plan's request, or every in-scope instance of a fleet plan with its template. A check that fails (and did not fail in the previous run of the same plan, instance and region) raises a doctorFailed alert; all checks passing again after a failure raises doctorRecovered. Read in the plan's timeZone; a slot missed by more than the plan's startWindowMinutes is not started late.
 */
export interface PlanDoctor {
  /**
   * NCRONTAB with seconds, e.g. 0 0 * * * * (hourly).
   */
  schedule: string;
}
export interface FleetCoverage {
  /**
   * Every instance in scope is drilled at least once per this many days; each run drills the instances not drilled within the window, least recently drilled first. An instance whose last passed drill is older than this is overdue.
   */
  everyDays: number;
}
/**
 * How many drills of a fleet run at once.
 */
export interface FleetCaps {
  total?: number;
  perVault?: number;
  /**
   * Per target server (restore as database) or drill server (files loaded), where restores and loads land.
   */
  perServer?: number;
}
