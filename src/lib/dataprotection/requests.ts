/**
 * Pure builders for the restore request bodies, shaped exactly as the swagger (not the Learn article, see
 * reference/dataprotection/CONTRACT.md section 2 "Differences"):
 *  - restoreTargetInfo.objectType is "RestoreTargetInfo" and its fields are datasourceInfo/datasourceSetInfo
 *    with a lower-case s (the article's "restoreTargetInfo"/"dataSourceInfo" are not what the service reads);
 *  - archive-tier points use objectType "AzureBackupRestoreWithRehydrationRequest" with camelCase
 *    rehydrationPriority/rehydrationRetentionDuration (the article's snake_case fields on the plain
 *    recovery-point request are unknown to the deserializer);
 *  - the validate body is { restoreRequestObject } and nothing else (no objectType, no recoveryPointId);
 *  - a body carries only the fields the configured api-version's own swagger defines (requestFieldsFor):
 *    2021-07-01 has no sourceResourceId, identityDetails or targetDetails.targetResourceArmId.
 * Every builder validates its output against schemas/dataprotection.schema.json before returning it.
 */
import { AppError } from '../errors';
import type {
  IdentityDetails,
  RehydrationPriority,
  RestoreFilesTargetInfo,
  RestoreRequest,
  RestoreTargetInfo,
  ValidateRestoreRequest,
} from '../types/generated/dataprotection';
import { assertValid, schemaRef } from '../validation';
import { datasourceKindOf, parentId, parseArmId, parseArmIdOfType, RESOURCE_TYPES, sameArmId } from './armId';

export class RestoreRequestError extends AppError {}

export interface DatabaseTarget {
  kind: 'database';
  /** ARM id of the database to create: .../Microsoft.DBforPostgreSQL/servers/{server}/databases/{name}. */
  targetDatabaseId: string;
  /** Key Vault secret URI holding the target server's connection string (only the URI is sent). */
  secretUri: string;
  /** Datasource resourceLocation (the swagger examples send ""). */
  resourceLocation?: string;
}

export interface FilesTarget {
  kind: 'files';
  /** Blob container URL, e.g. https://account.blob.core.windows.net/container. */
  containerUrl: string;
  filePrefix: string;
  /** Container ARM id; needed when the vault's cross-subscription restore is disabled. */
  containerArmId?: string;
}

export interface RehydrationOptions {
  priority: RehydrationPriority;
  /** Days to keep the rehydrated point in the vault store; Azure accepts 10 to 30. */
  retentionDays: number;
}

export interface RestoreRequestInput {
  /** ARM id of the backed-up datasource (backup instance dataSourceInfo.resourceID). */
  sourceDatasourceId: string;
  recoveryPointId: string;
  target: DatabaseTarget | FilesTarget;
  /** Target region (restoreTargetInfo.restoreLocation). */
  restoreLocation?: string;
  /** VaultStore, or ArchiveStore for an archive-only point (then `rehydration` is required). */
  sourceDataStoreType: 'VaultStore' | 'ArchiveStore';
  rehydration?: RehydrationOptions;
  /** The Data Protection api-version the body is sent with (DATAPROTECTION_API_VERSION): it decides the fields. */
  apiVersion: string;
  identityDetails?: IdentityDetails;
}

/** The optional restore-request fields that not every supported api-version defines. */
export interface RequestFields {
  /** AzureBackupRestoreRequest.sourceResourceId (the backed-up datasource's ARM id). */
  sourceResourceId: boolean;
  /** AzureBackupRestoreRequest.identityDetails. */
  identityDetails: boolean;
  /** RestoreFilesTargetInfo.targetDetails.targetResourceArmId (the container's ARM id). */
  targetResourceArmId: boolean;
}

/** The api-version from which the fields above are all defined (its swagger is in reference/dataprotection). */
export const FULL_REQUEST_API_VERSION = '2026-06-01';

/**
 * The optional fields `apiVersion` defines, from each version's own swagger (reference/dataprotection): the
 * 2021-07-01 swagger defines none of them (restore-definitions.json there), 2026-06-01 all. A version between
 * the two is held to 2021-07-01's fields, which every later version also has, so a body never carries a field
 * its api-version does not define; a newer one keeps 2026-06-01's.
 */
export function requestFieldsFor(apiVersion: string): RequestFields {
  const all = apiVersion >= FULL_REQUEST_API_VERSION;
  return { sourceResourceId: all, identityDetails: all, targetResourceArmId: all };
}

/** JSON pointers of the fields in `body` that `apiVersion` does not define (empty: the body fits). */
export function fieldsNotIn(body: RestoreRequest, apiVersion: string): string[] {
  const fields = requestFieldsFor(apiVersion);
  const out: string[] = [];
  if (!fields.sourceResourceId && 'sourceResourceId' in body) out.push('/sourceResourceId');
  if (!fields.identityDetails && 'identityDetails' in body) out.push('/identityDetails');
  const target = body.restoreTargetInfo;
  if (
    !fields.targetResourceArmId &&
    target.objectType === 'RestoreFilesTargetInfo' &&
    'targetResourceArmId' in target.targetDetails
  )
    out.push('/restoreTargetInfo/targetDetails/targetResourceArmId');
  return out;
}

function notInApiVersion(field: string, apiVersion: string, what: string): RestoreRequestError {
  return new RestoreRequestError(
    'NotInApiVersion',
    `${what} needs ${field}, which api-version ${apiVersion} (DATAPROTECTION_API_VERSION) does not define: set DATAPROTECTION_API_VERSION to ${FULL_REQUEST_API_VERSION} or later, or leave ${what} out`,
  );
}

export const REHYDRATION_RETENTION_DAYS = { min: 10, max: 30 } as const;

/** ISO 8601 duration in days, as the swagger describes ("P10D"); az CLI sends the same. */
export function rehydrationRetentionDuration(days: number): string {
  if (
    !Number.isInteger(days) ||
    days < REHYDRATION_RETENTION_DAYS.min ||
    days > REHYDRATION_RETENTION_DAYS.max
  ) {
    throw new RestoreRequestError(
      'InvalidRehydrationRetention',
      `rehydration retention must be a whole number of days from ${REHYDRATION_RETENTION_DAYS.min} to ${REHYDRATION_RETENTION_DAYS.max} (Azure rejects others); got ${days}`,
    );
  }
  return `P${days}D`;
}

function buildDatabaseTarget(input: RestoreRequestInput, target: DatabaseTarget): RestoreTargetInfo {
  const source = parseArmId(input.sourceDatasourceId, 'source datasource id');
  if (datasourceKindOf(source.id) === 'flexibleServer') {
    throw new RestoreRequestError(
      'RestoreAsDatabaseNotSupported',
      'Azure Backup restores Flexible Server backups as files only: use a files target (a blob container) and load the dump into a drill server.',
    );
  }
  const db = parseArmIdOfType(
    target.targetDatabaseId,
    RESOURCE_TYPES.singleServerDatabase,
    'target database id',
  );
  if (sameArmId(db.id, source.id)) {
    throw new RestoreRequestError(
      'OriginalLocationRestoreNotSupported',
      `the target database ${db.id} is the source database: Azure Backup does not support Original-Location Recovery for PostgreSQL, and a drill never writes to its source. Choose another database name or server.`,
    );
  }
  const serverId = parentId(db);
  const serverName = db.segments[0]!.name;
  const location = target.resourceLocation ?? '';
  const info: RestoreTargetInfo = {
    objectType: 'RestoreTargetInfo',
    recoveryOption: 'FailIfExists',
    datasourceInfo: {
      objectType: 'Datasource',
      resourceID: db.id,
      resourceName: db.name,
      resourceType: RESOURCE_TYPES.singleServerDatabase,
      resourceLocation: location,
      resourceUri: '',
      datasourceType: RESOURCE_TYPES.singleServerDatabase,
    },
    datasourceSetInfo: {
      objectType: 'DatasourceSet',
      resourceID: serverId,
      resourceName: serverName,
      resourceType: RESOURCE_TYPES.singleServer,
      resourceLocation: location,
      resourceUri: '',
      datasourceType: RESOURCE_TYPES.singleServerDatabase,
    },
    datasourceAuthCredentials: {
      objectType: 'SecretStoreBasedAuthCredentials',
      secretStoreResource: { secretStoreType: 'AzureKeyVault', uri: target.secretUri },
    },
  };
  if (input.restoreLocation !== undefined) info.restoreLocation = input.restoreLocation;
  return info;
}

function buildFilesTarget(input: RestoreRequestInput, target: FilesTarget): RestoreFilesTargetInfo {
  let url: URL;
  try {
    url = new URL(target.containerUrl);
  } catch {
    throw new RestoreRequestError(
      'InvalidContainerUrl',
      `container URL "${target.containerUrl}" is not a URL`,
    );
  }
  if (target.containerArmId !== undefined) {
    parseArmIdOfType(target.containerArmId, RESOURCE_TYPES.storageContainer, 'container ARM id');
    if (!requestFieldsFor(input.apiVersion).targetResourceArmId)
      throw notInApiVersion('targetDetails.targetResourceArmId', input.apiVersion, 'the container ARM id');
  }
  const info: RestoreFilesTargetInfo = {
    objectType: 'RestoreFilesTargetInfo',
    recoveryOption: 'FailIfExists',
    targetDetails: {
      filePrefix: target.filePrefix,
      restoreTargetLocationType: 'AzureBlobs',
      url: url.href.replace(/\/+$/, ''),
    },
  };
  if (target.containerArmId !== undefined) info.targetDetails.targetResourceArmId = target.containerArmId;
  if (input.restoreLocation !== undefined) info.restoreLocation = input.restoreLocation;
  return info;
}

/** Body of POST {backupInstance}/restore. */
export function buildRestoreRequest(input: RestoreRequestInput): RestoreRequest {
  const restoreTargetInfo =
    input.target.kind === 'database'
      ? buildDatabaseTarget(input, input.target)
      : buildFilesTarget(input, input.target);
  const fields = requestFieldsFor(input.apiVersion);
  if (input.identityDetails && !fields.identityDetails)
    throw notInApiVersion('identityDetails', input.apiVersion, 'a restore identity');
  const common = {
    recoveryPointId: input.recoveryPointId,
    restoreTargetInfo,
    ...(fields.sourceResourceId
      ? { sourceResourceId: parseArmId(input.sourceDatasourceId, 'source datasource id').id }
      : {}),
    ...(input.identityDetails ? { identityDetails: input.identityDetails } : {}),
  };
  let request: RestoreRequest;
  if (input.sourceDataStoreType === 'ArchiveStore') {
    if (!input.rehydration) {
      throw new RestoreRequestError(
        'RehydrationRequired',
        'the recovery point is in the archive tier only: a rehydration priority and retention (10 to 30 days) are required to restore it',
      );
    }
    request = {
      objectType: 'AzureBackupRestoreWithRehydrationRequest',
      sourceDataStoreType: 'ArchiveStore',
      rehydrationPriority: input.rehydration.priority,
      rehydrationRetentionDuration: rehydrationRetentionDuration(input.rehydration.retentionDays),
      ...common,
    };
  } else {
    if (input.rehydration) {
      throw new RestoreRequestError(
        'RehydrationNotApplicable',
        'rehydration options apply to archive-tier (ArchiveStore) recovery points only',
      );
    }
    request = {
      objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
      sourceDataStoreType: 'VaultStore',
      ...common,
    };
  }
  return assertValid<RestoreRequest>(
    schemaRef('dataprotection.schema.json', 'RestoreRequest'),
    request,
    'restore request',
  );
}

/** Body of POST {backupInstance}/validateRestore: the restore body wrapped, and nothing else. */
export function buildValidateRestoreRequest(restoreRequest: RestoreRequest): ValidateRestoreRequest {
  return assertValid<ValidateRestoreRequest>(
    schemaRef('dataprotection.schema.json', 'ValidateRestoreRequest'),
    { restoreRequestObject: restoreRequest },
    'validate restore request',
  );
}
