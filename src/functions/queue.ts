/**
 * Queue trigger on drill-requests: event-triggered drills. The message is a drill request, or an Event
 * Grid / CloudEvents envelope whose data is one. An invalid message is not retried (it would never become
 * valid): it goes straight to the poison queue, unchanged, with the validation error logged.
 */
import { output, type InvocationContext, type StorageQueueOutput } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import { parseDrillRequest } from '../lib/drill/request';
import type { DrillSettings } from '../lib/drill/settings';
import { AppError, ValidationError } from '../lib/errors';
import type { QueueFunctionDefinition } from './definitions';
import { durableClientFactory, type ClientFactory } from './drillClient';
import { startDrill } from './drillStart';

export const DRILL_QUEUE = 'drill-requests';
export const POISON_QUEUE = `${DRILL_QUEUE}-poison`;

/** The drill request inside a message: the message itself, or the data of an Event Grid or CloudEvents envelope. */
export function unwrapEnvelope(message: unknown): unknown {
  const one: unknown = Array.isArray(message) && message.length === 1 ? (message as unknown[])[0] : message;
  if (one && typeof one === 'object' && 'data' in one) {
    const o = one as Record<string, unknown>;
    const eventGrid = 'eventType' in o && 'subject' in o;
    const cloudEvent = 'specversion' in o && 'type' in o;
    if (eventGrid || cloudEvent) return typeof o.data === 'string' ? JSON.parse(o.data) : o.data;
  }
  return one;
}

export interface DrillQueueDeps {
  clientFor: ClientFactory;
  settings: () => DrillSettings;
  poison: StorageQueueOutput;
}

export function createDrillQueueHandler(deps: DrillQueueDeps) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const messageId =
      typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : undefined;
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    let request;
    try {
      const body: unknown = typeof message === 'string' ? JSON.parse(message) : message;
      request = parseDrillRequest(unwrapEnvelope(body), 'queue message');
    } catch (err) {
      const errors =
        err instanceof ValidationError
          ? err.errors
          : [{ pointer: '', message: `not JSON: ${(err as Error).message}` }];
      context.error(
        JSON.stringify({
          message: 'invalid drill request message: moved to the poison queue',
          messageId,
          queue: POISON_QUEUE,
          errors,
        }),
      );
      context.extraOutputs.set(deps.poison, text);
      return;
    }
    // Redelivery of the same message (a crash after start) must not start a second drill: the drill id comes
    // from the message (src/lib/drill/instanceIds.ts).
    const outcome = await startDrill(
      deps.clientFor(context),
      deps.settings(),
      request,
      { kind: 'queue', ...(messageId ? { messageId } : {}), messageText: text },
      context,
    );
    if (!outcome.started && 'collision' in outcome)
      // Not the message's fault, and it may pass: let the queue deliver it again later (then poison).
      throw new AppError(
        'NameInUse',
        `the drill's ${outcome.collision.what} collides with running drill ${outcome.collision.drillId}; the message will be retried`,
        { isRetryable: true },
      );
    if (!outcome.started)
      context.log(
        JSON.stringify({
          message: 'drill already started for this message',
          drillId: outcome.drillId,
          messageId,
        }),
      );
  };
}

const poison = output.storageQueue({ queueName: POISON_QUEUE, connection: 'AzureWebJobsStorage' });

export const drillQueueFunction: QueueFunctionDefinition = {
  kind: 'queue',
  name: 'drillQueue',
  options: {
    queueName: DRILL_QUEUE,
    connection: 'AzureWebJobsStorage',
    extraInputs: [input.durableClient()],
    extraOutputs: [poison],
    handler: createDrillQueueHandler({
      clientFor: durableClientFactory,
      settings: () => appServices().settings,
      poison,
    }),
  },
};
