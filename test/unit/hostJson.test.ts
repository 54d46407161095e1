/**
 * The standalone host's queue-trigger settings come from host.json (extensions.queues), with the app-setting
 * overrides Azure honours, and the Functions defaults for what neither gives; a bad value names its place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueTriggerSettings } from '../../src/host/hostJson';
import { loadConfig } from '../../src/lib/config';

const hostJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as unknown;

describe('queue trigger settings', () => {
  it("the project's host.json: 5 deliveries, 30 s between them, an empty queue polled at least every 2 s", () => {
    expect(queueTriggerSettings(hostJson, loadConfig({}))).toEqual({
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 30,
      maxPollingIntervalMs: 2000,
    });
  });

  it('without host.json: the Functions defaults (5, no delay, 1 minute)', () => {
    expect(queueTriggerSettings(undefined, loadConfig({}))).toEqual({
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 0,
      maxPollingIntervalMs: 60_000,
    });
  });

  it('AzureFunctionsJobHost__extensions__queues__* app settings override host.json', () => {
    const config = loadConfig({
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:01:05',
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:01',
    });
    expect(queueTriggerSettings(hostJson, config)).toEqual({
      maxDequeueCount: 2,
      visibilityTimeoutSeconds: 65,
      maxPollingIntervalMs: 1000,
    });
  });

  it('a bad value is refused naming the setting or the host.json field', () => {
    expect(() => loadConfig({ AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '0' })).toThrow(
      /AzureFunctionsJobHost__extensions__queues__maxDequeueCount/,
    );
    expect(() => loadConfig({ AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '30s' })).toThrow(
      /AzureFunctionsJobHost__extensions__queues__visibilityTimeout/,
    );
    expect(() =>
      queueTriggerSettings({ extensions: { queues: { visibilityTimeout: '30 seconds' } } }, loadConfig({})),
    ).toThrow(/extensions\.queues\.visibilityTimeout must be a time span hh:mm:ss/);
    expect(() =>
      queueTriggerSettings({ extensions: { queues: { maxDequeueCount: 'five' } } }, loadConfig({})),
    ).toThrow(/extensions\.queues\.maxDequeueCount must be a whole number/);
  });
});
