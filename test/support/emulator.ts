/**
 * Starts an in-process emulator for a test file: managed PostgreSQL clusters, the shared Azurite of the
 * global setup (with containers of its own), the CA the test process trusts, and short timings.
 */
import { waitUntil } from './wait';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../emulator/config';
import { startEmulator, type EmulatorHandle } from '../../emulator/index';

export const TEST_SUBSCRIPTION = '11111111-2222-4333-8444-555555555555';

/** One table of 1,000 orders (the host tests' source database). */
export const ORDERS_SQL =
  'CREATE TABLE orders (id serial PRIMARY KEY, amount int, updated_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders (amount) SELECT g FROM generate_series(1, 1000) g;';

export const SHOP_SEED = {
  sql:
    'CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);' +
    'CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), amount numeric(10,2) NOT NULL, updated_at timestamptz NOT NULL);' +
    "INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, 50) g;",
  changeSql:
    "INSERT INTO orders (customer_id, amount, updated_at) SELECT 1 + (g % 50), g + 0.5, '{{backupTime}}'::timestamptz FROM generate_series(1, 10) g;",
};

export interface TestEmulatorOptions {
  /** Extra top-level config (merged over the defaults). */
  config?: Record<string, unknown>;
  backups?: number;
  archived?: number;
  /** Major version the restore target server reports. */
  targetReportedMajor?: number;
  extraServers?: Record<string, unknown>[];
  extraSecrets?: Record<string, unknown>;
  log?: boolean;
}

/** Config: a Single Server source (shop), a target server, a Flexible Server (two databases), a Key Vault. */
export function testEmulatorConfig(options: TestEmulatorOptions = {}): Record<string, unknown> {
  const id = randomBytes(4).toString('hex');
  const backups = options.backups ?? 3;
  return {
    subscriptionId: TEST_SUBSCRIPTION,
    timings: {
      validate: { durationSeconds: 0.2, retryAfterSeconds: 1 },
      restoreOperation: { durationSeconds: 0.2, retryAfterSeconds: 1 },
      restoreJobSeconds: 0.5,
      rehydrationSeconds: 1,
    },
    servers: [
      { name: 'src-single', kind: 'single', resourceGroup: 'rg-test', managed: { password: 'src-pw' } },
      {
        name: 'tgt-single',
        kind: 'single',
        resourceGroup: 'rg-test',
        managed: { password: 'tgt-pw' },
        ...(options.targetReportedMajor ? { reportedMajorVersion: options.targetReportedMajor } : {}),
      },
      { name: 'src-flex', kind: 'flexible', resourceGroup: 'rg-test', managed: { password: 'flex-pw' } },
      ...(options.extraServers ?? []),
    ],
    storage: {
      managedAzurite: false,
      blobEndpoint: process.env.TEST_AZURITE_BLOB,
      vaultContainer: `vault-${id}`,
      containers: [`restores-${id}`],
    },
    keyVaults: [
      {
        name: 'kv-test',
        secrets: {
          'tgt-admin': { connectionStringFor: 'tgt-single' },
          'src-admin': { connectionStringFor: 'src-single' },
          'tgt-wrong-password': { connectionStringFor: 'tgt-single', password: 'not-the-password' },
          'not-a-connection-string': 'hello world',
          ...options.extraSecrets,
        },
      },
    ],
    vaults: [
      {
        name: 'vault-test',
        resourceGroup: 'rg-test',
        backupInstances: [
          {
            name: 'bi-single',
            server: 'src-single',
            database: 'shop',
            seed: { ...SHOP_SEED, backups, archived: options.archived ?? 1, intervalHours: 24 },
          },
          {
            name: 'bi-flex',
            server: 'src-flex',
            databases: ['inventory', 'billing'],
            seed: {
              sql: 'CREATE TABLE items (id serial PRIMARY KEY, sku text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());',
              changeSql:
                "INSERT INTO items (sku, updated_at) SELECT 'sku-{{backupIndex}}-' || g, '{{backupTime}}' FROM generate_series(1, 5) g;",
              backups: 2,
              archived: 0,
              intervalHours: 12,
            },
          },
        ],
      },
    ],
    ...options.config,
  };
}

export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<EmulatorHandle> {
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  if (!caFile || !process.env.TEST_AZURITE_BLOB)
    throw new Error('run tests through npm test (vitest global setup)');
  const config = parseConfig(testEmulatorConfig(options));
  return startEmulator(config, { caDir: dirname(caFile), ...(options.log ? {} : { log: () => undefined }) });
}

/** An ARM token from the emulator's identity endpoint, as a managed identity would get it. */
export async function armToken(
  emu: EmulatorHandle,
  resource = 'https://management.azure.com',
): Promise<string> {
  const res = await fetch(
    `${emu.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`,
    {
      headers: { 'X-IDENTITY-HEADER': emu.identityHeader },
    },
  );
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

export interface ArmCall {
  status: number;
  headers: Headers;
  body: any;
}

/** A raw ARM call (fetch), for tests that look at the wire rather than through the client. */
export async function arm(
  emu: EmulatorHandle,
  token: string | undefined,
  method: string,
  pathOrUrl: string,
  body?: unknown,
): Promise<ArmCall> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${emu.arm}${pathOrUrl}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export { sleep } from './wait';

/** An async operation (operationStatus) has ended. */
export const operationEnded = (c: ArmCall): boolean =>
  ['Succeeded', 'Failed', 'Canceled'].includes(c.body?.status as string);

/** A backup job has ended. */
export const jobEnded = (c: ArmCall): boolean =>
  typeof c.body?.properties?.status === 'string' && c.body.properties.status !== 'InProgress';

/**
 * GETs `pathOrUrl` until `until` holds for the answer, and returns that answer: a test waits for the state an
 * operation or job reaches, never for a time. Fails naming the path and the last answer.
 */
export async function armUntil(
  emu: EmulatorHandle,
  token: string,
  pathOrUrl: string,
  until: (call: ArmCall) => boolean,
  timeoutMs = 60_000,
): Promise<ArmCall> {
  let last: ArmCall | undefined;
  return waitUntil(
    async () => {
      last = await arm(emu, token, 'GET', pathOrUrl);
      return until(last) ? last : undefined;
    },
    {
      what: `GET ${pathOrUrl} to reach the awaited state`,
      timeoutMs,
      everyMs: 50,
      detail: () => `last answer: ${last?.status} ${JSON.stringify(last?.body).slice(0, 500)}`,
    },
  );
}

/**
 * A restore-as-files request body for the emulator: a dump named `filePrefix` written to `url`, by default
 * the first storage container the test emulator created.
 */
export function filesRestoreBody(
  emu: EmulatorHandle,
  recoveryPointId: string,
  filePrefix: string,
  url?: string,
): Record<string, unknown> {
  return {
    objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
    recoveryPointId,
    sourceDataStoreType: 'VaultStore',
    restoreTargetInfo: {
      objectType: 'RestoreFilesTargetInfo',
      recoveryOption: 'FailIfExists',
      targetDetails: {
        filePrefix,
        restoreTargetLocationType: 'AzureBlobs',
        url: url ?? `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
      },
    },
  };
}
