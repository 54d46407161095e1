/**
 * The emulator's runtime state (vaults, backup instances, recovery points, operations, jobs) and how each
 * is rendered as the ARM resource the swagger defines.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { BackupInstanceConfig, ServerConfig, VaultConfig } from './config';
import type { ManagedCluster, PgEndpoint } from './postgres';
import { vaultGeoSettings } from './regions';

export interface ServerRuntime {
  config: ServerConfig;
  armId: string;
  admin: PgEndpoint;
  realMajor: number;
  reportedMajor: number;
  cluster?: ManagedCluster;
}

export interface DataStoreDetail {
  id: string;
  type: 'VaultStore' | 'ArchiveStore';
  creationTime: string;
  expiryTime: string;
  state: 'COMMITTED';
  visible: boolean;
  // The real service sends null for these when unset (see the Learn article); the swagger types them as
  // non-nullable strings, so the emulator leaves them out instead.
  rehydrationStatus?: 'CREATE_IN_PROGRESS' | 'COMPLETED' | 'DELETE_IN_PROGRESS' | 'DELETED' | 'FAILED';
  rehydrationExpiryTime?: string;
}

export interface RecoveryPointRuntime {
  id: string;
  time: Date;
  /** One dump per database, in the vault store container. */
  blobs: { database: string; blob: string; bytes: number }[];
  sourceMajor: number;
  stores: DataStoreDetail[];
  expiry: Date;
}

export interface BackupInstanceRuntime {
  vault: VaultRuntime;
  config: BackupInstanceConfig;
  name: string;
  armId: string;
  server: ServerRuntime;
  kind: 'single' | 'flexible';
  databases: string[];
  datasourceId: string;
  /** Shared with the original when this instance is one of its copies (config "copies"). */
  points: RecoveryPointRuntime[];
  copyOf?: BackupInstanceRuntime;
  /** Set through POST /_emulator/protection: a stopped or failing protection (absent: ProtectionConfigured). */
  protection?: 'ProtectionStopped' | 'ProtectionError';
}

export interface VaultRuntime {
  config: VaultConfig;
  name: string;
  armId: string;
  principalId: string;
  /**
   * The vault's identity as ARM shows it (POST /_emulator/vaultIdentity): SystemAssigned unless a test takes it
   * away; UserAssigned or None show no principalId, as a real vault without a system-assigned identity.
   */
  identityType?: 'SystemAssigned' | 'UserAssigned' | 'None';
  instances: Map<string, BackupInstanceRuntime>;
}

export interface ArmErrorBody {
  code: string;
  message: string;
  additionalInfo?: { type: string; info: Record<string, unknown> }[];
}

export interface OperationRuntime {
  id: string;
  kind: 'validate' | 'restore';
  vault: VaultRuntime;
  startTime: Date;
  /** Not terminal before this time, whatever the work says. */
  readyAt: number;
  /** Retry-After while it runs; undefined: none (as real Azure answers these operations). */
  retryAfterSeconds?: number;
  result?: { ok: true; jobId?: string } | { ok: false; error: ArmErrorBody };
}

export interface SubTask {
  taskId: number;
  taskName: string;
  taskStatus: 'NotStarted' | 'InProgress' | 'Completed' | 'Failed';
  /** The task that moves the data: once completed, it reports DataTransferredInBytes (as real jobs do). */
  transfersData?: boolean;
}

export interface JobRuntime {
  id: string;
  vault: VaultRuntime;
  bi: BackupInstanceRuntime;
  operation: 'Restore' | 'Backup';
  status: 'InProgress' | 'Completed' | 'Failed';
  startTime: Date;
  endTime?: Date;
  subTasks: SubTask[];
  errorDetails?: Record<string, unknown>[];
  point: RecoveryPointRuntime;
  recoveryDestination?: string;
  /** Restore as files: the prefix, reported in additionalDetails as real jobs do. */
  filePrefix?: string;
  dataTransferredInBytes: number;
  rehydrationPriority?: string;
  sourceDataStore: string;
  /** The files a restore-as-files job wrote, and the database a restore-as-database job created. */
  restoredBlobs: string[];
  restoredDatabase?: string;
}

export function serverArmId(subscriptionId: string, s: ServerConfig): string {
  const type = s.kind === 'single' ? 'servers' : 'flexibleServers';
  return `/subscriptions/${subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.DBforPostgreSQL/${type}/${s.name}`;
}

export function vaultArmId(subscriptionId: string, v: VaultConfig): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${v.name}`;
}

/** A GUID that is stable for a given seed (names that survive a restart of the emulator with the same config). */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newRecoveryPointId(): string {
  return randomUUID().replace(/-/g, '');
}

/** An operation id shaped like Azure's: base64 of "guid;guid". */
export function newOperationId(): string {
  return Buffer.from(`${randomUUID()};${randomUUID()}`).toString('base64');
}

/**
 * A job's duration as real Azure writes it (recorded traffic, reference/dataprotection/RECORDINGS.md section 1):
 * ISO 8601 with up to 7 fractional digits of seconds ("PT2M5.6503519S", "PT0S"), not the .NET TimeSpan text
 * ("00:02:11.9724387") the swagger examples show.
 */
export function isoDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const secondsMs = total % 60_000;
  const whole = Math.floor(secondsMs / 1000);
  const frac = secondsMs % 1000 ? `.${String(secondsMs % 1000).padStart(3, '0')}0000` : '';
  const s = whole || frac || (!h && !m) ? `${whole}${frac}S` : '';
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s}`;
}

/** A time as Azure writes it in jobs and operation status: 7 fractional digits ("…:59.3692172Z"). */
export function azureTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/**
 * A time in whole seconds, as a finished operation's endTime ("2024-04-10T10:33:40Z"); rounded up, so an end
 * never reads earlier than its start.
 */
export function wholeSecondsTime(d: Date): string {
  return new Date(Math.ceil(d.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The job etag real jobs carry: W/"datetime'<url-encoded time of the last change>'". */
function jobEtag(changed: Date): string {
  return `W/"datetime'${encodeURIComponent(azureTime(changed))}'"`;
}

export function renderVault(v: VaultRuntime, tenantId: string): Record<string, unknown> {
  const geo = vaultGeoSettings(v.config);
  return {
    id: v.armId,
    name: v.name,
    type: 'Microsoft.DataProtection/backupVaults',
    location: v.config.location,
    identity:
      (v.identityType ?? 'SystemAssigned') === 'SystemAssigned'
        ? { type: 'SystemAssigned', principalId: v.principalId, tenantId }
        : { type: v.identityType },
    properties: {
      provisioningState: 'Succeeded',
      storageSettings: [{ datastoreType: 'VaultStore', type: geo.storageType }],
      securitySettings: { softDeleteSettings: { state: 'On', retentionDurationInDays: 14 } },
      featureSettings: {
        crossSubscriptionRestoreSettings: { state: 'Enabled' },
        crossRegionRestoreSettings: { state: geo.crossRegionRestore },
      },
      // A geo-redundant vault lists its paired region (as the recorded CRR vault does: ["centraluseuap"]).
      ...(geo.secondaryRegion ? { replicatedRegions: [geo.secondaryRegion] } : {}),
      monitoringSettings: { azureMonitorAlertSettings: { alertsForAllJobFailures: 'Enabled' } },
    },
  };
}

/** A server's ARM resource as far as the app reads it: id, name, type, location and tags. */
export function renderServer(s: ServerRuntime): Record<string, unknown> {
  return {
    id: s.armId,
    name: s.config.name,
    type:
      s.config.kind === 'single'
        ? 'Microsoft.DBforPostgreSQL/servers'
        : 'Microsoft.DBforPostgreSQL/flexibleServers',
    location: s.config.location,
    tags: s.config.tags,
    properties: { state: 'Ready', version: String(s.reportedMajor) },
  };
}

/** protectionStatus and currentProtectionState (and the error of a failing protection), as the swagger has them. */
function protectionProperties(bi: BackupInstanceRuntime): Record<string, unknown> {
  if (bi.protection === 'ProtectionStopped')
    return { protectionStatus: { status: 'ProtectionStopped' }, currentProtectionState: 'ProtectionStopped' };
  if (bi.protection === 'ProtectionError') {
    const error = {
      code: 'UserErrorMSIMissingPermissions',
      message:
        "The Backup vault's managed identity does not have the permissions it needs on the PostgreSQL server.",
      recommendedAction: ["Assign the Backup vault's managed identity the Reader role on the server."],
      isRetryable: false,
      isUserError: true,
    };
    return {
      protectionStatus: { status: 'ProtectionConfigured' },
      currentProtectionState: 'ProtectionError',
      protectionErrorDetails: error,
    };
  }
  return {
    protectionStatus: { status: 'ProtectionConfigured' },
    currentProtectionState: 'ProtectionConfigured',
  };
}

export function renderBackupInstance(bi: BackupInstanceRuntime): Record<string, unknown> {
  const s = bi.server;
  const single = bi.kind === 'single';
  const dsType = single
    ? 'Microsoft.DBforPostgreSQL/servers/databases'
    : 'Microsoft.DBforPostgreSQL/flexibleServers';
  return {
    id: bi.armId,
    name: bi.name,
    type: 'Microsoft.DataProtection/backupVaults/backupInstances',
    properties: {
      friendlyName: single ? `${s.config.name}\\${bi.databases[0]}` : s.config.name,
      objectType: 'BackupInstance',
      dataSourceInfo: {
        objectType: 'Datasource',
        resourceID: bi.datasourceId,
        resourceName: single ? bi.databases[0] : s.config.name,
        resourceType: dsType,
        resourceLocation: s.config.location,
        resourceUri: bi.datasourceId,
        datasourceType: dsType,
      },
      dataSourceSetInfo: {
        objectType: 'DatasourceSet',
        resourceID: s.armId,
        resourceName: s.config.name,
        resourceType: single
          ? 'Microsoft.DBforPostgreSQL/servers'
          : 'Microsoft.DBforPostgreSQL/flexibleServers',
        resourceLocation: s.config.location,
        resourceUri: s.armId,
        datasourceType: dsType,
      },
      policyInfo: { policyId: `${bi.vault.armId}/backupPolicies/pgdrill-weekly`, policyVersion: '1.0' },
      ...protectionProperties(bi),
      provisioningState: 'Succeeded',
    },
  };
}

export function renderRecoveryPoint(
  bi: BackupInstanceRuntime,
  rp: RecoveryPointRuntime,
): Record<string, unknown> {
  return {
    id: `${bi.armId}/recoveryPoints/${rp.id}`,
    name: rp.id,
    type: 'Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints',
    properties: {
      objectType: 'AzureBackupDiscreteRecoveryPoint',
      recoveryPointId: rp.id,
      recoveryPointTime: rp.time.toISOString(),
      recoveryPointType: 'Full',
      friendlyName: rp.id,
      policyName: 'pgdrill-weekly',
      retentionTagName: 'Default',
      retentionTagVersion: '1',
      recoveryPointState: 'Completed',
      expiryTime: rp.expiry.toISOString(),
      recoveryPointDataStoresDetails: rp.stores,
    },
  };
}

/**
 * A backup job as real Azure renders it in the same region (recorded traffic, RECORDINGS.md sections 1 and 2):
 * every property present in the recorded key order, unset ones as explicit nulls; status InProgress, Completed
 * or Failed; duration ISO 8601 (PT0S while running); supportedActions [""]; the byte count only in the
 * completed sub-task's additionalDetails, as a string (extendedInfo.dataTransferredInBytes stays null); the
 * destination as the container URL (files, with the prefix in additionalDetails) or the target database id; no
 * file names anywhere.
 */
export function renderJob(job: JobRuntime, subscriptionId: string, now: number): Record<string, unknown> {
  const bi = job.bi;
  const restore = job.operation === 'Restore';
  const running = job.status === 'InProgress';
  const end = job.endTime?.getTime() ?? now;
  const dsType =
    bi.kind === 'single'
      ? 'Microsoft.DBforPostgreSQL/servers/databases'
      : 'Microsoft.DBforPostgreSQL/flexibleServers';
  const activityID = stableGuid(`activity:${job.id}`);
  return {
    properties: {
      activityID,
      subscriptionId,
      backupInstanceId: bi.armId,
      policyId: `${bi.vault.armId}/backupPolicies/pgdrill-weekly`,
      dataSourceId: bi.datasourceId,
      vaultName: job.vault.name,
      backupInstanceFriendlyName: (renderBackupInstance(bi).properties as { friendlyName: string })
        .friendlyName,
      policyName: 'pgdrill-weekly',
      sourceResourceGroup: bi.server.config.resourceGroup,
      // Single Server names its server here; the Flexible Server recording has null.
      dataSourceSetName: bi.kind === 'single' ? bi.server.config.name : null,
      dataSourceName: bi.kind === 'single' ? bi.databases[0] : bi.server.config.name,
      sourceDataStoreName: null,
      sourceDataStoreType: job.sourceDataStore,
      destinationDataStoreName: null,
      progressEnabled: true,
      etag: jobEtag(job.endTime ?? job.startTime),
      sourceSubscriptionID: subscriptionId,
      dataSourceLocation: bi.server.config.location,
      startTime: azureTime(job.startTime),
      endTime: job.endTime ? azureTime(job.endTime) : null,
      dataSourceType: dsType,
      operationCategory: restore ? 'Restore' : 'Backup',
      operation: restore ? 'Restore' : 'Backup',
      status: job.status,
      restoreType: null,
      isUserTriggered: restore,
      rehydrationPriority: job.rehydrationPriority ?? null,
      supportedActions: [''],
      duration: isoDuration(running ? 0 : end - job.startTime.getTime()),
      progressUrl: null,
      isCrossRegionRestore: null,
      errorDetails: job.errorDetails ?? null,
      extendedInfo: {
        backupInstanceState: null,
        dataTransferredInBytes: null,
        targetRecoverPoint: null,
        sourceRecoverPoint: {
          recoveryPointID: job.point.id,
          recoveryPointTime: azureTime(job.point.time),
        },
        recoveryDestination: job.recoveryDestination ?? null,
        subTasks: job.subTasks.map((t) => ({
          taskId: t.taskId,
          taskName: t.taskName,
          taskStatus: t.taskStatus,
          taskProgress: null,
          additionalDetails:
            t.taskStatus === 'Completed' && t.transfersData
              ? {
                  DataTransferredInBytes: String(job.dataTransferredInBytes),
                  TaskId: activityID,
                  DatasourceType: dsType,
                }
              : null,
        })),
        additionalDetails: job.filePrefix ? { 'Restore File Prefix': job.filePrefix } : null,
        warningDetails: null,
      },
    },
    id: `${job.vault.armId}/backupJobs/${job.id}`,
    name: job.id,
    type: 'Microsoft.DataProtection/backupVaults/backupJobs',
  };
}
