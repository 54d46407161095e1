/**
 * The standalone host's start checks (src/host/startChecks.ts): which storage endpoints it probes, from each
 * form of the storage settings, and the one line a failed start prints.
 */
import { describe, expect, it } from 'vitest';
import { storageConnectionString } from '../../src/app/services';
import { startErrorLine, storageEndpoints } from '../../src/host/startChecks';
import { loadConfig } from '../../src/lib/config';
import { AppError, ConfigError } from '../../src/lib/errors';

describe('host start checks', () => {
  it('Azurite (UseDevelopmentStorage=true): its three local endpoints, named by AzureWebJobsStorage', () => {
    const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(storageEndpoints(config, storageConnectionString(config))).toEqual([
      { setting: 'AzureWebJobsStorage', service: 'blob', url: 'http://127.0.0.1:10000/devstoreaccount1' },
      { setting: 'AzureWebJobsStorage', service: 'queue', url: 'http://127.0.0.1:10001/devstoreaccount1' },
      { setting: 'AzureWebJobsStorage', service: 'table', url: 'http://127.0.0.1:10002/devstoreaccount1' },
    ]);
  });

  it('an account connection string: the endpoints its account name and suffix imply', () => {
    const cs =
      'DefaultEndpointsProtocol=https;AccountName=drillstore;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    const config = loadConfig({ AzureWebJobsStorage: cs });
    expect(storageEndpoints(config, cs).map((e) => e.url)).toEqual([
      'https://drillstore.blob.core.windows.net',
      'https://drillstore.queue.core.windows.net',
      'https://drillstore.table.core.windows.net',
    ]);
  });

  it('identity-based settings: each URI, named by its own setting', () => {
    const config = loadConfig({
      AzureWebJobsStorage__blobServiceUri: 'https://s.blob.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://s.table.core.windows.net',
    });
    expect(storageEndpoints(config, undefined)).toEqual([
      {
        setting: 'AzureWebJobsStorage__blobServiceUri',
        service: 'blob',
        url: 'https://s.blob.core.windows.net',
      },
      {
        setting: 'AzureWebJobsStorage__tableServiceUri',
        service: 'table',
        url: 'https://s.table.core.windows.net',
      },
    ]);
  });

  it('the one line: a port taken after the check names DRILL_HOST_PORT; an AppError adds its fix; no stack unless asked', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7071'), {
      code: 'EADDRINUSE',
      port: 7071,
    });
    expect(startErrorLine(inUse)).toBe(
      'error: port 7071 is in use: set DRILL_HOST_PORT to a free port (0 picks any)',
    );
    const own = new AppError('X', 'the thing is off', { recommendedActions: ['turn it on'] });
    expect(startErrorLine(own)).toBe('error: the thing is off; fix: turn it on');
    const config = new ConfigError('set AzureWebJobsStorage');
    expect(startErrorLine(config).split('\n')).toHaveLength(1);
    expect(startErrorLine(new Error('two\nlines'))).toBe('error: two lines');
    expect(startErrorLine(new Error('boom'), { debug: true })).toMatch(/^error: boom\nError: boom\n\s+at /);
  });
});
