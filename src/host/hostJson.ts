/**
 * The queue-trigger settings the standalone host takes from host.json (extensions.queues), as the Functions
 * host does, with the app-setting overrides Azure honours (AzureFunctionsJobHost__extensions__queues__*):
 * deliveries before a message is poisoned, the wait before a failed message is delivered again, and the
 * longest wait between polls of an empty queue. Pure: the caller reads the file.
 */
import type { AppConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';

export interface QueueTriggerSettings {
  maxDequeueCount: number;
  /** How long a failed message stays invisible before its next delivery. */
  visibilityTimeoutSeconds: number;
  /** The longest wait between polls of an empty queue. */
  maxPollingIntervalMs: number;
}

/** The Functions defaults for what host.json leaves out. */
const DEFAULTS: QueueTriggerSettings = {
  maxDequeueCount: 5,
  visibilityTimeoutSeconds: 0,
  maxPollingIntervalMs: 60_000,
};

/** hh:mm:ss (as host.json writes a TimeSpan) in seconds. */
function timeSpanSeconds(value: unknown, where: string): number {
  const m = typeof value === 'string' ? /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(value) : null;
  if (!m)
    throw new ConfigError(
      `${where} must be a time span hh:mm:ss (for example 00:00:30), not ${JSON.stringify(value)}`,
    );
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function queueTriggerSettings(
  hostJson: unknown,
  config: Pick<
    AppConfig,
    | 'AzureFunctionsJobHost__extensions__queues__maxDequeueCount'
    | 'AzureFunctionsJobHost__extensions__queues__visibilityTimeout'
    | 'AzureFunctionsJobHost__extensions__queues__maxPollingInterval'
  >,
): QueueTriggerSettings {
  const queues =
    (hostJson as { extensions?: { queues?: Record<string, unknown> } } | undefined)?.extensions?.queues ?? {};
  const dequeue =
    config.AzureFunctionsJobHost__extensions__queues__maxDequeueCount ??
    queues.maxDequeueCount ??
    DEFAULTS.maxDequeueCount;
  if (typeof dequeue !== 'number' || !Number.isInteger(dequeue) || dequeue < 1)
    throw new ConfigError(
      `host.json extensions.queues.maxDequeueCount must be a whole number ≥ 1, not ${JSON.stringify(dequeue)}`,
    );
  const visibility =
    config.AzureFunctionsJobHost__extensions__queues__visibilityTimeout ?? queues.visibilityTimeout;
  const polling =
    config.AzureFunctionsJobHost__extensions__queues__maxPollingInterval ?? queues.maxPollingInterval;
  return {
    maxDequeueCount: dequeue,
    visibilityTimeoutSeconds:
      visibility === undefined
        ? DEFAULTS.visibilityTimeoutSeconds
        : timeSpanSeconds(visibility, 'extensions.queues.visibilityTimeout'),
    maxPollingIntervalMs:
      polling === undefined
        ? DEFAULTS.maxPollingIntervalMs
        : Math.max(100, timeSpanSeconds(polling, 'extensions.queues.maxPollingInterval') * 1000),
  };
}
