/**
 * Runs the app in the standalone host from app settings (environment): the same function definitions Azure
 * Functions registers, orchestrations persisted in Azure Table storage (Azurite locally) and resumed after a
 * crash, queue and timer triggers, structured JSON log lines. `pgdrill serve` starts this.
 */
import { TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import type * as df from 'durable-functions';
import { appServices, setAppLog, storageConnectionString, type AppServices } from '../app/services';
import { functionDefinitions } from '../functions';
import { settingText } from '../lib/config';
import { blobService } from '../lib/storage/blobs';
import { ConfigError, ValidationError } from '../lib/errors';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RealClock } from './clock';
import { OrchestrationDriver } from './driver';
import { driverClient } from './driverClient';
import { queueTriggerSettings } from './hostJson';
import { StandaloneHost } from './server';
import { HubLease } from './hubLease';
import { TableInstanceStore } from './store';
import { checkPortFree, checkStorageReachable, startErrorLine, storageEndpoints } from './startChecks';

export interface RunningHost {
  url: string;
  /** The app's services, built from its settings. */
  services: AppServices;
  host: StandaloneHost;
  driver: OrchestrationDriver;
  stop(): Promise<void>;
}

/** The app's host.json: the nearest one above this file (dist/src/host or src/host), parsed. */
function readHostJson(): { path: string; json: unknown } | undefined {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = dirname(dir)) {
    const path = join(dir, 'host.json');
    if (!existsSync(path)) continue;
    try {
      return { path, json: JSON.parse(readFileSync(path, 'utf8')) as unknown };
    } catch (err) {
      throw new ConfigError(`${path} is not valid JSON (${(err as Error).message}): fix the file`);
    }
  }
  return undefined;
}

function logLine(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n');
}

export async function startStandaloneHost(
  options: { port?: number; log?: (line: Record<string, unknown>) => void } = {},
): Promise<RunningHost> {
  const log = options.log ?? logLine;
  setAppLog(log);
  const services = appServices();
  const { config, credential } = services;
  // A bad plan stops the standalone host at start, naming the field (in Azure each bad plan is logged).
  const planSet = services.plans();
  if (planSet.problems.length) throw new ValidationError('DRILL_PLANS', planSet.problems);
  const hostJson = readHostJson();
  const queueSettings = queueTriggerSettings(hostJson?.json, config);
  const hub = config.DURABLE_TASK_HUB_NAME;
  const cs = storageConnectionString(config);
  let store: TableInstanceStore;
  let queueService: QueueServiceClient | undefined;
  if (cs) {
    store = TableInstanceStore.fromConnectionString(cs, `${hub}Instances`);
    queueService = QueueServiceClient.fromConnectionString(cs);
  } else if (config.AzureWebJobsStorage__tableServiceUri) {
    store = new TableInstanceStore(
      new TableClient(config.AzureWebJobsStorage__tableServiceUri, `${hub}Instances`, credential),
    );
    if (config.AzureWebJobsStorage__queueServiceUri)
      queueService = new QueueServiceClient(config.AzureWebJobsStorage__queueServiceUri, credential);
  } else {
    throw new ConfigError(
      'set AzureWebJobsStorage (a connection string, or UseDevelopmentStorage=true for Azurite) or AzureWebJobsStorage__tableServiceUri: the host keeps orchestration state there',
    );
  }
  // Before anything is read or held: a taken port or unreachable storage is one line with its fix, at once.
  const port = options.port ?? config.DRILL_HOST_PORT;
  await checkPortFree(port);
  await checkStorageReachable(storageEndpoints(config, cs));
  const orchestrators: Record<string, df.OrchestrationHandler> = {};
  for (const d of functionDefinitions) if (d.kind === 'orchestration') orchestrators[d.name] = d.handler;
  const blobs = blobService({
    ...(cs ? { connectionString: cs } : {}),
    ...(config.AzureWebJobsStorage__blobServiceUri
      ? { serviceUri: config.AzureWebJobsStorage__blobServiceUri }
      : {}),
    credential,
  });
  // Before any state is read: no other host may be running this hub's instances.
  const lease = await HubLease.acquire({
    blobs,
    hub,
    log: (line) => log({ source: 'host', ...line }),
    onLost: (err) => {
      // Another host holds the hub now: stop at once, writing nothing (a clean stop would store this host's
      // state over the new holder's).
      log({ source: 'host', level: 'error', message: err.message, code: err.code });
      process.exit(1);
    },
  });
  const driver = new OrchestrationDriver({
    orchestrators,
    activities: services.handlers,
    clock: new RealClock(),
    store,
    activityConcurrency: config.DRILL_ACTIVITY_CONCURRENCY,
    log: (line) => log({ source: 'driver', ...line }),
  });
  // The job watcher's activities start and signal orchestrations through this host's driver.
  services.orchestrations.client = driverClient(driver);
  const host = new StandaloneHost({
    definitions: functionDefinitions,
    driver,
    port,
    ...(config.DRILL_FUNCTION_KEY ? { functionKey: config.DRILL_FUNCTION_KEY } : {}),
    ...(config.DRILL_SYSTEM_KEY ? { systemKey: config.DRILL_SYSTEM_KEY } : {}),
    taskHub: hub,
    ...(queueService ? { queueService, queueSettings } : {}),
    blobService: blobs,
    setting: (name) => settingText(config, name),
    timeZone: config.WEBSITE_TIME_ZONE,
    log: (line) => log({ source: 'host', ...line }),
  });
  let url: string;
  let resumed: number;
  try {
    resumed = await driver.resume();
    url = await host.start();
  } catch (err) {
    await lease.release();
    throw err;
  }
  log({
    source: 'host',
    message: 'ready',
    url,
    resumedInstances: resumed,
    dataProtection: config.DATAPROTECTION_ENDPOINT,
    keyRequired: !!config.DRILL_FUNCTION_KEY,
    hostJson: hostJson?.path ?? 'none found: Functions defaults',
    queues: queueSettings,
  });
  return {
    url,
    services,
    host,
    driver,
    stop: async () => {
      await host.stop();
      await lease.release();
    },
  };
}

if (require.main === module) {
  startStandaloneHost().then(
    (running) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logLine({ source: 'host', message: `${signal}: stopping` });
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (err: unknown) => {
      // One line with the cause and its fix; the stack only with --verbose.
      process.stderr.write(startErrorLine(err, { debug: process.argv.includes('--verbose') }) + '\n');
      process.exit(1);
    },
  );
}
