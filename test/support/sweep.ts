/**
 * The sweeper run by a test over one drill's report, as if the drill had ended two days ago: the real sweeper
 * function with the rig's report store and real cleanup activity.
 */
import { InvocationContext } from '@azure/functions';
import { expect } from 'vitest';
import { createSweeper } from '../../src/functions/sweeper';
import type { DrillReport } from '../../src/lib/drill/report';
import type { DrillRig } from './drill';

/** Sweeps `report`'s drill now; expects the sweeper to finish its cleanup. */
export async function sweepDrill(rig: DrillRig, report: DrillReport): Promise<void> {
  await rig.reports.save({ ...report, endedAt: new Date(Date.now() - 48 * 3600_000).toISOString() });
  const sweeper = createSweeper({
    reports: () => rig.reports,
    cleanup: (input) => rig.activities.cleanupDrill(input),
    afterHours: () => 24,
  });
  const results = await sweeper({} as never, new InvocationContext({ functionName: 'sweep' }));
  expect(results.filter((r) => r.drillId === report.drillId)).toEqual([
    { drillId: report.drillId, status: 'done' },
  ]);
}
