/**
 * Timer trigger: starts due drill plans (DRILL_PLANS). Each plan starts at most once per schedule slot (the
 * instance id is plan + slot); a plan whose previous drill still runs is skipped, and the skip is recorded
 * in the drill history table. A plan with a doctor schedule also starts its pre-flight doctor run once per
 * slot of that schedule (src/functions/doctorStart.ts).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import { planInstanceId, planInstancePrefix } from '../lib/drill/instanceIds';
import { doctorDueSlot, dueSlot, type NormalizedPlan } from '../lib/drill/plans';
import type { DrillSettings } from '../lib/drill/settings';
import type { PlanSkip } from '../lib/storage/reportStore';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { TimerFunctionDefinition } from './definitions';
import { startDoctorRun } from './doctorStart';
import { durableClientFactory, type ClientFactory } from './drillClient';
import { startDrill } from './drillStart';
import { startFleet } from './fleetStart';
import { goodPlans } from './planSet';

export interface PlanRun {
  plan: string;
  slot: string;
  outcome:
    | 'started'
    | 'alreadyStarted'
    | 'skipped'
    | 'notDue'
    | 'disabled'
    | 'nameInUse'
    | 'fleetStarted'
    | 'doctorStarted'
    | 'doctorAlreadyStarted'
    | 'doctorSkipped';
  instanceId?: string;
}

export interface DrillTimerDeps {
  clientFor: ClientFactory;
  settings: () => DrillSettings;
  plans: () => NormalizedPlan[];
  recordSkip: (skip: PlanSkip) => Promise<void>;
  now?: () => Date;
}

export function createDrillTimerHandler(deps: DrillTimerDeps) {
  return async (_timer: Timer, context: InvocationContext): Promise<PlanRun[]> => {
    const now = deps.now?.() ?? new Date();
    const plans = deps.plans();
    const client = deps.clientFor(context);
    const active = await client.listActive();
    const runs: PlanRun[] = [];
    for (const plan of plans) {
      if (!plan.enabled) {
        runs.push({ plan: plan.name, slot: '', outcome: 'disabled' });
        continue;
      }
      const slot = dueSlot(plan, now);
      if (!slot) {
        runs.push({ plan: plan.name, slot: '', outcome: 'notDue' });
        continue;
      }
      const at = slot.toISOString();
      if (plan.kind === 'fleet') {
        // A fleet plan's slot starts a fleet run (one per slot; none while the plan's last run still goes).
        const fleet = await startFleet(client, deps.settings(), plan, { slot });
        if (!fleet.started && fleet.reason === 'planRunning')
          await deps.recordSkip({
            plan: plan.name,
            slot: at,
            reason: 'the previous fleet run of this plan is still running',
            runningInstanceId: fleet.fleetId,
          });
        runs.push({
          plan: plan.name,
          slot: at,
          outcome: fleet.started ? 'fleetStarted' : fleet.reason === 'exists' ? 'alreadyStarted' : 'skipped',
          instanceId: fleet.fleetId,
        });
        continue;
      }
      // One drill of a plan at a time: a slot whose previous drill still runs is skipped (and recorded).
      const running = active.find(
        (a) =>
          a.instanceId.startsWith(planInstancePrefix(plan.name)) && a.name === ORCHESTRATORS.restoreDrill,
      );
      if (running && running.instanceId !== planInstanceId(plan.name, slot)) {
        await deps.recordSkip({
          plan: plan.name,
          slot: at,
          reason: 'the previous drill of this plan is still running',
          runningInstanceId: running.instanceId,
        });
        context.warn(
          JSON.stringify({
            message: 'plan skipped: previous drill still running',
            plan: plan.name,
            slot: at,
            running: running.instanceId,
          }),
        );
        runs.push({ plan: plan.name, slot: at, outcome: 'skipped', instanceId: running.instanceId });
        continue;
      }
      const outcome = await startDrill(
        client,
        deps.settings(),
        plan.request,
        { kind: 'timer', plan: plan.name, slot },
        context,
      );
      if (!outcome.started && 'collision' in outcome)
        await deps.recordSkip({
          plan: plan.name,
          slot: at,
          reason: `its ${outcome.collision.what} collides with running drill ${outcome.collision.drillId}`,
          runningInstanceId: outcome.collision.drillId,
        });
      runs.push({
        plan: plan.name,
        slot: at,
        outcome: outcome.started ? 'started' : 'collision' in outcome ? 'nameInUse' : 'alreadyStarted',
        instanceId: outcome.drillId,
      });
    }
    // Doctor schedules: a plan's pre-flight checks run on their own slots, whatever its drills do.
    for (const plan of plans) {
      const slot = plan.enabled ? doctorDueSlot(plan, now) : undefined;
      if (!slot) continue;
      const doctor = await startDoctorRun(client, deps.settings(), plan, slot);
      if (!doctor.started && doctor.reason === 'planRunning')
        context.warn(
          JSON.stringify({
            message: 'doctor run skipped: the previous doctor run of this plan is still running',
            plan: plan.name,
            slot: slot.toISOString(),
            running: doctor.runId,
          }),
        );
      else if (doctor.started)
        context.log(JSON.stringify({ message: 'doctor run started', plan: plan.name, runId: doctor.runId }));
      runs.push({
        plan: plan.name,
        slot: slot.toISOString(),
        outcome: doctor.started
          ? 'doctorStarted'
          : doctor.reason === 'exists'
            ? 'doctorAlreadyStarted'
            : 'doctorSkipped',
        instanceId: doctor.runId,
      });
    }
    return runs;
  };
}

export const drillTimerFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'drillPlans',
  options: {
    schedule: '%DRILL_TIMER_SCHEDULE%',
    extraInputs: [input.durableClient()],
    handler: async (timer, context) => {
      const services = appServices();
      await createDrillTimerHandler({
        clientFor: durableClientFactory,
        settings: () => services.settings,
        plans: () => goodPlans(services.plans(), context),
        recordSkip: (skip) => services.reports.recordSkip(skip),
      })(timer, context);
    },
  },
};
