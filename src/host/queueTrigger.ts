/**
 * Queue triggers in the standalone host, as the Functions host runs them (settings from host.json, see
 * hostJson.ts): messages polled from Azure Storage (Azurite locally) and hidden while they are handled, base64
 * text decoded, the handler's outputs sent, the message deleted when the handler succeeded; a failed message is
 * delivered again after `visibilityTimeoutSeconds`, and one that failed `maxDequeueCount` times goes to
 * {queue}-poison unchanged. An empty queue is polled less and less often, up to `maxPollingIntervalMs`.
 */
import type { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';
import { jsonNesting } from '../lib/json';
import type { QueueFunctionDefinition } from '../functions/definitions';
import type { QueueTriggerSettings } from './hostJson';
import { logFailure } from './invocation';

export interface QueueTriggerOptions {
  service: QueueServiceClient;
  /** For blob output bindings (poison messages too large for a queue message). */
  blobs?: BlobServiceClient;
  context: (def: QueueFunctionDefinition, triggerMetadata: Record<string, unknown>) => InvocationContext;
  log: (line: Record<string, unknown>) => void;
  /** From host.json; the Functions defaults otherwise (5, 0 s, 1 min). */
  settings?: Partial<QueueTriggerSettings>;
}

/** How long a received message stays hidden while the handler runs (a crashed host's message comes back). */
const LEASE_SECONDS = 5 * 60;
const MIN_POLL_MS = 100;

/** Queue triggers read base64 messages (the Functions default); plain text is taken as is. */
export function decodeQueueText(text: string): string {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (!decoded.includes('\ufffd') && Buffer.from(decoded, 'utf8').toString('base64') === text)
      return decoded;
  }
  return text;
}

async function writeBlob(blobs: BlobServiceClient, path: string, value: unknown): Promise<void> {
  const [container, ...name] = path.split('/');
  const client = blobs.getContainerClient(container!);
  await client.createIfNotExists();
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  await client.getBlockBlobClient(name.join('/')).upload(text, Buffer.byteLength(text));
}

const toBase64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

/** Starts polling the queue of `def`; returns the function that stops it. */
export function startQueueTrigger(def: QueueFunctionDefinition, options: QueueTriggerOptions): () => void {
  const { service, log } = options;
  const queue = service.getQueueClient(def.options.queueName);
  const poison = service.getQueueClient(`${def.options.queueName}-poison`);
  const maxDequeue = options.settings?.maxDequeueCount ?? 5;
  const retryDelaySeconds = options.settings?.visibilityTimeoutSeconds ?? 0;
  const maxPollMs = options.settings?.maxPollingIntervalMs ?? 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let idleMs = MIN_POLL_MS;

  /** Handles what the queue holds now; says whether it held anything. */
  const poll = async (): Promise<boolean> => {
    await queue.createIfNotExists();
    await poison.createIfNotExists();
    let found = false;
    while (!stopped) {
      const { receivedMessageItems } = await queue.receiveMessages({
        numberOfMessages: 16,
        visibilityTimeout: LEASE_SECONDS,
      });
      if (receivedMessageItems.length === 0) break;
      found = true;
      for (const m of receivedMessageItems) {
        if (stopped) return found;
        const text = decodeQueueText(m.messageText);
        let payload: unknown = text;
        // JSON is handed over parsed, as the Functions host does; text too deep to parse safely stays text.
        if (jsonNesting(text) <= 64) {
          try {
            payload = JSON.parse(text);
          } catch {
            /* a plain string message */
          }
        }
        const outputs = def.options.extraOutputs ?? [];
        const ctx = options.context(def, {
          id: m.messageId,
          dequeueCount: m.dequeueCount,
          insertionTime: m.insertedOn?.toISOString(),
          queueTrigger: text,
        });
        try {
          await def.options.handler(payload, ctx);
          // Blob outputs first: a queue message may point to one.
          for (const o of [...outputs].sort(
            (a, b) => Number(b.type === 'blob') - Number(a.type === 'blob'),
          )) {
            const value = ctx.extraOutputs.get(o);
            if (value === undefined) continue;
            const queueName = (o as { queueName?: string }).queueName;
            const blobPath = (o as { path?: string }).path;
            if (o.type === 'blob' && blobPath && options.blobs) {
              await writeBlob(
                options.blobs,
                blobPath.replaceAll('{id}', m.messageId).replaceAll('{rand-guid}', randomUUID()),
                value,
              );
            } else if (queueName) {
              const target = service.getQueueClient(queueName);
              await target.createIfNotExists();
              await target.sendMessage(toBase64(value));
            }
          }
          await queue.deleteMessage(m.messageId, m.popReceipt);
        } catch (err) {
          log({
            level: 'error',
            function: def.name,
            message: 'queue message failed',
            messageId: m.messageId,
            dequeueCount: m.dequeueCount,
            error: (err as Error).message,
          });
          if (m.dequeueCount >= maxDequeue) {
            await poison.sendMessage(toBase64(text));
            await queue.deleteMessage(m.messageId, m.popReceipt);
            log({
              level: 'warning',
              function: def.name,
              message: `moved to ${def.options.queueName}-poison after ${m.dequeueCount} attempts`,
              messageId: m.messageId,
            });
          } else {
            // Delivered again after the retry delay (host.json visibilityTimeout), not after the whole lease.
            await queue.updateMessage(m.messageId, m.popReceipt, undefined, retryDelaySeconds);
          }
        }
      }
    }
    return found;
  };

  const loop = (): void => {
    if (stopped) return;
    poll()
      .then((found) => (idleMs = found ? MIN_POLL_MS : Math.min(idleMs * 2, maxPollMs)))
      .catch((err: unknown) => {
        idleMs = Math.min(idleMs * 2, maxPollMs);
        logFailure(log, def.name, 'queue poll failed')(err);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, idleMs);
      });
  };
  loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
