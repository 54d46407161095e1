/**
 * Timer trigger: starts due drill plans (DRILL_PLANS). Each plan starts at most once per schedule slot (the
 * instance id is plan + slot); a plan whose previous drill still runs is skipped, and the skip is recorded
 * in the drill history table.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/deps';
import { drillSettings } from '../app/settings';
import { planInstanceId, planInstancePrefix } from '../lib/drill/names';
import { dueSlot, parsePlans, type NormalizedPlan } from '../lib/drill/plans';
import type { DrillInput, DrillSettings } from '../lib/drill/request';
import type { PlanSkip } from '../lib/storage/reportStore';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { TimerFunctionDefinition } from './definitions';
import { durableClientFactory, type ClientFactory } from './drillClient';

export interface PlanRun {
  plan: string;
  slot: string;
  outcome: 'started' | 'alreadyStarted' | 'skipped' | 'notDue' | 'disabled';
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
      const instanceId = planInstanceId(plan.name, slot);
      if (await client.getStatus(instanceId)) {
        runs.push({ plan: plan.name, slot: slot.toISOString(), outcome: 'alreadyStarted', instanceId });
        continue;
      }
      const running = active.find(
        (a) =>
          a.instanceId.startsWith(planInstancePrefix(plan.name)) && a.name === ORCHESTRATORS.restoreDrill,
      );
      if (running) {
        await deps.recordSkip({
          plan: plan.name,
          slot: slot.toISOString(),
          reason: 'the previous drill of this plan is still running',
          runningInstanceId: running.instanceId,
        });
        context.warn(
          JSON.stringify({
            message: 'plan skipped: previous drill still running',
            plan: plan.name,
            slot: slot.toISOString(),
            running: running.instanceId,
          }),
        );
        runs.push({
          plan: plan.name,
          slot: slot.toISOString(),
          outcome: 'skipped',
          instanceId: running.instanceId,
        });
        continue;
      }
      const drillInput: DrillInput = {
        drillId: instanceId,
        request: plan.request,
        trigger: { kind: 'timer', plan: plan.name, slot: slot.toISOString() },
        settings: deps.settings(),
      };
      await client.startNew(ORCHESTRATORS.restoreDrill, instanceId, drillInput);
      context.log(
        JSON.stringify({ message: 'drill started', drillId: instanceId, trigger: 'timer', plan: plan.name }),
      );
      runs.push({ plan: plan.name, slot: slot.toISOString(), outcome: 'started', instanceId });
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
        settings: () => drillSettings(services.config),
        plans: () => parsePlans(services.config.DRILL_PLANS),
        recordSkip: (skip) => services.reports.recordSkip(skip),
      })(timer, context);
    },
  },
};
