/**
 * A complete drill rig for tests: an emulator (PostgreSQL, Key Vault, Data Protection), the shared Azurite,
 * the real Azure SDK clients configured only through the emulator's environment, the real activities, and the
 * in-process driver running the real orchestrators. Every log line and history event is kept, so tests can
 * search them for secrets.
 */
import { randomBytes } from 'node:crypto';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { EmulatorHandle } from '../../emulator/index';
import { findPgTools } from '../../emulator/postgres';
import type { ActivityDeps } from '../../src/activities/deps';
import {
  activityHandlers,
  createActivities,
  type Activities,
  type ActivityHandler,
  type ActivityName,
} from '../../src/activities';
import { keyVaultSecretReader } from '../../src/activities/secrets';
import { FakeClock, RealClock, type Clock } from '../../src/host/clock';
import { OrchestrationDriver } from '../../src/host/driver';
import { driverClient } from '../../src/host/driverClient';
import type { ArmGovernor } from '../../src/lib/dataprotection/governor';
import { DataProtectionClient } from '../../src/lib/dataprotection/client';
import type { DrillReport } from '../../src/lib/drill/report';
import { loadConfig } from '../../src/lib/config';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { drillSettings, type DrillSettings } from '../../src/lib/drill/settings';
import { containerAccess } from '../../src/lib/storage/blobs';
import { ReportStore } from '../../src/lib/storage/reportStore';
import { orchestratorFunctions } from '../../src/orchestrators';
import { ORCHESTRATORS } from '../../src/orchestrators/names';
import { startTestEmulator, TEST_SUBSCRIPTION, type TestEmulatorOptions } from './emulator';

export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The connection string of the shared test Azurite, or of `azurite` (one a test started for itself). */
export function azuriteConnectionString(
  azurite: { blobEndpoint: string; queueEndpoint: string; tableEndpoint: string } = {
    blobEndpoint: process.env.TEST_AZURITE_BLOB!,
    queueEndpoint: process.env.TEST_AZURITE_QUEUE!,
    tableEndpoint: process.env.TEST_AZURITE_TABLE!,
  },
): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=${azurite.blobEndpoint};QueueEndpoint=${azurite.queueEndpoint};TableEndpoint=${azurite.tableEndpoint};`
  );
}

/**
 * The environment of a standalone host child process against a test emulator and the shared Azurite: its own
 * task hub, reports table and container (the host binds a port of its own: startHostProcess). Callers add poll
 * timings and anything else they vary.
 */
export function standaloneHostEnv(emu: EmulatorHandle, hub: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    ...emu.env,
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS!,
    AzureWebJobsStorage: azuriteConnectionString(),
    RESTORE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    DURABLE_TASK_HUB_NAME: hub,
    DRILL_REPORTS_TABLE: `${hub}Reports`,
    DRILL_REPORTS_CONTAINER: `${hub}-reports`,
    DRILL_ARM_BUDGET_TABLE: `${hub}ArmBudget`,
    DATAPROTECTION_TIMEOUT_SECONDS: '8',
    DRILL_RESTORE_SETTLE_SECONDS: '10',
  };
}

export const FAST_SETTINGS: DrillSettings = {
  jobPoll: { initialSeconds: 0.3, factor: 1.5, maxSeconds: 2 },
  pollsPerGeneration: 50,
  activityRetry: { maxAttempts: 4, firstDelaySeconds: 0.5, maxDelaySeconds: 2 },
  publishOutcome: true,
};

export const V = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-test`;
export const SINGLE_BI = `${V}/backupInstances/bi-single`;
export const FLEX_BI = `${V}/backupInstances/bi-flex`;
export const TARGET_SERVER = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DBforPostgreSQL/servers/tgt-single`;

/** A Single Server in the test vault's paired region (westus → eastus), the target of cross-region drills. */
export const DR_SERVER = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-dr/providers/Microsoft.DBforPostgreSQL/servers/tgt-single-dr`;
export const DR_SECRET = 'https://kv-test.vault.azure.net/secrets/tgt-dr-admin';
/** The startDrillRig options that add that server and its secret. */
export const PAIRED_REGION_TARGET = {
  extraServers: [
    {
      name: 'tgt-single-dr',
      kind: 'single',
      resourceGroup: 'rg-dr',
      location: 'eastus',
      managed: { password: 'tgt-dr-pw' },
    },
  ],
  extraSecrets: { 'tgt-dr-admin': { connectionStringFor: 'tgt-single-dr' } },
};

/** The smallest database drill of the Single Server instance: restore to tgt-single, one table checked. */
export function singleDatabaseRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backupInstanceId: SINGLE_BI,
    target: {
      kind: 'database',
      serverId: TARGET_SERVER,
      secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
    },
    verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
    deadline: 'PT10M',
    ...extra,
  };
}

export interface DrillRig {
  emu: EmulatorHandle;
  driver: OrchestrationDriver;
  reports: ReportStore;
  /** The start of every table and container name this rig's report store uses (case-insensitive). */
  storagePrefix: string;
  /** The real activities, typed. */
  activities: Activities;
  /** What the activities were built from (the pre-flight doctor runs on the same). */
  deps: ActivityDeps;
  /** The same activities as the driver calls them. */
  handlers: Record<ActivityName, ActivityHandler>;
  logs: string[];
  containerUrl: string;
  /** host and port of the drill server (a Flexible-style server with its own Key Vault secret). */
  drillServer: { host: string; port: number; secretUri: string };
  /** Another ARM client of the emulator, with its own governor (or none) and api-version (default 2026-06-01). */
  armClient(governor?: ArmGovernor | false, apiVersion?: string): DataProtectionClient;
  /** A restore-as-files target: the rig's container, loaded into the drill server. */
  filesTarget(): {
    kind: 'files';
    containerUrl: string;
    load: { host: string; port: number; secretUri: string };
  };
  run(
    request: unknown,
    drillId?: string,
    settings?: DrillSettings,
  ): Promise<{ report: DrillReport; drillId: string }>;
  /**
   * Runs one drill on a driver of its own whose activities differ from the rig's in `deps` (another
   * pg_restore, say): the same emulator, Azurite and report store.
   */
  runWith(
    deps: Partial<ActivityDeps>,
    request: unknown,
    drillId?: string,
    settings?: DrillSettings,
  ): Promise<{ report: DrillReport; drillId: string }>;
  stop(): Promise<void>;
}

export async function startDrillRig(
  options: TestEmulatorOptions & {
    clock?: Clock;
    governor?: ArmGovernor | false;
    /** More activity dependencies (alerts, metrics), made once the emulator runs. */
    deps?: (emu: EmulatorHandle) => Partial<ActivityDeps>;
  } = {},
): Promise<DrillRig> {
  const emu = await startTestEmulator({
    ...options,
    extraServers: [
      { name: 'drill-pg', kind: 'flexible', resourceGroup: 'rg-test', managed: { password: 'drill-pw' } },
      ...(options.extraServers ?? []),
    ],
    extraSecrets: { 'drill-admin': { connectionStringFor: 'drill-pg' }, ...options.extraSecrets },
  });
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(emu.env)) {
    if (k === 'NODE_EXTRA_CA_CERTS') continue;
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const logs: string[] = [];
  const log = (message: string, fields: Record<string, unknown> = {}) =>
    logs.push(JSON.stringify({ message, ...fields }));
  const credential = new DefaultAzureCredential();
  const armClient = (governor?: ArmGovernor | false, apiVersion = '2026-06-01') =>
    new DataProtectionClient({
      settings: {
        DATAPROTECTION_ENDPOINT: emu.arm,
        DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
        DATAPROTECTION_API_VERSION: apiVersion,
      },
      credential,
      retry: { retryDelayInMs: 100, maxRetryDelayInMs: 500 },
      requestTimeoutMs: 10_000,
      ...(governor !== undefined ? { governor } : {}),
    });
  // No ARM budget unless a test asks for one (test/drill/governor.test.ts): the fault and timing tests measure
  // the drill, not the governor's spacing.
  const dataProtection = armClient(options.governor ?? false);
  const cs = azuriteConnectionString();
  const id = randomBytes(3).toString('hex');
  const reports = ReportStore.create({
    connectionString: cs,
    blobs: BlobServiceClient.fromConnectionString(cs),
    tableName: `Rig${id}Reports`,
    containerName: `rig${id}-reports`,
    credential,
  });
  const deps: ActivityDeps = {
    dataProtection,
    secrets: keyVaultSecretReader(credential),
    containers: containerAccess({ connectionString: cs, credential }),
    reports,
    pgRestore: findPgTools(undefined, false).pgRestore,
    // At least the request timeout: a POST may be accepted until it times out.
    restoreSettleSeconds: 15,
    log,
    orchestrations: {},
    ...options.deps?.(emu),
  };
  const activities = createActivities(deps);
  const handlers = activityHandlers(activities, log);
  const driver = new OrchestrationDriver({
    orchestrators: orchestratorFunctions,
    activities: handlers,
    clock: options.clock ?? new RealClock(),
    keepHistories: true,
    log: (line) => logs.push(JSON.stringify(line)),
  });
  deps.orchestrations!.client = driverClient(driver);
  const drill = emu.ctx.servers.get('drill-pg')!.admin;
  const runOn = async (
    on: OrchestrationDriver,
    request: unknown,
    drillId: string,
    settings: DrillSettings,
  ): Promise<{ report: DrillReport; drillId: string }> => {
    await on.start(
      ORCHESTRATORS.restoreDrill,
      { drillId, request: parseDrillRequest(request), trigger: { kind: 'test' }, settings },
      drillId,
    );
    const status = await on.waitForCompletion(drillId, 180_000);
    if (status.runtimeStatus !== 'Completed')
      throw new Error(`drill ${drillId} ${status.runtimeStatus}: ${String(status.output)}`);
    return { report: status.output as DrillReport, drillId };
  };
  return {
    emu,
    driver,
    reports,
    storagePrefix: `rig${id}`,
    activities,
    deps,
    handlers,
    logs,
    containerUrl: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
    drillServer: {
      host: drill.host,
      port: drill.port,
      secretUri: 'https://kv-test.vault.azure.net/secrets/drill-admin',
    },
    armClient,
    filesTarget: () => ({
      kind: 'files',
      containerUrl: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
      load: {
        host: drill.host,
        port: drill.port,
        secretUri: 'https://kv-test.vault.azure.net/secrets/drill-admin',
      },
    }),
    run: (request, drillId = `drill-${randomBytes(4).toString('hex')}`, settings = FAST_SETTINGS) =>
      runOn(driver, request, drillId, settings),
    runWith: (
      overrides,
      request,
      drillId = `drill-${randomBytes(4).toString('hex')}`,
      settings = FAST_SETTINGS,
    ) => {
      // Its own job watchers too: a watcher signals the drills of its own driver.
      const orchestrations: ActivityDeps['orchestrations'] = {};
      const own = new OrchestrationDriver({
        orchestrators: orchestratorFunctions,
        activities: activityHandlers(createActivities({ ...deps, orchestrations, ...overrides }), log),
        clock: new RealClock(),
        keepHistories: true,
        log: (line) => logs.push(JSON.stringify(line)),
      });
      orchestrations.client = driverClient(own);
      return runOn(own, request, drillId, settings);
    },
    async stop() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await emu.stop();
    },
  };
}

/** What a drill gets with every setting at its default (schemas/config.schema.json). */
export const DEFAULT_SETTINGS: DrillSettings = drillSettings(loadConfig({}));

export { FakeClock };
