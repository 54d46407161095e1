/**
 * The sweeper (docs/design.md, "Safety"): a timer that retries the cleanup of drills whose cleanup failed, once they
 * ended more than DRILL_SWEEP_AFTER_HOURS ago, from what each drill recorded creating. It touches nothing a
 * drill did not record, retries a drill at most once per period, and leaves drills whose policy kept their data.
 * Then it drops drills older than DRILL_HISTORY_RETENTION_DAYS from the history (not those still to be swept),
 * and raises an overdue alert for each backup instance without a passed drill in DRILL_COVERAGE_DAYS.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import type { CleanupAction, CleanupInput, CleanupOutput, CreatedResource } from '../activities/contracts';
import { appServices } from '../app/services';
import { cleanupFailedAction, cleanupStatus } from '../lib/drill/cleanupPlan';
import { toFailure } from '../lib/errors';
import type { ReportStore } from '../lib/storage/reportStore';
import { input } from 'durable-functions';
import type { TimerFunctionDefinition } from './definitions';
import { durableClientFactory } from './drillClient';

export interface SweeperDeps {
  reports: () => ReportStore;
  /** The cleanupDrill activity. */
  cleanup: (input: CleanupInput) => Promise<CleanupOutput>;
  afterHours: () => number;
  /** DRILL_HISTORY_RETENTION_DAYS: drills that started longer ago leave the history (and their reports go). */
  retentionDays?: () => number;
  now?: () => Date;
  /** Overdue alerts (the alertOverdue activity, with this invocation's Durable Functions client). */
  overdue?: (context: InvocationContext) => Promise<{ overdue: string[]; alerted: string[] }>;
}

export interface SweepResult {
  drillId: string;
  status: 'done' | 'partial' | 'failed' | 'nothing recorded' | 'recently swept';
}

export function createSweeper(deps: SweeperDeps) {
  return async (_timer: Timer, context: InvocationContext): Promise<SweepResult[]> => {
    const now = deps.now?.() ?? new Date();
    const cutoff = new Date(now.getTime() - deps.afterHours() * 3600_000);
    const reports = deps.reports();
    const results: SweepResult[] = [];
    for (const row of await reports.needingSweep(cutoff)) {
      const report = await reports.get(row.drillId);
      if (!report) continue;
      const resources = (report.cleanup.resources ?? []) as CreatedResource[];
      if (report.cleanup.sweptAt && report.cleanup.sweptAt > cutoff.toISOString()) {
        results.push({ drillId: row.drillId, status: 'recently swept' });
        continue;
      }
      if (resources.length === 0) {
        results.push({ drillId: row.drillId, status: 'nothing recorded' });
        continue;
      }
      let actions: CleanupAction[];
      try {
        actions = (await deps.cleanup({ drillId: report.drillId, resources })).flatMap((r) => r.actions);
      } catch (err) {
        const f = toFailure(err);
        actions = [cleanupFailedAction(`${f.code}: ${f.message}`)];
      }
      const status = cleanupStatus(actions);
      await reports.save({
        ...report,
        cleanup: {
          ...report.cleanup,
          status,
          sweptAt: now.toISOString(),
          actions: [
            ...report.cleanup.actions,
            ...actions.map((a) => ({ ...a, message: `sweeper${a.message ? `: ${a.message}` : ''}` })),
          ],
        },
      });
      context.log(
        JSON.stringify({
          message: 'leftovers swept',
          drillId: report.drillId,
          status,
          actions: actions.length,
        }),
      );
      results.push({ drillId: row.drillId, status });
    }
    const days = deps.retentionDays?.();
    if (days) {
      const expired = await reports.expire(new Date(now.getTime() - days * 86_400_000));
      if (expired)
        context.log(JSON.stringify({ message: 'history expired', drills: expired, retentionDays: days }));
    }
    if (deps.overdue)
      try {
        const { overdue, alerted } = await deps.overdue(context);
        if (overdue.length)
          context.log(
            JSON.stringify({ message: 'backup instances overdue', overdue: overdue.length, alerted }),
          );
      } catch (err) {
        const f = toFailure(err);
        context.log(JSON.stringify({ message: 'overdue alerts not raised', code: f.code, error: f.message }));
      }
    return results;
  };
}

export const sweeperFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'sweepLeftovers',
  options: {
    schedule: '%DRILL_SWEEP_SCHEDULE%',
    // Overdue alerts are delivered by an orchestration: Durable Functions' client comes with the invocation.
    extraInputs: [input.durableClient()],
    handler: async (timer, context) => {
      const services = appServices();
      await createSweeper({
        reports: () => services.reports,
        cleanup: (input) => services.activities.cleanupDrill(input),
        afterHours: () => services.config.DRILL_SWEEP_AFTER_HOURS,
        retentionDays: () => services.config.DRILL_HISTORY_RETENTION_DAYS,
        overdue: (ctx) => services.activities.alertOverdue({}, durableClientFactory(ctx)),
      })(timer, context);
    },
  },
};
