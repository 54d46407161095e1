/* Generated from schemas/dataprotection.schema.json by scripts/gen-types.mjs. Do not edit. */

/**
 * An Azure Resource Manager resource id.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "ArmId".
 */
export type ArmId = string;
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "SourceDataStoreType".
 */
export type SourceDataStoreType = 'VaultStore' | 'ArchiveStore' | 'OperationalStore' | 'SnapshotStore';
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RehydrationPriority".
 */
export type RehydrationPriority = 'High' | 'Standard';
/**
 * ISO 8601 duration in whole days, such as P15D (the swagger example's "7D" is not ISO 8601).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "IsoDurationDays".
 */
export type IsoDurationDays = string;
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RestoreTarget".
 */
export type RestoreTarget = RestoreTargetInfo | RestoreFilesTargetInfo;
/**
 * Body of POST .../restore: the bare AzureBackupRestoreRequest, not wrapped.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RestoreRequest".
 */
export type RestoreRequest = RecoveryPointBasedRestoreRequest | RestoreWithRehydrationRequest;

/**
 * The subset of the Microsoft.DataProtection contract (reference/dataprotection, api-version 2026-06-01; 2021-07-01 has the same shapes without the newer optional request fields, which src/lib/dataprotection/requests.ts leaves out per api-version) that pg-restore-drill sends and relies on. Request bodies are closed (additionalProperties: false) because we build them; response schemas are open (the service adds fields over time) and require only what the client reads.
 */
export interface DataProtectionContract {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "IdentityDetails".
 */
export interface IdentityDetails {
  useSystemAssignedIdentity?: boolean;
  userAssignedIdentityArmUrl?: string;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "Datasource".
 */
export interface Datasource {
  objectType: 'Datasource';
  resourceID: ArmId;
  resourceName?: string;
  resourceType?: string;
  resourceLocation?: string;
  resourceUri?: string;
  datasourceType?: string;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "DatasourceSet".
 */
export interface DatasourceSet {
  objectType: 'DatasourceSet';
  resourceID: ArmId;
  resourceName?: string;
  resourceType?: string;
  resourceLocation?: string;
  resourceUri?: string;
  datasourceType?: string;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "SecretStoreBasedAuthCredentials".
 */
export interface SecretStoreBasedAuthCredentials {
  objectType: 'SecretStoreBasedAuthCredentials';
  secretStoreResource: SecretStoreResource;
}
export interface SecretStoreResource {
  secretStoreType: 'AzureKeyVault';
  /**
   * Key Vault secret URI. Only the URI travels; the value is never sent.
   */
  uri: string;
}
/**
 * Restore as a new database (Alternate-Location Recovery). Note the lower-case s in datasourceInfo.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RestoreTargetInfo".
 */
export interface RestoreTargetInfo {
  objectType: 'RestoreTargetInfo';
  recoveryOption: 'FailIfExists';
  restoreLocation?: string;
  datasourceInfo: Datasource;
  datasourceSetInfo?: DatasourceSet;
  datasourceAuthCredentials?: SecretStoreBasedAuthCredentials;
}
/**
 * Restore as files (pg_dump custom-format files in a blob container).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RestoreFilesTargetInfo".
 */
export interface RestoreFilesTargetInfo {
  objectType: 'RestoreFilesTargetInfo';
  recoveryOption: 'FailIfExists';
  restoreLocation?: string;
  targetDetails: TargetDetails;
}
export interface TargetDetails {
  filePrefix: string;
  restoreTargetLocationType: 'AzureBlobs';
  url: string;
  targetResourceArmId?: ArmId;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RecoveryPointBasedRestoreRequest".
 */
export interface RecoveryPointBasedRestoreRequest {
  objectType: 'AzureBackupRecoveryPointBasedRestoreRequest';
  recoveryPointId: string;
  restoreTargetInfo: RestoreTarget;
  sourceDataStoreType: 'VaultStore' | 'OperationalStore' | 'SnapshotStore';
  sourceResourceId?: ArmId;
  identityDetails?: IdentityDetails;
  resourceGuardOperationRequests?: string[];
}
/**
 * Restore of an archive-tier recovery point: the vault first rehydrates it, then restores.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RestoreWithRehydrationRequest".
 */
export interface RestoreWithRehydrationRequest {
  objectType: 'AzureBackupRestoreWithRehydrationRequest';
  recoveryPointId: string;
  restoreTargetInfo: RestoreTarget;
  sourceDataStoreType: 'ArchiveStore';
  sourceResourceId?: ArmId;
  identityDetails?: IdentityDetails;
  resourceGuardOperationRequests?: string[];
  rehydrationPriority: RehydrationPriority;
  rehydrationRetentionDuration: IsoDurationDays;
}
/**
 * Body of POST .../validateRestore. restoreRequestObject is its only property: no objectType, no top-level recoveryPointId (the Learn article is wrong about both).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "ValidateRestoreRequest".
 */
export interface ValidateRestoreRequest {
  restoreRequestObject: RestoreRequest;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "CrossRegionRestoreDetails".
 */
export interface CrossRegionRestoreDetails {
  sourceBackupInstanceId: ArmId;
  sourceRegion: string;
}
/**
 * Body of POST .../locations/{secondary}/validateCrossRegionRestore and .../crossRegionRestore (ValidateCrossRegionRestoreRequestObject, CrossRegionRestoreRequestObject): the restore request and where it comes from. No outer objectType: the swagger defines none (the CLI sends one, RECORDINGS.md section 3).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "CrossRegionRestoreRequest".
 */
export interface CrossRegionRestoreRequest {
  restoreRequestObject: RestoreRequest;
  crossRegionRestoreDetails: CrossRegionRestoreDetails;
}
/**
 * Body of POST .../locations/{secondary}/fetchSecondaryRecoveryPoints (FetchSecondaryRPsRequestParameters).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "FetchSecondaryRecoveryPointsRequest".
 */
export interface FetchSecondaryRecoveryPointsRequest {
  sourceBackupInstanceId: ArmId;
  sourceRegion: string;
}
/**
 * Body of POST .../locations/{secondary}/fetchCrossRegionRestoreJob: jobId is the bare GUID the crossRegionRestore operation gives.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "CrossRegionRestoreJobRequest".
 */
export interface CrossRegionRestoreJobRequest {
  jobId: string;
  sourceBackupVaultId: ArmId;
  sourceRegion: string;
}
/**
 * Body of POST .../locations/{secondary}/fetchCrossRegionRestoreJobs.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "CrossRegionRestoreJobsRequest".
 */
export interface CrossRegionRestoreJobsRequest {
  sourceBackupVaultId: ArmId;
  sourceRegion: string;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "ErrorAdditionalInfo".
 */
export interface ErrorAdditionalInfo {
  type?: string;
  info?: unknown;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "ArmError".
 */
export interface ArmError {
  code?: string;
  message?: string;
  target?: string | null;
  details?: ArmError[];
  additionalInfo?: ErrorAdditionalInfo[];
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "CloudError".
 */
export interface CloudError {
  error: ArmError;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "UserFacingError".
 */
export interface UserFacingError {
  code?: string;
  message?: string;
  target?: string | null;
  recommendedAction?: string[];
  isRetryable?: boolean;
  isUserError?: boolean;
  innerError?: {};
  properties?: {};
  details?: UserFacingError[];
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "OperationJobExtendedInfo".
 */
export interface OperationJobExtendedInfo {
  objectType: string;
  /**
   * Name or ARM id of the job (real responses: full id; examples: bare GUID).
   */
  jobId?: string;
}
/**
 * Body of the Azure-AsyncOperation (operationStatus) URL. status is a free string: Inprogress appears in Microsoft's own sample.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "OperationResource".
 */
export interface OperationResource {
  id?: string;
  name?: string;
  status: string;
  startTime?: string;
  endTime?: string;
  error?: ArmError;
  properties?: OperationJobExtendedInfo;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "ProxyResource".
 */
export interface ProxyResource {
  id: ArmId;
  name: string;
  type?: string;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupVaultResource".
 */
export interface BackupVaultResource {
  id: ArmId;
  name: string;
  type?: string;
  location?: string;
  identity?: {
    type?: string;
    principalId?: string;
    tenantId?: string;
  };
  properties: {
    provisioningState?: string;
    storageSettings?: {
      datastoreType?: string;
      type?: string;
    }[];
    featureSettings?: {
      crossRegionRestoreSettings?: {
        /**
         * Disabled or Enabled.
         */
        state?: string;
      };
    };
    replicatedRegions?: string[];
  };
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupInstanceDatasource".
 */
export interface BackupInstanceDatasource {
  resourceID: ArmId;
  resourceName?: string;
  resourceType?: string;
  resourceLocation?: string;
  datasourceType?: string;
  objectType?: string;
}
/**
 * Note the capital S in dataSourceInfo here (the restore target uses datasourceInfo).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupInstanceResource".
 */
export interface BackupInstanceResource {
  id: ArmId;
  name: string;
  type?: string;
  properties: {
    friendlyName?: string;
    objectType?: string;
    dataSourceInfo: BackupInstanceDatasource;
    dataSourceSetInfo?: BackupInstanceDatasource;
    policyInfo?: {
      policyId?: string;
      policyVersion?: string;
    };
    protectionStatus?: {
      status?: string;
      errorDetails?: UserFacingError;
    };
    currentProtectionState?: string;
    protectionErrorDetails?: UserFacingError;
    provisioningState?: string;
  };
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupVaultResourceList".
 */
export interface BackupVaultResourceList {
  value: BackupVaultResource[];
  nextLink?: string | null;
}
/**
 * Any ARM resource read for its tags and location (the source PostgreSQL server of a backup instance: Microsoft.DBforPostgreSQL/servers or flexibleServers).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "TrackedResource".
 */
export interface TrackedResource {
  id: ArmId;
  name?: string;
  type?: string;
  location?: string;
  tags?: {
    [k: string]: string;
  } | null;
  /**
   * The resource's own properties; for a PostgreSQL server, version (its major version, e.g. "11" or "16").
   */
  properties?: {
    version?: string | null;
  } | null;
}
/**
 * Microsoft.Authorization Permissions - List For Resource (api-version 2022-04-01): the caller's effective actions at a scope.
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "PermissionListResult".
 */
export interface PermissionListResult {
  value: Permission[];
  nextLink?: string | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "Permission".
 */
export interface Permission {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}
/**
 * Microsoft.Authorization Role Assignments - List For Scope (api-version 2022-04-01).
 *
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RoleAssignmentListResult".
 */
export interface RoleAssignmentListResult {
  value: RoleAssignment[];
  nextLink?: string | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RoleAssignment".
 */
export interface RoleAssignment {
  id?: string;
  name?: string;
  type?: string;
  properties: {
    scope?: string;
    roleDefinitionId: string;
    principalId: string;
    principalType?: string;
  };
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupInstanceResourceList".
 */
export interface BackupInstanceResourceList {
  value: BackupInstanceResource[];
  nextLink?: string | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RecoveryPointDataStoreDetails".
 */
export interface RecoveryPointDataStoreDetails {
  id?: string;
  /**
   * VaultStore or ArchiveStore for PostgreSQL (examples show Snapshot / BackupStorage).
   */
  type?: string;
  creationTime?: string | null;
  expiryTime?: string | null;
  state?: string | null;
  visible?: boolean | null;
  rehydrationExpiryTime?: string | null;
  rehydrationStatus?: string | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RecoveryPointResource".
 */
export interface RecoveryPointResource {
  id: ArmId;
  name: string;
  type?: string;
  properties: {
    objectType: string;
    recoveryPointId?: string;
    recoveryPointTime: string;
    recoveryPointType?: string;
    recoveryPointState?: string;
    friendlyName?: string;
    expiryTime?: string | null;
    recoveryPointDataStoresDetails?: RecoveryPointDataStoreDetails[];
  };
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "RecoveryPointResourceList".
 */
export interface RecoveryPointResourceList {
  value: RecoveryPointResource[];
  nextLink?: string | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "JobSubTask".
 */
export interface JobSubTask {
  taskId?: number;
  taskName?: string;
  taskStatus?: string;
  taskProgress?: string | null;
  /**
   * Real completed restore tasks carry DataTransferredInBytes (a string of digits), TaskId and DatasourceType here.
   */
  additionalDetails?: {
    [k: string]: string;
  } | null;
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupJobResource".
 */
export interface BackupJobResource {
  id: ArmId;
  name: string;
  type?: string;
  properties: {
    activityID?: string;
    operation: string;
    operationCategory?: string;
    status: string;
    startTime: string;
    endTime?: string | null;
    /**
     * ISO 8601 per the spec; .NET TimeSpan (00:02:11.97) in practice.
     */
    duration?: string | null;
    backupInstanceId?: string;
    dataSourceId?: string;
    dataSourceName?: string;
    isUserTriggered?: boolean;
    progressEnabled?: boolean;
    progressUrl?: string | null;
    restoreType?: string | null;
    errorDetails?: UserFacingError[] | null;
    extendedInfo?: {
      recoveryDestination?: string | null;
      /**
       * Free-form details; real restore-as-files jobs carry "Restore File Prefix" here.
       */
      additionalDetails?: {
        [k: string]: string;
      } | null;
      dataTransferredInBytes?: number | null;
      sourceRecoverPoint?: {
        recoveryPointID?: string;
        recoveryPointTime?: string;
      } | null;
      subTasks?: JobSubTask[] | null;
    } | null;
  };
}
/**
 * This interface was referenced by `DataProtectionContract`'s JSON-Schema
 * via the `definition` "BackupJobResourceList".
 */
export interface BackupJobResourceList {
  value: BackupJobResource[];
  nextLink?: string | null;
}
