/**
 * Starting a fleet run: the one way the timer (a fleet plan's slot), HTTP (a plan run now) and an alert start
 * one. One scheduled or on-demand run of a plan at a time: while one runs, another start answers with it
 * instead of starting a second. An alert's run is its own (the alert is why it runs now): its id comes from the
 * alert (a Service Health incident's trackingId), so the same alert delivered twice, or an update of the same
 * incident, finds the run it already started. One alert run of a plan at a time too: while one runs, another
 * alert is answered with it (its drills would restore onto the same targets).
 */
import type { AlertRun } from '../lib/drill/alertTriggers';
import { alertFleetId, fleetInstanceId, incidentFleetId } from '../lib/drill/instanceIds';
import type { FleetPlan } from '../lib/drill/plans';
import type { DrillSettings } from '../lib/drill/settings';
import type { FleetInput } from '../orchestrators/fleetDrill';
import { ORCHESTRATORS } from '../orchestrators/names';
import { startOrFindWinner, type DrillClient } from './drillClient';

export type FleetStart =
  | { started: true; fleetId: string }
  /** This slot's run already exists, or another run of the plan is still going: nothing was started. */
  | { started: false; fleetId: string; reason: 'exists' | 'planRunning' | 'alertRunRunning' };

export async function startFleet(
  client: DrillClient,
  settings: DrillSettings,
  plan: FleetPlan,
  origin: { slot: Date } | { newId: () => string; now: Date } | { alert: AlertRun; now: Date },
  options: Pick<FleetInput, 'drillsPerGeneration'> = {},
): Promise<FleetStart> {
  const fleetId = !('alert' in origin)
    ? fleetInstanceId(plan.name, origin)
    : origin.alert.trackingId
      ? incidentFleetId(plan.name, origin.alert.trackingId)
      : alertFleetId(plan.name, origin.alert.alertId);
  if (await client.getStatus(fleetId)) return { started: false, fleetId, reason: 'exists' };
  // Scheduled and on-demand runs wait for each other; alert runs wait for alert runs (an alert must not wait
  // for the calendar, nor start a second run over the same targets while one is restoring).
  const isAlert = 'alert' in origin;
  const running = (await client.listActive()).find((a) => {
    const running = a.input as Partial<FleetInput> | undefined;
    return (
      a.name === ORCHESTRATORS.fleetDrill && running?.plan?.name === plan.name && !!running.alert === isAlert
    );
  });
  if (running)
    return {
      started: false,
      fleetId: running.instanceId,
      reason: isAlert ? 'alertRunRunning' : 'planRunning',
    };
  const slot = 'slot' in origin ? origin.slot : origin.now;
  const input: FleetInput = {
    fleetId,
    plan,
    slot: slot.toISOString(),
    settings,
    ...options,
    ...('alert' in origin ? { alert: origin.alert } : {}),
  };
  if (await startOrFindWinner(client, ORCHESTRATORS.fleetDrill, fleetId, input))
    return { started: false, fleetId, reason: 'exists' };
  return { started: true, fleetId };
}
