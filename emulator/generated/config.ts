/* Generated from emulator/config.schema.json by scripts/gen-types.mjs (properties with a default are always present). Do not edit. */

/**
 * A literal value, or a connection string the emulator writes for one of its servers.
 */
export type SecretValue =
  | string
  | {
      connectionStringFor: string;
      user?: string;
      password?: string;
      database?: string;
    };
export type FaultKind =
  | 'status'
  | 'reset'
  | 'dropResponse'
  | 'delay'
  | 'malformed'
  | 'domain'
  | 'jobFailHalfway'
  | 'damagedFiles'
  | 'foreignAsyncOperation';

/**
 * Configuration of the Data Protection emulator (emulator/README.md). The one source of the emulator's config type: emulator/generated/config.ts is generated from it (npm run gen:types), with every property that has a default present after loading.
 */
export interface EmulatorConfig {
  $schema?: string;
  description?: string;
  /**
   * Address the ARM, identity and Key Vault endpoints listen on.
   */
  host: '127.0.0.1' | 'localhost' | '::1';
  /**
   * Port of the ARM endpoint (0 = any free port).
   */
  port: number;
  /**
   * Port of the HTTPS proxy that tunnels *.vault.azure.net to the Key Vault emulator (0 = any).
   */
  proxyPort: number;
  /**
   * Where the CA, clusters and logs live (relative to the config file when given, else to the working directory).
   */
  stateDir: string;
  subscriptionId: string;
  tenantId: string;
  location: string;
  /**
   * api-versions the ARM surface accepts.
   */
  apiVersions: string[];
  armAudience: string;
  keyVaultAudience: string;
  tokenLifetimeSeconds: number;
  recoveryPointsPageSize: number;
  jobsPageSize: number;
  timings: Timings;
  postgres: {
    /**
     * Directory of initdb/pg_ctl/pg_dump/pg_restore (default: found on the machine).
     */
    binDir?: string;
  };
  /**
   * @minItems 1
   */
  servers: [ServerConfig, ...ServerConfig[]];
  storage: StorageConfig;
  keyVaults: KeyVaultConfig[];
  vaults: VaultConfig[];
  throttling: ThrottlingConfig;
  faults: FaultRule[];
  crossRegionRestore: CrossRegionRestoreConfig;
}
export interface Timings {
  validate: OperationTiming;
  restoreOperation: OperationTiming;
  /**
   * Minimum length of a restore job (the real pg_restore may take longer).
   */
  restoreJobSeconds: number;
  rehydrationSeconds: number;
}
/**
 * This interface was referenced by `EmulatorConfig`'s JSON-Schema
 * via the `definition` "timing".
 */
export interface OperationTiming {
  /**
   * How long the operation runs before it reaches its terminal status.
   */
  durationSeconds: number;
  /**
   * Retry-After sent while it runs.
   */
  retryAfterSeconds: number;
}
/**
 * A PostgreSQL server the emulator serves: exactly one of managed or external.
 */
export interface ServerConfig {
  name: string;
  kind: 'single' | 'flexible';
  resourceGroup: string;
  location: string;
  /**
   * ARM tags of the server resource (what a fleet scope's tags select on).
   */
  tags: {
    [k: string]: string;
  };
  /**
   * Major version the emulator reports for the server (to rehearse version rules); default: the real one.
   */
  reportedMajorVersion?: number;
  managed?: ManagedServer;
  external?: ExternalServer;
}
/**
 * A local cluster the emulator starts.
 */
export interface ManagedServer {
  /**
   * Password of the superuser postgres (TCP connections need it; scram-sha-256).
   */
  password: string;
}
/**
 * A server that already runs.
 */
export interface ExternalServer {
  host: string;
  port: number;
  user: string;
  password: string;
}
export interface StorageConfig {
  /**
   * Start Azurite as a child process (true), or use the account below.
   */
  managedAzurite: boolean;
  blobEndpoint?: string;
  accountName: string;
  /**
   * Azurite's well-known development key (public, not a secret).
   */
  accountKey: string;
  /**
   * Container that holds the vault store (the backups themselves).
   */
  vaultContainer: string;
  /**
   * Containers created at start (restore-as-files targets).
   */
  containers: string[];
}
export interface KeyVaultConfig {
  name: string;
  secrets: {
    [k: string]: SecretValue;
  };
}
export interface VaultConfig {
  name: string;
  resourceGroup: string;
  location: string;
  /**
   * The vault store's redundancy (properties.storageSettings[].type). Only a GeoRedundant vault replicates to its paired region (emulator/regions.ts).
   */
  storageType: 'GeoRedundant' | 'LocallyRedundant' | 'ZoneRedundant';
  crossRegionRestore?: VaultCrossRegionRestoreConfig;
  backupInstances: BackupInstanceConfig[];
}
/**
 * Cross-region restore of this vault (properties.featureSettings.crossRegionRestoreSettings).
 */
export interface VaultCrossRegionRestoreConfig {
  /**
   * Default: Enabled when storageType is GeoRedundant and the vault's location has a paired region, else Disabled. Enabled needs both.
   */
  state?: 'Enabled' | 'Disabled';
  /**
   * Overrides the global crossRegionRestore.replicationDelaySeconds for this vault.
   */
  replicationDelaySeconds?: number;
}
export interface BackupInstanceConfig {
  /**
   * Defaults to {server}-{database}-{guid} as Azure names them.
   */
  name?: string;
  server: string;
  /**
   * Single Server: the database backed up.
   */
  database?: string;
  /**
   * Flexible Server: the databases backed up (one dump file each).
   *
   * @minItems 1
   */
  databases?: [string, ...string[]];
  /**
   * Create the source database(s) when missing (managed servers).
   */
  createDatabases: boolean;
  /**
   * Serve this many more backup instances like this one, named {name}-{nnnn}: each shares this instance's recovery points (the same dump files), so a vault of hundreds costs one backup (fleet tests and benchmarks).
   */
  copies: number;
  vaultRetentionDays: number;
  archiveRetentionDays: number;
  seed?: SeedConfig;
}
export interface SeedConfig {
  /**
   * SQL run once on the source database at start (schema and data).
   */
  sql?: string;
  /**
   * Backups taken at start, backdated by intervalHours each, newest last.
   */
  backups: number;
  intervalHours: number;
  /**
   * The oldest N of them are in the archive tier only.
   */
  archived: number;
  /**
   * SQL run before each seeded backup, so data changes between points: {{backupTime}} and {{backupIndex}} are replaced.
   */
  changeSql?: string;
}
/**
 * ARM's per-subscription request throttling (token buckets for reads and writes, 429 with Retry-After, x-ms-ratelimit-remaining-subscription-* headers). Off unless enabled; the defaults are Azure's own limits.
 */
export interface ThrottlingConfig {
  enabled: boolean;
  reads: BucketConfig;
  writes: BucketConfig;
}
/**
 * This interface was referenced by `EmulatorConfig`'s JSON-Schema
 * via the `definition` "bucket".
 */
export interface BucketConfig {
  bucket: number;
  refillPerSecond: number;
}
/**
 * This interface was referenced by `EmulatorConfig`'s JSON-Schema
 * via the `definition` "fault".
 */
export interface FaultRule {
  id?: string;
  /**
   * Swagger operationId (e.g. Jobs_Get, BackupInstances_TriggerRestore); omitted = any ARM operation.
   */
  operation?: string;
  kind: FaultKind;
  /**
   * kind=status: the HTTP status (403 and 404 are for KeyVault_GetSecret).
   */
  status?: 403 | 404 | 429 | 500 | 503;
  retryAfterSeconds?: number;
  /**
   * kind=delay: milliseconds before answering.
   */
  delayMs?: number;
  /**
   * kind=domain / jobFailHalfway: the Azure error code to fail with.
   */
  code?: string;
  /**
   * kind=foreignAsyncOperation: the foreign origin the Azure-AsyncOperation header is moved to (default https://foreign.invalid).
   */
  url?: string;
  /**
   * kind=damagedFiles: how the next restore-as-files job damages what it writes: garbage (not a pg_dump archive), truncated (a valid header, the rest cut off), newerSource (the header claims PostgreSQL 99 wrote it).
   */
  damage?: 'garbage' | 'truncated' | 'newerSource';
  /**
   * Apply to the next N matching requests; with probability, N is a cap (default unlimited).
   */
  count?: number;
  /**
   * Apply with this probability, drawn from a PRNG seeded with seed.
   */
  probability?: number;
  seed?: number;
}
/**
 * Cross-region restore (emulator/crossRegion.ts): how far the secondary region's recovery points lag the primary ones, and the Retry-After of its operations.
 */
export interface CrossRegionRestoreConfig {
  /**
   * A primary recovery point is visible in the secondary region once this long has passed since its time (a vault's crossRegionRestore.replicationDelaySeconds overrides it; POST /_emulator/crossRegion changes it at run time).
   */
  replicationDelaySeconds: number;
  /**
   * Retry-After sent on the 202s and running polls of validateCrossRegionRestore/crossRegionRestore. Default: none, as recorded real traffic shows.
   */
  retryAfterSeconds?: number;
}
