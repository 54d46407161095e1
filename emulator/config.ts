/**
 * Emulator configuration: a JSON file (see examples/ and README.md) validated here with defaults filled in.
 * Everything the emulator serves comes from it: subscription, servers (managed local clusters or existing
 * ones), Azurite storage, Key Vault secrets, backup vaults with their backup instances and seeded backups,
 * timings, and fault rules.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Ajv from 'ajv';

export interface OperationTiming {
  /** How long the operation runs before it reaches its terminal status. */
  durationSeconds: number;
  /** Retry-After sent while it runs. */
  retryAfterSeconds: number;
}

export interface Timings {
  validate: OperationTiming;
  restoreOperation: OperationTiming;
  /** Minimum length of a restore job (the real pg_restore may take longer). */
  restoreJobSeconds: number;
  rehydrationSeconds: number;
}

export interface ManagedServer {
  /** Password of the superuser `postgres` (TCP connections need it; scram-sha-256). */
  password: string;
}

export interface ExternalServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ServerConfig {
  name: string;
  kind: 'single' | 'flexible';
  resourceGroup: string;
  location: string;
  /** Major version the emulator reports for the server (to rehearse version rules); default: the real one. */
  reportedMajorVersion?: number;
  managed?: ManagedServer;
  external?: ExternalServer;
}

export interface SeedConfig {
  /** SQL run once on the source database at start (schema and data). */
  sql?: string;
  /** Backups taken at start, backdated by intervalHours each, newest last. */
  backups: number;
  intervalHours: number;
  /** The oldest N of them are in the archive tier only. */
  archived: number;
  /** SQL run before each seeded backup, so data changes between points: {{backupTime}} and {{backupIndex}} are replaced. */
  changeSql?: string;
}

export interface BackupInstanceConfig {
  /** Defaults to {server}-{database}-{guid} as Azure names them. */
  name?: string;
  server: string;
  /** Single Server: the database backed up. */
  database?: string;
  /** Flexible Server: the databases backed up (one dump file each). */
  databases?: string[];
  /** Create the source database(s) when missing (managed servers). Default true. */
  createDatabases: boolean;
  seed?: SeedConfig;
  vaultRetentionDays: number;
  archiveRetentionDays: number;
}

export interface VaultConfig {
  name: string;
  resourceGroup: string;
  location: string;
  backupInstances: BackupInstanceConfig[];
}

export type SecretValue =
  string | { connectionStringFor: string; user?: string; password?: string; database?: string };

export interface KeyVaultConfig {
  name: string;
  secrets: Record<string, SecretValue>;
}

export interface StorageConfig {
  /** Start Azurite as a child process (true), or use the account below. */
  managedAzurite: boolean;
  blobEndpoint?: string;
  accountName: string;
  accountKey: string;
  /** Container that holds the vault store (the backups themselves). */
  vaultContainer: string;
  /** Containers created at start (restore-as-files targets). */
  containers: string[];
}

export type FaultKind =
  'status' | 'reset' | 'dropResponse' | 'delay' | 'malformed' | 'domain' | 'jobFailHalfway';

export interface FaultRule {
  id?: string;
  /** Swagger operationId (e.g. Jobs_Get, BackupInstances_TriggerRestore); omitted = any ARM operation. */
  operation?: string;
  kind: FaultKind;
  /** kind=status: 429, 500 or 503. */
  status?: number;
  retryAfterSeconds?: number;
  /** kind=delay: milliseconds before answering. */
  delayMs?: number;
  /** kind=domain / jobFailHalfway: the Azure error code to fail with. */
  code?: string;
  /** Apply to the next N matching requests; with probability, N is a cap (default unlimited). */
  count?: number;
  /** Apply with this probability, drawn from a PRNG seeded with `seed`. */
  probability?: number;
  seed?: number;
}

export interface EmulatorConfig {
  host: string;
  port: number;
  /** Port of the HTTPS proxy that tunnels *.vault.azure.net to the Key Vault emulator (0 = any). */
  proxyPort: number;
  stateDir: string;
  subscriptionId: string;
  tenantId: string;
  location: string;
  apiVersions: string[];
  armAudience: string;
  keyVaultAudience: string;
  tokenLifetimeSeconds: number;
  recoveryPointsPageSize: number;
  jobsPageSize: number;
  timings: Timings;
  postgres: { binDir?: string };
  servers: ServerConfig[];
  storage: StorageConfig;
  keyVaults: KeyVaultConfig[];
  vaults: VaultConfig[];
  faults: FaultRule[];
}

const timing = {
  type: 'object',
  additionalProperties: false,
  properties: {
    durationSeconds: { type: 'number', minimum: 0 },
    retryAfterSeconds: { type: 'integer', minimum: 0 },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['subscriptionId', 'servers', 'vaults'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    host: { type: 'string', enum: ['127.0.0.1', 'localhost', '::1'], default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    proxyPort: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    stateDir: { type: 'string', default: '.tmp/emulator' },
    subscriptionId: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
    tenantId: { type: 'string', default: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
    location: { type: 'string', default: 'westus' },
    apiVersions: { type: 'array', items: { type: 'string' }, default: ['2026-06-01', '2021-07-01'] },
    armAudience: { type: 'string', default: 'https://management.azure.com' },
    keyVaultAudience: { type: 'string', default: 'https://vault.azure.net' },
    tokenLifetimeSeconds: { type: 'integer', minimum: 1, default: 3600 },
    recoveryPointsPageSize: { type: 'integer', minimum: 1, default: 50 },
    jobsPageSize: { type: 'integer', minimum: 1, default: 50 },
    timings: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        validate: { ...timing, default: { durationSeconds: 1, retryAfterSeconds: 1 } },
        restoreOperation: { ...timing, default: { durationSeconds: 1, retryAfterSeconds: 1 } },
        restoreJobSeconds: { type: 'number', minimum: 0, default: 2 },
        rehydrationSeconds: { type: 'number', minimum: 0, default: 3 },
      },
    },
    postgres: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { binDir: { type: 'string' } },
    },
    servers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
          kind: { enum: ['single', 'flexible'] },
          resourceGroup: { type: 'string', default: 'pgdrill-demo' },
          location: { type: 'string', default: 'westus' },
          reportedMajorVersion: { type: 'integer', minimum: 9 },
          managed: {
            type: 'object',
            additionalProperties: false,
            properties: { password: { type: 'string', minLength: 1, default: 'emulator-admin' } },
          },
          external: {
            type: 'object',
            additionalProperties: false,
            required: ['host', 'port', 'user', 'password'],
            properties: {
              host: { type: 'string' },
              port: { type: 'integer' },
              user: { type: 'string' },
              password: { type: 'string' },
            },
          },
        },
        oneOf: [{ required: ['managed'] }, { required: ['external'] }],
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        managedAzurite: { type: 'boolean', default: true },
        blobEndpoint: { type: 'string' },
        accountName: { type: 'string', default: 'devstoreaccount1' },
        // Azurite's well-known development key (public, not a secret).
        accountKey: {
          type: 'string',
          default: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
        },
        vaultContainer: { type: 'string', default: 'emulator-vault-store' },
        containers: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
    keyVaults: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'secrets'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{2,23}$' },
          secrets: {
            type: 'object',
            additionalProperties: {
              oneOf: [
                { type: 'string' },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['connectionStringFor'],
                  properties: {
                    connectionStringFor: { type: 'string' },
                    user: { type: 'string' },
                    password: { type: 'string' },
                    database: { type: 'string' },
                  },
                },
              ],
            },
          },
        },
      },
    },
    vaults: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'backupInstances'],
        properties: {
          name: { type: 'string' },
          resourceGroup: { type: 'string', default: 'pgdrill-demo' },
          location: { type: 'string', default: 'westus' },
          backupInstances: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['server'],
              properties: {
                name: { type: 'string' },
                server: { type: 'string' },
                database: { type: 'string' },
                databases: { type: 'array', minItems: 1, items: { type: 'string' } },
                createDatabases: { type: 'boolean', default: true },
                vaultRetentionDays: { type: 'integer', minimum: 1, default: 30 },
                archiveRetentionDays: { type: 'integer', minimum: 1, default: 365 },
                seed: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    sql: { type: 'string' },
                    backups: { type: 'integer', minimum: 0, default: 1 },
                    intervalHours: { type: 'number', exclusiveMinimum: 0, default: 24 },
                    archived: { type: 'integer', minimum: 0, default: 0 },
                    changeSql: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    faults: { type: 'array', default: [], items: { $ref: '#/$defs/fault' } },
  },
  $defs: {
    fault: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        id: { type: 'string' },
        operation: { type: 'string' },
        kind: { enum: ['status', 'reset', 'dropResponse', 'delay', 'malformed', 'domain', 'jobFailHalfway'] },
        status: { enum: [429, 500, 503] },
        retryAfterSeconds: { type: 'integer', minimum: 0 },
        delayMs: { type: 'integer', minimum: 0 },
        code: { type: 'string' },
        count: { type: 'integer', minimum: 1 },
        probability: { type: 'number', minimum: 0, maximum: 1 },
        seed: { type: 'integer' },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateConfig = ajv.compile(schema);
const validateFault = ajv.compile({ ...schema.$defs.fault });

export class EmulatorConfigError extends Error {}

function describeErrors(errors: typeof validateConfig.errors): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath || '(root)';
      if (e.keyword === 'additionalProperties')
        return `${where}/${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
      if (e.keyword === 'required')
        return `${where}/${(e.params as { missingProperty: string }).missingProperty}: is required`;
      return `${where}: ${e.message ?? 'is invalid'}`;
    })
    .join('\n  ');
}

/** Validates a fault rule (config or POST /_emulator/faults). */
export function parseFault(input: unknown): FaultRule {
  const copy = structuredClone(input);
  if (!validateFault(copy))
    throw new EmulatorConfigError(`fault rule is invalid:\n  ${describeErrors(validateFault.errors)}`);
  const rule = copy as unknown as FaultRule;
  if (rule.kind === 'status' && !rule.status)
    throw new EmulatorConfigError('fault rule: kind "status" needs "status" (429, 500 or 503)');
  if ((rule.kind === 'domain' || rule.kind === 'jobFailHalfway') && !rule.code) {
    throw new EmulatorConfigError(
      `fault rule: kind "${rule.kind}" needs "code" (an Azure error code such as UserErrorDBUserAuthFailed)`,
    );
  }
  return rule;
}

/** Validates and completes a configuration object; paths are resolved against `baseDir`. */
export function parseConfig(input: unknown, baseDir = process.cwd()): EmulatorConfig {
  const config = structuredClone(input);
  const explicitStateDir = typeof input === 'object' && input !== null && 'stateDir' in input;
  if (!validateConfig(config))
    throw new EmulatorConfigError(
      `emulator configuration is invalid:\n  ${describeErrors(validateConfig.errors)}`,
    );
  const c = config as unknown as EmulatorConfig;
  // An explicit stateDir is relative to the config file; the default one to the working directory.
  c.stateDir = resolve(explicitStateDir ? baseDir : process.cwd(), c.stateDir);
  if (c.postgres.binDir) c.postgres.binDir = resolve(baseDir, c.postgres.binDir);
  if (!c.storage.managedAzurite && !c.storage.blobEndpoint) {
    throw new EmulatorConfigError(
      'storage: give blobEndpoint (an Azurite or storage account URL) or set managedAzurite to true',
    );
  }
  const servers = new Map(c.servers.map((s) => [s.name, s]));
  if (servers.size !== c.servers.length) throw new EmulatorConfigError('servers: names must be unique');
  for (const v of c.vaults) {
    for (const [i, bi] of v.backupInstances.entries()) {
      const where = `vaults/${v.name}/backupInstances/${i}`;
      const server = servers.get(bi.server);
      if (!server) throw new EmulatorConfigError(`${where}/server: no server named "${bi.server}"`);
      if (server.kind === 'single' && (!bi.database || bi.databases)) {
        throw new EmulatorConfigError(`${where}: a Single Server backup instance names one "database"`);
      }
      if (server.kind === 'flexible' && (!bi.databases || bi.database)) {
        throw new EmulatorConfigError(`${where}: a Flexible Server backup instance names its "databases"`);
      }
      if (bi.seed && bi.seed.archived > bi.seed.backups) {
        throw new EmulatorConfigError(`${where}/seed/archived: cannot archive more points than "backups"`);
      }
    }
  }
  for (const kv of c.keyVaults) {
    for (const [name, value] of Object.entries(kv.secrets)) {
      if (typeof value === 'object' && !servers.has(value.connectionStringFor)) {
        throw new EmulatorConfigError(
          `keyVaults/${kv.name}/secrets/${name}/connectionStringFor: no server named "${value.connectionStringFor}"`,
        );
      }
    }
  }
  c.faults = c.faults.map(parseFault);
  return c;
}

export function loadConfigFile(path: string): EmulatorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EmulatorConfigError(`cannot read emulator configuration ${path}: ${(err as Error).message}`);
  }
  return parseConfig(raw, dirname(resolve(path)));
}
