/**
 * A fleet run: scope the plan (an activity lists vaults and instances through ARM and reads past drills),
 * then drill every due instance as a restoreDrill sub-orchestration, in coverage order, each not before its
 * start offset in the window, never more at once than the caps allow (overall, per vault, per target or drill
 * server); fan the outcomes in and save the fleet report. A long fleet continues as new every
 * `drillsPerGeneration` drills (at a moment none runs: a running child's completion belongs to the generation
 * that started it), carrying its scope, queue and results, so no history grows with the fleet's size.
 * Deterministic: time from the orchestration clock, waits are durable timers.
 */
import type * as df from 'durable-functions';
import { ACTIVITIES } from '../activities/names';
import type { FleetItem, ScopeFleetOutput } from '../activities/fleet';
import type { AlertRun } from '../lib/drill/alertTriggers';
import { startable, type Queued } from '../lib/drill/fleet';
import { buildFleetReport, type FleetDrillResult, type FleetReport } from '../lib/drill/fleetReport';
import { fleetDrillId } from '../lib/drill/instanceIds';
import { MAX_TIMER_MS } from '../lib/drill/polling';
import type { FleetPlan } from '../lib/drill/plans';
import type { DrillReport } from '../lib/drill/report';
import { fleetRequestOf } from '../lib/drill/fleetRequest';
import type { DrillInput } from '../lib/drill/request';
import type { DrillSettings } from '../lib/drill/settings';
import { toFailure } from '../lib/errors';
import { callActivity, log, now, type Ctx } from './helpers';
import { ORCHESTRATORS } from './names';

export interface FleetInput {
  fleetId: string;
  plan: FleetPlan;
  /** When the start window opens: the schedule slot, or when the run was asked for. */
  slot: string;
  settings: DrillSettings;
  /** Drills started per generation before continueAsNew (default DRILLS_PER_GENERATION). */
  drillsPerGeneration?: number;
  /** What an earlier generation of this run hands on. */
  carried?: FleetCarried;
  /** A run an Azure Monitor alert started (DRILL_ALERT_TRIGGERS): what it selects, how its drills restore. */
  alert?: AlertRun;
}

interface FleetCarried {
  startedAt: string;
  scoped: ScopeFleetOutput;
  queue: Queued[];
  results: FleetDrillResult[];
  generation: number;
}

/** A generation's history holds about 8 events per drill: 100 drills keep replays short. */
const DRILLS_PER_GENERATION = 100;

/** Scoping lists whole subscriptions: it gets its own deadline, independent of any drill's. */
const SCOPE_DEADLINE_MS = 30 * 60_000;

/** The drill of the item at `index`: named by the scoping (an alert's run), else by its place in the order. */
function drillIdOf(fleetId: string, item: FleetItem, index: number): string {
  return item.drillId ?? fleetDrillId(fleetId, index);
}

/** What the fleet keeps of a finished drill (the full report stays with the drill). */
function resultOf(item: FleetItem, drillId: string, task: df.Task): FleetDrillResult {
  if (task.isFaulted)
    return {
      backupInstanceId: item.backupInstanceId,
      drillId,
      verdict: 'failed',
      failureCode: 'SubOrchestrationFailed',
    };
  const r = task.result as DrillReport;
  return {
    backupInstanceId: item.backupInstanceId,
    drillId,
    verdict: r.verdict,
    ...(r.failure ? { failureCode: r.failure.code } : {}),
    ...(r.rtoSeconds !== undefined ? { rtoSeconds: r.rtoSeconds } : {}),
    ...(r.rpoSeconds !== undefined ? { rpoSeconds: r.rpoSeconds } : {}),
  };
}

export function* fleetDrill(ctx: Ctx): Generator<df.Task, FleetReport, unknown> {
  const input = ctx.df.getInput<FleetInput>();
  const { plan, fleetId } = input;
  const carried = input.carried;
  const startedAt = carried?.startedAt ?? now(ctx).toISOString();

  let scoped: ScopeFleetOutput;
  if (carried) scoped = carried.scoped;
  else
    try {
      ctx.df.setCustomStatus({ phase: 'scope' });
      scoped = yield* callActivity(
        ctx,
        ACTIVITIES.scopeFleet,
        input.alert ? { plan, slot: input.slot, alert: input.alert, fleetId } : { plan, slot: input.slot },
        { settings: input.settings, deadline: new Date(now(ctx).getTime() + SCOPE_DEADLINE_MS) },
      );
    } catch (err) {
      const f = toFailure(err);
      const nothing: ScopeFleetOutput = { coverage: [], due: [], skipped: [], notDue: [], problems: [] };
      const report: FleetReport = {
        ...fleetReportOf(input, startedAt, now(ctx).toISOString(), nothing, []),
        status: 'failed',
        failure: { code: f.code, message: f.message },
      };
      yield* saveFleet(ctx, input, report);
      ctx.df.setCustomStatus({ phase: 'done', status: 'failed' });
      return report;
    }

  const windowStart = Date.parse(input.slot);
  let queue: Queued[] =
    carried?.queue ??
    scoped.due.map((d, index) => ({
      index,
      keys: d.keys,
      notBefore: windowStart + d.offsetSeconds * 1000,
    }));
  const running = new Map<number, df.Task>();
  const results: FleetDrillResult[] = [...(carried?.results ?? [])];
  const perGeneration = Math.max(1, input.drillsPerGeneration ?? DRILLS_PER_GENERATION);
  let startedHere = 0;
  const status = (phase: string) =>
    ctx.df.setCustomStatus({
      phase,
      due: scoped.due.length,
      running: running.size,
      done: results.length,
      passed: results.filter((r) => r.verdict === 'passed').length,
    });

  while (queue.length || running.size) {
    // Fan in: every drill that has ended (a Task.any over an already finished task would never resolve).
    for (const [index, task] of [...running])
      if (task.isCompleted || task.isFaulted) {
        running.delete(index);
        results.push(resultOf(scoped.due[index]!, drillIdOf(fleetId, scoped.due[index]!, index), task));
      }

    // Fan out: whatever the caps and the start offsets allow now.
    const t = now(ctx).getTime();
    const runningKeys = [...running.keys()].map((i) => scoped.due[i]!.keys);
    const budget = perGeneration - startedHere;
    for (const q of startable(queue, runningKeys, plan.caps, t).slice(0, Math.max(0, budget))) {
      startedHere++;
      const item = scoped.due[q.index]!;
      const drillId = drillIdOf(fleetId, item, q.index);
      queue = queue.filter((x) => x.index !== q.index);
      let request;
      try {
        request = fleetRequestOf(plan, item);
      } catch (err) {
        results.push({
          backupInstanceId: item.backupInstanceId,
          drillId,
          verdict: 'failed',
          failureCode: toFailure(err).code,
        });
        continue;
      }
      const drillInput: DrillInput = {
        drillId,
        request,
        trigger: input.alert
          ? {
              kind: 'alert',
              plan: plan.name,
              fleetId,
              alertId: input.alert.alertId,
              alertRule: input.alert.alertRule,
            }
          : { kind: 'fleet', plan: plan.name, slot: input.slot, fleetId },
        settings: input.settings,
      };
      running.set(q.index, ctx.df.callSubOrchestrator(ORCHESTRATORS.restoreDrill, drillInput, drillId));
      log(ctx, 'fleet drill started', { drillId, backupInstanceId: item.backupInstanceId });
    }
    status('drilling');
    if (!queue.length && !running.size) break;
    if (startedHere >= perGeneration && running.size === 0) {
      // This generation's share is done and none of its drills runs: hand the rest to a fresh history.
      const generation = (carried?.generation ?? 0) + 1;
      log(ctx, 'fleet continues as new', { done: results.length, queued: queue.length, generation });
      ctx.df.continueAsNew({
        ...input,
        carried: { startedAt, scoped, queue, results, generation },
      } satisfies FleetInput);
      return fleetReportOf(input, startedAt, now(ctx).toISOString(), scoped, results);
    }

    // Wait for a drill to end, or for the next start offset (while this generation may start more).
    const later = startedHere < perGeneration ? queue.map((q) => q.notBefore).filter((n) => n > t) : [];
    const timer = later.length
      ? ctx.df.createTimer(new Date(Math.min(Math.min(...later), t + MAX_TIMER_MS)))
      : undefined;
    const waits = [...running.values(), ...(timer ? [timer] : [])];
    if (waits.length === 0) break; // nothing runs and nothing can start: only a cap of 0 could do this
    const winner = yield ctx.df.Task.any(waits);
    if (timer && winner !== timer) timer.cancel();
  }

  const report = fleetReportOf(input, startedAt, now(ctx).toISOString(), scoped, results);
  yield* saveFleet(ctx, input, report);
  ctx.df.setCustomStatus({ phase: 'done', status: report.status, passed: report.counts.passed });
  return report;
}

function fleetReportOf(
  input: FleetInput,
  startedAt: string,
  endedAt: string,
  scoped: ScopeFleetOutput,
  results: FleetDrillResult[],
): FleetReport {
  return buildFleetReport({
    fleetId: input.fleetId,
    plan: input.plan.name,
    slot: input.slot,
    startedAt,
    endedAt,
    coverage: scoped.coverage,
    drills: results,
    skipped: scoped.skipped,
    notDue: scoped.notDue,
    problems: scoped.problems,
    everyDays: input.alert ? undefined : input.plan.everyDays,
    ...(input.alert
      ? {
          alert: {
            alertId: input.alert.alertId,
            alertRule: input.alert.alertRule,
            ...(input.alert.regions ? { regions: input.alert.regions } : {}),
            ...(input.alert.targets ? { targets: input.alert.targets } : {}),
          },
        }
      : {}),
  });
}

/** Saves the fleet report; a save that fails is logged, and the report is still the run's output. */
function* saveFleet(ctx: Ctx, input: FleetInput, report: FleetReport): Generator<df.Task, void, unknown> {
  try {
    yield* callActivity(
      ctx,
      ACTIVITIES.saveFleetReport,
      { report },
      { settings: input.settings, deadline: new Date(now(ctx).getTime() + 10 * 60_000) },
    );
  } catch (err) {
    log(ctx, 'fleet report not stored', { code: toFailure(err).code });
  }
}
