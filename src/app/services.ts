/**
 * The composition root: real dependencies from the typed configuration, built once per process and on first
 * use (so a function app with a bad setting still starts, and reports the setting by name when a function
 * runs). Defaults are not decided here: they live in schemas/config.schema.json.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import {
  activityHandlers,
  createActivities,
  type Activities,
  type ActivityHandler,
  type ActivityDeps,
  type ActivityName,
  type OrchestrationClient,
} from '../activities';
import { keyVaultSecretReader } from '../activities/secrets';
import { AlertSender, parseAlertConfig } from '../lib/alerts/deliver';
import { loadConfig, type AppConfig } from '../lib/config';
import { DEFAULT_RATES, sharedGovernor } from '../lib/dataprotection/governor';
import { DataProtectionClient } from '../lib/dataprotection/client';
import { parsePlanSet, type PlanSet } from '../lib/drill/plans';
import { drillSettings, type DrillSettings } from '../lib/drill/settings';
import { blobService, containerAccess } from '../lib/storage/blobs';
import { ReportStore } from '../lib/storage/reportStore';
import { TableBudgetStore } from '../lib/storage/armBudget';
import { AppInsightsSink } from '../lib/telemetry/metrics';

/** Azurite's well-known development account (public values, not secrets). */
const DEVELOPMENT_STORAGE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

export function storageConnectionString(config: AppConfig): string | undefined {
  const cs = config.AzureWebJobsStorage;
  return cs === 'UseDevelopmentStorage=true' ? DEVELOPMENT_STORAGE : cs;
}

export function credentialFor(config: AppConfig): TokenCredential {
  return new DefaultAzureCredential(
    config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {},
  );
}

/** The CA bundle libpq verifies against: the setting, else the system's (Debian/Ubuntu, then RHEL). */
function systemCaBundle(config: AppConfig): string | undefined {
  if (config.PG_SSL_ROOT_CERT) return config.PG_SSL_ROOT_CERT;
  return ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) =>
    existsSync(f),
  );
}

export type AppLog = (message: string, fields?: Record<string, unknown>) => void;

export interface AppServices {
  config: AppConfig;
  credential: TokenCredential;
  dataProtection: DataProtectionClient;
  reports: ReportStore;
  /** What orchestrations are started with. */
  settings: DrillSettings;
  /** The typed activities (the sweeper calls cleanupDrill directly). */
  activities: Activities;
  /** What the activities were built from (the pre-flight doctor runs on the same). */
  activityDeps: ActivityDeps;
  /**
   * Durable Functions' client for the job watcher's activities where the runtime binds none per invocation:
   * the standalone host sets its driver's here.
   */
  orchestrations: { client?: OrchestrationClient };
  /** The activities as the runtime calls them. */
  handlers: Record<ActivityName, ActivityHandler>;
  /** DRILL_PLANS, parsed once on first use: the good plans, and what is wrong with each bad one. */
  plans(): PlanSet;
}

export function buildServices(config: AppConfig, log?: AppLog): AppServices {
  const credential = credentialFor(config);
  const connectionString = storageConnectionString(config);
  // The ARM budget lives in the app's storage account, so every process and instance keeps to one budget.
  const budgetStore = TableBudgetStore.create({
    ...(connectionString ? { connectionString } : {}),
    ...(config.AzureWebJobsStorage__tableServiceUri
      ? { tableServiceUri: config.AzureWebJobsStorage__tableServiceUri }
      : {}),
    tableName: config.DRILL_ARM_BUDGET_TABLE,
    credential,
  });
  const dataProtection = new DataProtectionClient({
    settings: config,
    credential,
    requestTimeoutMs: config.DATAPROTECTION_TIMEOUT_SECONDS * 1000,
    governor: sharedGovernor(
      {
        ...DEFAULT_RATES,
        readsPerSecond: config.DRILL_ARM_READS_PER_SECOND,
        readBurst: Math.max(1, Math.round(config.DRILL_ARM_READS_PER_SECOND * 5)),
        writesPerSecond: config.DRILL_ARM_WRITES_PER_SECOND,
        writeBurst: Math.max(1, Math.round(config.DRILL_ARM_WRITES_PER_SECOND * 5)),
      },
      budgetStore
        ? {
            id: `${connectionString ?? config.AzureWebJobsStorage__tableServiceUri}|${config.DRILL_ARM_BUDGET_TABLE}`,
            store: budgetStore,
            onError: (err) =>
              log?.(
                'the shared ARM budget table cannot be reached: this process keeps to the rates on its own for 30 s',
                {
                  error: err instanceof Error ? err.message : String(err),
                },
              ),
          }
        : undefined,
    ),
  });
  const reports = ReportStore.create({
    ...(connectionString ? { connectionString } : {}),
    ...(config.AzureWebJobsStorage__tableServiceUri
      ? { tableServiceUri: config.AzureWebJobsStorage__tableServiceUri }
      : {}),
    blobs: blobService({
      ...(connectionString ? { connectionString } : {}),
      ...(config.AzureWebJobsStorage__blobServiceUri
        ? { serviceUri: config.AzureWebJobsStorage__blobServiceUri }
        : {}),
      credential,
    }),
    tableName: config.DRILL_REPORTS_TABLE,
    containerName: config.DRILL_REPORTS_CONTAINER,
    credential,
  });
  const orchestrations: { client?: OrchestrationClient } = {};
  const secrets = keyVaultSecretReader(credential);
  // A bad DRILL_ALERTS fails here, by field, like any other bad setting.
  const alertConfig = parseAlertConfig(config.DRILL_ALERTS);
  const activityDeps: ActivityDeps = {
    orchestrations,
    dataProtection,
    secrets,
    ...(alertConfig
      ? { alerts: { config: alertConfig, sender: new AlertSender({ credential, secret: secrets }) } }
      : {}),
    ...(config.APPLICATIONINSIGHTS_CONNECTION_STRING
      ? {
          metrics: new AppInsightsSink({
            connectionString: config.APPLICATIONINSIGHTS_CONNECTION_STRING,
            ...(/Authorization=AAD/i.test(config.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')
              ? { credential }
              : {}),
          }),
        }
      : {}),
    coverageDays: config.DRILL_COVERAGE_DAYS,
    containers: containerAccess({
      ...(config.RESTORE_STORAGE_CONNECTION_STRING
        ? { connectionString: config.RESTORE_STORAGE_CONNECTION_STRING }
        : {}),
      credential,
    }),
    reports,
    pgRestore: config.PG_BIN_DIR ? join(config.PG_BIN_DIR, 'pg_restore') : 'pg_restore',
    ...(config.PATH ? { searchPath: config.PATH } : {}),
    ...(systemCaBundle(config) ? { sslRootCert: systemCaBundle(config)! } : {}),
    tls: { allowUnverified: config.DRILL_ALLOW_UNVERIFIED_TLS },
    restoreSettleSeconds: config.DRILL_RESTORE_SETTLE_SECONDS,
    allowedServers: (config.DRILL_ALLOWED_SERVERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(log ? { log } : {}),
  };
  const activities = createActivities(activityDeps);

  let plans: PlanSet | undefined;
  return {
    config,
    credential,
    dataProtection,
    reports,
    settings: drillSettings(config),
    activities,
    activityDeps,
    orchestrations,
    handlers: activityHandlers(activities, log),
    plans: () => (plans ??= parsePlanSet(config.DRILL_PLANS)),
  };
}

let services: AppServices | undefined;
let logSink: (line: Record<string, unknown>) => void = (line) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n');

/** Where the app's own log lines go (a host that owns stdout, such as the demo, sends them elsewhere). */
export function setAppLog(sink: (line: Record<string, unknown>) => void): void {
  logSink = sink;
}

/** The process's services, built on first use from the environment the entry point was started with. */
export function appServices(): AppServices {
  services ??= buildServices(loadConfig(), (message, fields) =>
    logSink({ source: 'app', message, ...fields }),
  );
  return services;
}
