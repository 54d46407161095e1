/**
 * planDoctor: a plan's scheduled pre-flight doctor run. Runs the doctor (the `preflight` activity: every
 * precondition check, nothing restored) for the plan's whole scope: a single plan's request, or every
 * in-scope instance of a fleet plan with its template, scoped by the fleet's own scoping activity and
 * expanded the way fleet runs expand them (coverage aside: every instance is checked, due or not). The
 * checks run side by side within the plan's caps (overall, per vault, per target or drill server), like a
 * fleet's drills. Each preflight call compares with the previous result, alerts on what broke or recovered
 * and keeps the result; this run returns the summary. Deterministic: time from the orchestration clock.
 */
import type * as df from 'durable-functions';
import type { PreflightOutput } from '../activities/preflight';
import type { ScopeFleetOutput } from '../activities/fleet';
import { ACTIVITIES } from '../activities/names';
import { capKeysOf, startable, type CapKeys, type Queued } from '../lib/drill/fleet';
import { fleetRequestOf } from '../lib/drill/fleetRequest';
import type { FleetCapsNormalized, NormalizedPlan } from '../lib/drill/plans';
import type { NormalizedRequest } from '../lib/drill/request';
import type { DrillSettings } from '../lib/drill/settings';
import { toFailure, type ActivityResult } from '../lib/errors';
import { callActivity, log, now, type Ctx } from './helpers';

export interface DoctorRunInput {
  /** The run's instance id (plan + slot). */
  runId: string;
  plan: NormalizedPlan;
  slot: string;
  settings: DrillSettings;
}

/** One request's outcome: the doctor's summary, or why the doctor could not run for it. */
export type DoctorRunItem =
  | (PreflightOutput & { error?: undefined })
  | { backupInstanceId: string; error: { code: string; message: string } };

export interface DoctorRunReport {
  runId: string;
  plan: string;
  slot: string;
  startedAt: string;
  endedAt: string;
  /** passed: every check of every request passed; failed: a check failed, or the doctor could not run. */
  status: 'passed' | 'failed';
  counts: { requests: number; passed: number; failed: number; errors: number };
  results: DoctorRunItem[];
  /** A fleet plan's instances left out of scope, or without a template, each with why. */
  skipped: ScopeFleetOutput['skipped'];
  /** Vaults or servers the scoping could not list or read. */
  problems: ScopeFleetOutput['problems'];
}

/** Scoping lists whole subscriptions; one request's checks are quick. */
const SCOPE_DEADLINE_MS = 30 * 60_000;
const PREFLIGHT_DEADLINE_MS = 10 * 60_000;

interface Item {
  backupInstanceId: string;
  keys: CapKeys;
  request?: NormalizedRequest;
  error?: { code: string; message: string };
}

export function* planDoctor(ctx: Ctx): Generator<df.Task, DoctorRunReport, unknown> {
  const input = ctx.df.getInput<DoctorRunInput>();
  const { plan, runId } = input;
  const startedAt = now(ctx).toISOString();
  let items: Item[];
  let caps: FleetCapsNormalized;
  let skipped: ScopeFleetOutput['skipped'] = [];
  let problems: ScopeFleetOutput['problems'] = [];

  if (plan.kind === 'single') {
    items = [{ backupInstanceId: plan.request.backupInstanceId, keys: { vault: '' }, request: plan.request }];
    caps = { total: 1, perVault: 1, perServer: 1 };
  } else {
    caps = plan.caps;
    ctx.df.setCustomStatus({ phase: 'scope' });
    let scoped: ScopeFleetOutput;
    try {
      // Without a coverage window every instance in scope is "due": the doctor checks them all.
      const { everyDays: _everyDays, ...all } = plan;
      scoped = yield* callActivity(
        ctx,
        ACTIVITIES.scopeFleet,
        { plan: all, slot: input.slot },
        { settings: input.settings, deadline: new Date(now(ctx).getTime() + SCOPE_DEADLINE_MS) },
      );
    } catch (err) {
      const f = toFailure(err);
      log(ctx, 'doctor run could not scope its plan', { plan: plan.name, code: f.code });
      scoped = {
        coverage: [],
        due: [],
        skipped: [],
        notDue: [],
        problems: [{ resource: plan.name, code: f.code, message: f.message }],
      };
    }
    skipped = scoped.skipped;
    problems = scoped.problems;
    items = scoped.due.map((d) => {
      const keys = capKeysOf(plan.templates[d.template]!, d.vaultId);
      try {
        return { backupInstanceId: d.backupInstanceId, keys, request: fleetRequestOf(plan, d) };
      } catch (err) {
        const f = toFailure(err);
        return { backupInstanceId: d.backupInstanceId, keys, error: { code: f.code, message: f.message } };
      }
    });
  }

  const results: DoctorRunItem[] = [];
  let queue: Queued[] = [];
  items.forEach((item, index) => {
    if (item.error) results.push({ backupInstanceId: item.backupInstanceId, error: item.error });
    else queue.push({ index, keys: item.keys, notBefore: 0 });
  });
  const running = new Map<number, df.Task>();
  while (queue.length || running.size) {
    // Fan in what has ended (a Task.any over an already finished task would never resolve).
    for (const [index, task] of [...running])
      if (task.isCompleted || task.isFaulted) {
        running.delete(index);
        results.push(outcomeOf(items[index]!, task));
      }
    const runningKeys = [...running.keys()].map((i) => items[i]!.keys);
    for (const q of startable(queue, runningKeys, caps, now(ctx).getTime())) {
      queue = queue.filter((x) => x.index !== q.index);
      const item = items[q.index]!;
      // One attempt: a doctor run is repeated by its schedule, and its failure is reported, not retried.
      running.set(
        q.index,
        ctx.df.callActivity(ACTIVITIES.preflight, {
          plan: plan.name,
          runId,
          request: item.request!,
          drillId: runId,
          deadline: new Date(now(ctx).getTime() + PREFLIGHT_DEADLINE_MS).toISOString(),
        }),
      );
    }
    ctx.df.setCustomStatus({
      phase: 'checking',
      requests: items.length,
      running: running.size,
      done: results.length,
    });
    if (!running.size) break; // nothing runs and nothing can start: only a cap of 0 could do this
    yield ctx.df.Task.any([...running.values()]);
  }

  const failed = results.filter((r) => !r.error && !r.ok).length;
  const errors = results.filter((r) => r.error).length;
  const report: DoctorRunReport = {
    runId,
    plan: plan.name,
    slot: input.slot,
    startedAt,
    endedAt: now(ctx).toISOString(),
    status: failed || errors || problems.length ? 'failed' : 'passed',
    counts: { requests: items.length, passed: results.length - failed - errors, failed, errors },
    results,
    skipped,
    problems,
  };
  log(ctx, 'doctor run done', { plan: plan.name, ...report.counts });
  ctx.df.setCustomStatus({ phase: 'done', status: report.status });
  return report;
}

function outcomeOf(item: Item, task: df.Task): DoctorRunItem {
  const result = task.isFaulted ? undefined : (task.result as ActivityResult<PreflightOutput> | undefined);
  if (result?.ok) return result.value;
  const error = result && !result.ok ? result.error : undefined;
  return {
    backupInstanceId: item.backupInstanceId,
    error: {
      code: error?.code ?? 'ActivityFailed',
      message: error?.message ?? 'the preflight activity failed unexpectedly',
    },
  };
}
