/**
 * Queue trigger on drill-requests: event-triggered drills. The message is a drill request, or an Event
 * Grid / CloudEvents envelope whose data is one, or an Azure Monitor alert in the common alert schema (its
 * schemaId says so), which is handled as POST /api/alerts handles it (src/functions/alerts.ts). An invalid message is not retried (it would never become
 * valid): it goes straight to the poison queue as the original text, byte for byte, with the validation error
 * logged; a message too large to copy into a queue message is kept as a blob, and the poison message points
 * to it. Size and nesting are checked before the text is parsed.
 */
import {
  output,
  type InvocationContext,
  type StorageBlobOutput,
  type StorageQueueOutput,
} from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import { isCommonAlert, parseMonitorAlert, type ParsedAlert } from '../lib/drill/alertTriggers';
import { MAX_REQUEST_BYTES, parseDrillRequest, type NormalizedRequest } from '../lib/drill/request';
import { duplicateKey, jsonNesting, MAX_NESTING } from '../lib/json';
import type { DrillSettings } from '../lib/drill/settings';
import { AppError, ValidationError } from '../lib/errors';
import type { QueueFunctionDefinition } from './definitions';
import { appAlertDeps, handleAlert, type AlertDeps } from './alerts';
import { durableClientFactory, type ClientFactory } from './drillClient';
import { startDrill } from './drillStart';

export const DRILL_QUEUE = 'drill-requests';
export const POISON_QUEUE = `${DRILL_QUEUE}-poison`;
/** Where poison messages too large for a queue message are kept. */
export const POISON_CONTAINER = `${DRILL_QUEUE}-poison`;
/** A poison message is copied inline up to this size (a queue message holds 64 KiB of base64). */
export const POISON_INLINE_BYTES = 45 * 1024;

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
  /** Blob output for poison messages too large to copy ({id}: the message id). */
  poisonBlob: StorageBlobOutput;
  /** What alerts on the queue start (DRILL_ALERT_TRIGGERS); absent: alerts are logged and ignored. */
  alerts?: (context: InvocationContext) => AlertDeps;
}

/** The original text of the message: as the trigger received it, else the payload as the runtime gave it. */
function originalText(message: unknown, context: InvocationContext): string {
  const raw = context.triggerMetadata?.queueTrigger;
  if (typeof raw === 'string') return raw;
  return typeof message === 'string' ? message : JSON.stringify(message);
}

export function createDrillQueueHandler(deps: DrillQueueDeps) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const messageId =
      typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : undefined;
    const text = originalText(message, context);
    let request: NormalizedRequest | undefined;
    let alert: ParsedAlert | undefined;
    let isAlert = false;
    try {
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_REQUEST_BYTES)
        throw new ValidationError('queue message', [
          { pointer: '', message: `is ${bytes} bytes; a drill request is at most ${MAX_REQUEST_BYTES}` },
        ]);
      if (jsonNesting(text) > MAX_NESTING)
        throw new ValidationError('queue message', [
          { pointer: '', message: `nests deeper than ${MAX_NESTING} levels; a drill request does not` },
        ]);
      const parsed: unknown = JSON.parse(text);
      const twice = duplicateKey(text);
      if (twice !== undefined)
        throw new ValidationError('queue message', [
          { pointer: twice, message: 'is given twice: give each field once' },
        ]);
      const content = unwrapEnvelope(parsed);
      isAlert = isCommonAlert(content);
      if (isAlert) alert = parseMonitorAlert(content, 'queue message');
      else request = parseDrillRequest(content, 'queue message');
    } catch (err) {
      const errors =
        err instanceof ValidationError
          ? err.errors
          : [{ pointer: '', message: `not JSON: ${(err as Error).message}` }];
      // The original text, byte for byte; too large for a queue message, it is kept as a blob instead.
      const inline = Buffer.byteLength(text) <= POISON_INLINE_BYTES;
      if (inline) context.extraOutputs.set(deps.poison, text);
      else {
        context.extraOutputs.set(deps.poisonBlob, text);
        context.extraOutputs.set(
          deps.poison,
          JSON.stringify({
            poisonBlob: `${POISON_CONTAINER}/${messageId ?? 'message'}.txt`,
            bytes: Buffer.byteLength(text),
            reason: 'the message was too large to copy into the poison queue',
          }),
        );
      }
      context.error(
        JSON.stringify({
          message: `invalid ${isAlert ? 'alert' : 'drill request'} message: moved to ${inline ? 'the poison queue' : 'a poison blob'}`,
          messageId,
          queue: POISON_QUEUE,
          errors: errors.slice(0, 20),
        }),
      );
      return;
    }
    if (alert) {
      if (!deps.alerts) {
        context.log(
          JSON.stringify({ message: 'alert ignored: alerts start no drill here', alertId: alert.alertId }),
        );
        return;
      }
      // The alert's drills are named by the alert: a redelivery, or the same alert by HTTP, starts nothing new.
      const done = await handleAlert(deps.alerts(context), deps.clientFor(context), alert, context);
      context.log(JSON.stringify({ message: 'alert handled', messageId, ...done }));
      const collided = (done.drills ?? []).filter((d) => d.reason === 'nameInUse');
      if (collided.length)
        // As a drill message's collision (below): the queue delivers the alert again later (then poison). Drills
        // it started already are found by their alert-derived ids then, and not started twice.
        throw new AppError(
          'NameInUse',
          `the alert's drill ${collided.map((d) => d.drillId).join(', ')} collides with a running drill's names; the message will be retried`,
          { isRetryable: true },
        );
      return;
    }
    if (!request) return;
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
const poisonBlob = output.storageBlob({
  path: `${POISON_CONTAINER}/{id}.txt`,
  connection: 'AzureWebJobsStorage',
});

export const drillQueueFunction: QueueFunctionDefinition = {
  kind: 'queue',
  name: 'drillQueue',
  options: {
    queueName: DRILL_QUEUE,
    connection: 'AzureWebJobsStorage',
    extraInputs: [input.durableClient()],
    extraOutputs: [poison, poisonBlob],
    handler: createDrillQueueHandler({
      clientFor: durableClientFactory,
      settings: () => appServices().settings,
      poison,
      poisonBlob,
      alerts: appAlertDeps,
    }),
  },
};
