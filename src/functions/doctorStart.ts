/**
 * Starting a plan's scheduled doctor run (the planDoctor orchestration). One per plan and slot of its doctor
 * schedule: the instance id is plan + slot, so a timer retried after a crash finds the run it started. One run
 * of a plan at a time: while one still runs, a new slot starts nothing (the next slot checks again).
 */
import { doctorRunId, doctorRunPrefix } from '../lib/drill/instanceIds';
import type { NormalizedPlan } from '../lib/drill/plans';
import type { DrillSettings } from '../lib/drill/settings';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { DoctorRunInput } from '../orchestrators/planDoctor';
import { startOrFindWinner, type DrillClient } from './drillClient';

export type DoctorStart =
  | { started: true; runId: string }
  /** This slot's run exists already, or the plan's previous run still goes (runId: that one). */
  | { started: false; runId: string; reason: 'exists' | 'planRunning' };

export async function startDoctorRun(
  client: DrillClient,
  settings: DrillSettings,
  plan: NormalizedPlan,
  slot: Date,
): Promise<DoctorStart> {
  const runId = doctorRunId(plan.name, slot);
  if (await client.getStatus(runId)) return { started: false, runId, reason: 'exists' };
  const running = (await client.listActive()).find(
    (a) => a.name === ORCHESTRATORS.planDoctor && a.instanceId.startsWith(doctorRunPrefix(plan.name)),
  );
  if (running) return { started: false, runId: running.instanceId, reason: 'planRunning' };
  const input: DoctorRunInput = { runId, plan, slot: slot.toISOString(), settings };
  if (await startOrFindWinner(client, ORCHESTRATORS.planDoctor, runId, input))
    return { started: false, runId, reason: 'exists' };
  return { started: true, runId };
}
