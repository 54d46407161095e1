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
}

export interface VaultRuntime {
  config: VaultConfig;
  name: string;
  armId: string;
  principalId: string;
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
  retryAfterSeconds: number;
  result?: { ok: true; jobId?: string } | { ok: false; error: ArmErrorBody };
}

export interface SubTask {
  taskId: number;
  taskName: string;
  taskStatus: 'NotStarted' | 'InProgress' | 'Completed' | 'Failed';
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

/** .NET TimeSpan text, as Azure Backup returns job durations ("00:02:11.9724387"). */
export function timeSpan(ms: number): string {
  const total = Math.max(0, ms);
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const frac = String(Math.round((total % 1000) * 10_000)).padStart(7, '0');
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${frac}`;
}

export function renderVault(v: VaultRuntime, tenantId: string): Record<string, unknown> {
  const geo = vaultGeoSettings(v.config);
  return {
    id: v.armId,
    name: v.name,
    type: 'Microsoft.DataProtection/backupVaults',
    location: v.config.location,
    identity: { type: 'SystemAssigned', principalId: v.principalId, tenantId },
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
      protectionStatus: { status: 'ProtectionConfigured' },
      currentProtectionState: 'ProtectionConfigured',
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

export function renderJob(job: JobRuntime, subscriptionId: string, now: number): Record<string, unknown> {
  const bi = job.bi;
  const end = job.endTime?.getTime() ?? now;
  const restore = job.operation === 'Restore';
  return {
    id: `${job.vault.armId}/backupJobs/${job.id}`,
    name: job.id,
    type: 'Microsoft.DataProtection/backupVaults/backupJobs',
    properties: {
      activityID: stableGuid(`activity:${job.id}`),
      backupInstanceFriendlyName: (renderBackupInstance(bi).properties as { friendlyName: string })
        .friendlyName,
      backupInstanceId: bi.armId,
      dataSourceId: bi.datasourceId,
      dataSourceLocation: bi.server.config.location,
      dataSourceName: bi.kind === 'single' ? bi.databases[0] : bi.server.config.name,
      dataSourceSetName: bi.server.config.name,
      dataSourceType:
        bi.kind === 'single'
          ? 'Microsoft.DBforPostgreSQL/servers/databases'
          : 'Microsoft.DBforPostgreSQL/flexibleServers',
      duration: timeSpan(end - job.startTime.getTime()),
      startTime: job.startTime.toISOString(),
      ...(job.endTime ? { endTime: job.endTime.toISOString() } : {}),
      isUserTriggered: restore,
      operation: restore ? 'Restore' : 'Backup',
      operationCategory: restore ? 'Restore' : 'Backup',
      policyId: `${bi.vault.armId}/backupPolicies/pgdrill-weekly`,
      policyName: 'pgdrill-weekly',
      progressEnabled: false,
      sourceResourceGroup: bi.server.config.resourceGroup,
      sourceSubscriptionID: subscriptionId,
      subscriptionId,
      status: job.status,
      supportedActions: job.status === 'InProgress' ? ['Cancellable'] : [],
      vaultName: job.vault.name,
      sourceDataStoreName: job.sourceDataStore,
      ...(restore ? { restoreType: 'AlternateLocation' } : {}),
      ...(job.rehydrationPriority ? { rehydrationPriority: job.rehydrationPriority } : {}),
      ...(job.errorDetails ? { errorDetails: job.errorDetails } : {}),
      extendedInfo: {
        additionalDetails: job.filePrefix ? { 'Restore File Prefix': job.filePrefix } : {},
        dataTransferredInBytes: job.dataTransferredInBytes,
        ...(job.recoveryDestination ? { recoveryDestination: job.recoveryDestination } : {}),
        sourceRecoverPoint: {
          recoveryPointID: job.point.id,
          recoveryPointTime: job.point.time.toISOString(),
        },
        subTasks: job.subTasks,
      },
    },
  };
}
