/**
 * Starting a drill: the one way every trigger (HTTP, queue, timer) starts one. The drill's instance id comes
 * from src/lib/drill/instanceIds.ts, so a trigger that is retried — a redelivered message, a repeated request
 * with the same idempotency key, a timer firing twice for one slot — finds the drill it already started
 * instead of starting a second restore; two concurrent starts of the same drill end with one drill.
 */
import type { InvocationContext } from '@azure/functions';
import { nameCollision, type NameCollision } from '../lib/drill/collisions';
import { drillInstanceId, type DrillOrigin } from '../lib/drill/instanceIds';
import type { DrillInput, DrillTrigger, NormalizedRequest } from '../lib/drill/request';
import type { DrillSettings } from '../lib/drill/settings';
import { ORCHESTRATORS } from '../orchestrators/names';
import { startOrFindWinner, type DrillClient, type DrillInstance } from './drillClient';

export type StartOutcome =
  | { started: true; drillId: string }
  /** The drill of this trigger already exists (running or finished): nothing was started. */
  | { started: false; drillId: string; existing: DrillInstance }
  /** A running drill uses names this one could be confused with: nothing was started. */
  | { started: false; drillId: string; collision: NameCollision };

function triggerOf(origin: DrillOrigin): DrillTrigger {
  if (origin.kind === 'timer') return { kind: 'timer', plan: origin.plan, slot: origin.slot.toISOString() };
  if (origin.kind === 'alert')
    return { kind: 'alert', plan: origin.plan, alertId: origin.alertId, alertRule: origin.alertRule };
  return { kind: origin.kind };
}

export async function startDrill(
  client: DrillClient,
  settings: DrillSettings,
  request: NormalizedRequest,
  origin: DrillOrigin,
  context: InvocationContext,
): Promise<StartOutcome> {
  const drillId = drillInstanceId(origin, request.idempotencyKey);
  const existing = await client.getStatus(drillId);
  if (existing) return { started: false, drillId, existing };
  const live = (await client.listActive())
    .filter((a) => a.name === ORCHESTRATORS.restoreDrill)
    .map((a) => a.input as Partial<DrillInput> | undefined)
    .filter((i): i is DrillInput => !!i && typeof i.drillId === 'string' && !!i.request?.target);
  const collision = nameCollision({ drillId, request }, live);
  if (collision) {
    context.warn(
      JSON.stringify({
        message: 'drill refused: its names collide with a running drill',
        drillId,
        runningDrillId: collision.drillId,
        what: collision.what,
      }),
    );
    return { started: false, drillId, collision };
  }
  const input: DrillInput = { drillId, request, trigger: triggerOf(origin), settings };
  const winner = await startOrFindWinner(client, ORCHESTRATORS.restoreDrill, drillId, input);
  if (winner) return { started: false, drillId, existing: winner };
  context.log(
    JSON.stringify({
      message: 'drill started',
      drillId,
      trigger: origin.kind,
      ...(origin.kind === 'timer' || origin.kind === 'alert' ? { plan: origin.plan } : {}),
      ...(origin.kind === 'alert' ? { alertId: origin.alertId } : {}),
      ...(origin.kind === 'queue' && origin.messageId ? { messageId: origin.messageId } : {}),
    }),
  );
  return { started: true, drillId };
}
