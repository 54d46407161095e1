/**
 * The Azure Backup error codes the emulator can raise, with user-facing text and recommended actions in the
 * spirit of the Azure Backup troubleshooting pages (reference/dataprotection/CONTRACT.md section 6). Codes
 * marked "emulator" are not documented publicly; they cover cases the docs leave open and say so.
 */
export interface CatalogEntry {
  message: string;
  recommendedAction: string[];
  isRetryable: boolean;
  isUserError: boolean;
}

export const ERROR_CATALOG: Record<string, CatalogEntry> = {
  UserErrorRestoreToLowerVersion: {
    message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
    recommendedAction: [
      'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
    ],
    isRetryable: false,
    // As the service's documented answer says (Learn's validate-restore failure example): a client must classify
    // by the code, not by this field.
    isUserError: false,
  },
  UserErrorDatabaseNameAlreadyInUse: {
    message: 'A database with the name given for the restore already exists on the target server.',
    recommendedAction: ['Restore with a database name that does not exist on the target server.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorMSIMissingPermissions: {
    message:
      "The Backup vault's managed identity does not have the permissions it needs on the PostgreSQL server.",
    recommendedAction: [
      "Assign the Backup vault's managed identity the Reader role on the PostgreSQL server.",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorContainerNotAccessible: {
    message:
      "The storage container given as the restore target does not exist or the Backup vault's managed identity cannot write to it.",
    recommendedAction: [
      "Check the container URL, and assign the Backup vault's managed identity the Storage Blob Data Contributor role on the storage account.",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorMissingNetworkSecurityPermissions: {
    message: 'The PostgreSQL server does not allow connections from Azure services.',
    recommendedAction: [
      "Turn on 'Allow access to Azure services' in the server's connection security settings.",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorDBUserAuthFailed: {
    message: 'The database user in the Key Vault secret could not log in to the PostgreSQL server.',
    recommendedAction: [
      'Check the user name and password in the Key Vault secret, and that the user can log in to the server.',
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorMissingDBPermissions: {
    message:
      'The database user in the Key Vault secret does not have the permissions needed for the restore.',
    recommendedAction: ['Grant the user the CREATEDB privilege (or use the server admin) and try again.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorInvalidSecret: {
    message: 'The secret given for the restore was not found in the Key Vault.',
    recommendedAction: ['Check the secret URI, and that the secret exists and is enabled.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorSecretValueInUnsupportedFormat: {
    message: 'The value of the Key Vault secret is not a connection string in the supported format.',
    recommendedAction: [
      'Store the credentials as: Server=<host>;Database=<db>;Port=5432;User Id=<user>@<server>;Password=<password>;Ssl Mode=Require;',
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorInvalidSecretStore: {
    message: 'The Key Vault given for the restore does not exist or cannot be reached.',
    recommendedAction: ['Check the Key Vault name in the secret URI and its network settings.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorMissingPermissionsOnSecretStore: {
    message: "The Backup vault's managed identity cannot read secrets from the Key Vault.",
    recommendedAction: [
      "Assign the Backup vault's managed identity the Key Vault Secrets User role (or get/list secret permissions).",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorDBNotFound: {
    message: 'The target PostgreSQL server or database does not exist.',
    recommendedAction: ['Check the target server ARM id and that the server is running.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorServerConnectionClosed: {
    message: 'The PostgreSQL server closed the connection unexpectedly.',
    recommendedAction: ['Check that the server is running and reachable, then try again.'],
    isRetryable: true,
    isUserError: true,
  },
  UserErrorMaxConcurrentOperationLimitReached: {
    message: 'Too many operations are running on this backup instance.',
    recommendedAction: ['Wait for the running operation to finish, then try again.'],
    isRetryable: true,
    isUserError: true,
  },
  // emulator: the documented codes do not cover these request problems.
  UserErrorRecoveryPointNotFound: {
    message: 'The recovery point given for the restore does not exist for this backup instance.',
    recommendedAction: ['List the recovery points of the backup instance and choose one of them.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorRecoveryPointNeedsRehydration: {
    message: 'The recovery point is in the archive tier only and must be rehydrated to be restored.',
    recommendedAction: [
      'Restore it with an AzureBackupRestoreWithRehydrationRequest, sourceDataStoreType ArchiveStore, a rehydration priority and a retention of P10D to P30D.',
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorInvalidRehydrationRetentionDuration: {
    message: 'The rehydration retention duration must be an ISO 8601 number of days from P10D to P30D.',
    recommendedAction: ['Send rehydrationRetentionDuration such as P15D.'],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorRestoreAsDatabaseNotSupported: {
    message: 'Backups of this datasource can be restored as files only.',
    recommendedAction: [
      'Restore with a RestoreFilesTargetInfo target (a blob container) and load the files with pg_restore.',
    ],
    isRetryable: false,
    isUserError: true,
  },
  // emulator: cross-region restore refusals (emulator/crossRegion.ts); real traffic of these cases is not recorded.
  UserErrorCrossRegionRestoreNotEnabled: {
    message: 'Cross-region restore is not enabled for this Backup vault.',
    recommendedAction: [
      'Use a vault with geo-redundant (GRS) storage and turn on Cross Region Restore in its properties; recovery points reach the secondary region some hours after that.',
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorInvalidCrossRegionRestoreLocation: {
    message: "Cross-region restore operations must be sent to the Backup vault's secondary (paired) region.",
    recommendedAction: [
      "Send the request to locations/{secondary region}, the region in the vault's replicatedRegions.",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorInvalidSourceRegion: {
    message: 'The source region given for the cross-region restore is not the region of the Backup vault.',
    recommendedAction: ["Set sourceRegion to the Backup vault's location."],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorCrossRegionRestoreTargetNotInSecondaryRegion: {
    message: "The restore target of a cross-region restore must be in the Backup vault's secondary region.",
    recommendedAction: [
      "Choose a target server (or set restoreLocation) in the vault's secondary (paired) region, or restore in the primary region instead.",
    ],
    isRetryable: false,
    isUserError: true,
  },
  UserErrorRestoreFailed: {
    message: 'The restore of the PostgreSQL database failed.',
    recommendedAction: ['Check the target server logs and space, then try again.'],
    isRetryable: true,
    isUserError: false,
  },
};

export function catalogEntry(code: string): CatalogEntry {
  return (
    ERROR_CATALOG[code] ?? {
      message: `The operation failed with ${code}.`,
      recommendedAction: ['See the Azure Backup troubleshooting guide for this error code.'],
      isRetryable: false,
      isUserError: code.startsWith('UserError'),
    }
  );
}
