/**
 * The sweeper (DESIGN.md section 7): a timer that retries the cleanup of drills whose cleanup failed, once they
 * ended more than DRILL_SWEEP_AFTER_HOURS ago, from what each drill recorded creating. It touches nothing a
 * drill did not record, retries a drill at most once per period, and leaves drills whose policy kept their data.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import type { CleanupAction, CleanupInput, CreatedResource } from '../activities/contracts';
import { appServices } from '../app/deps';
import type { ActivityResult } from '../lib/drill/failure';
import type { ReportStore } from '../lib/storage/reportStore';
import { ACTIVITIES } from '../orchestrators/names';
import type { TimerFunctionDefinition } from './definitions';

export interface SweeperDeps {
  reports: () => ReportStore;
  cleanup: (input: CleanupInput) => Promise<ActivityResult<CleanupAction[]>>;
  afterHours: () => number;
  now?: () => Date;
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
      const outcome = await deps.cleanup({ drillId: report.drillId, resources });
      const actions: CleanupAction[] = outcome.ok
        ? outcome.value
        : [
            {
              resource: 'all',
              action: 'cleanup',
              status: 'failed',
              message: `${outcome.error.code}: ${outcome.error.message}`,
            },
          ];
      const failed = actions.filter((a) => a.status === 'failed' || a.status === 'refused').length;
      const status = failed === 0 ? 'done' : failed === actions.length ? 'failed' : 'partial';
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
          failed,
        }),
      );
      results.push({ drillId: row.drillId, status });
    }
    return results;
  };
}

export const sweeperFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'sweepLeftovers',
  options: {
    schedule: '%DRILL_SWEEP_SCHEDULE%',
    handler: async (timer, context) => {
      const services = appServices();
      await createSweeper({
        reports: () => services.reports,
        cleanup: (input) =>
          services.activities[ACTIVITIES.cleanupDrill](input) as Promise<ActivityResult<CleanupAction[]>>,
        afterHours: () => Number(services.config.DRILL_SWEEP_AFTER_HOURS ?? 24),
      })(timer, context);
    },
  },
};
