/**
 * What to do about each failure a report can carry. Errors that know their fix say it themselves; this catalog
 * fills in the rest (generic HTTP statuses, ARM's own codes, throttling, malformed answers, PostgreSQL SQLSTATE
 * classes, the orchestrators' own codes), so no failure reaches a report without a next step
 * (test/unit/recommendedActions.test.ts checks every code the app raises). Pure.
 */

const BACKUP_TROUBLESHOOTING =
  'https://learn.microsoft.com/azure/backup/backup-azure-database-postgresql-troubleshoot';

const EXACT: Record<string, string> = {
  // The drill's own codes
  ActivityFailed:
    'The worker running this step stopped unexpectedly; the drill retried it. Check the host log for the activity named.',
  Cancelled: 'Nothing to do: the drill was cancelled on request, and what it created was cleaned up.',
  DeadlineExceeded:
    'Raise the drill\'s deadline (request field "deadline"), or find what is slow in the phase named.',
  JobFailed:
    'The Azure Backup restore job failed: read its error in the Azure portal (Backup center > Jobs) for the job id in the report.',
  JobFailedWithoutDetails: `The Azure Backup restore job failed without saying why: open the job in Backup center, or see ${BACKUP_TROUBLESHOOTING}.`,
  RestoreNotConfirmed:
    "Azure never showed a restore job for the drill's attempts: check Backup center > Jobs for the backup instance, then run the drill again.",
  NoJobId:
    'Azure accepted the restore but named no backup job: look for the restore in Backup center > Jobs, and report it if it is missing.',
  NoRecoveryPoint: 'Check the recovery point policy of the drill, or take a backup first.',
  NoRestoredFiles:
    "The restore job completed but wrote no file under the drill's prefix: check that the vault's identity can write to the container (Storage Blob Data Contributor).",
  OperationFailed: `Azure reported the operation as failed without details: retry the drill; if it persists see ${BACKUP_TROUBLESHOOTING}.`,
  SubOrchestrationFailed:
    'A polling step of the drill stopped unexpectedly: check the host log for the drill id; the drill can be started again.',
  UnexpectedError:
    'This is a bug or an unforeseen answer: keep the report and the host log for the drill id, and report it.',
  VerificationFailed:
    'Inspect the restored data: the backup restored, but it is not what the verification expects.',
  NegativeControlPassed:
    'Make the checks demand data, e.g. a table with minRows, or an assertion over the restored rows whose expected value an empty database cannot give; then run the drill again.',
  SchemaChanged:
    "If the change was intended, nothing to do: the next drill compares with this one's schema. Otherwise find out who changed the source database's schema; set verify.schemaDrift to report to keep such changes informational.",
  TargetMissed:
    "Read the phase timings (and Azure's job time) to see where the time went, or how old the recovery point was: back up more often for RPO, use a larger server or a nearer region for RTO; or, if the target is wrong, change it (targets.informational reports without failing).",
  // Alerts, dashboard and metrics (they never fail a drill)
  AlertsNotConfigured:
    'Set DRILL_ALERTS (schemas/alerts.schema.json) to send alerts, or leave it unset for none.',
  AlertSecretUnreadable:
    "Create the webhook URL's Key Vault secret named in DRILL_ALERTS and give the app's identity Key Vault Secrets User on it.",
  AlertUrlInvalid:
    "Store the webhook's full https URL as the secret's value (copy it from the channel's connector or workflow).",
  AlertUnreachable:
    'The alert destination did not answer: delivery is retried on durable timers; check the URL and outbound network if it keeps failing.',
  AlertRejected:
    'Read the HTTP status: 401/403 means the app may not post there (Event Grid: EventGrid Data Sender on the topic), 404 a deleted webhook: update the secret.',
  InvalidAppInsightsConnectionString:
    "Copy APPLICATIONINSIGHTS_CONNECTION_STRING from the Application Insights resource's Overview page.",
  MetricsRejected:
    "Application Insights refused the metrics event: check APPLICATIONINSIGHTS_CONNECTION_STRING and, with Entra authentication, that the app's identity has Monitoring Metrics Publisher.",
  HistoryUnavailable:
    "The drill history table could not be read: check the app's storage account (AzureWebJobsStorage) and try again.",
  InvalidQuery: 'Fix the query parameter named in the message (the message says what it takes).',
  LoadFailed:
    'Read the pg_restore message: a drill server older than the dump, missing extensions or roles on it, or a full disk are the usual causes.',
  DrillServerTooOld: "Use a drill server whose PostgreSQL major version is at least the source's.",
  PgRestoreTooOld:
    'Install PostgreSQL client tools at least as new as the source server, or set PG_BIN_DIR to them.',
  CheckTimedOut:
    'Check the network path to the service the check calls (Azure Resource Manager, Key Vault, storage or the PostgreSQL server), then run the doctor again.',
  MissingDataProtectionActions:
    'Assign the app\'s managed identity the role the check names at the scope it names: "pg-restore-drill operator (<token>)" (or Backup Operator) on the vault, "pg-restore-drill operation reader (<token>)" on the subscription, "pg-restore-drill cross-region (<token>)" on the vault\'s resource group; <token> is the deployment\'s resource token, as in func-pgdrill-<token> (infra/README.md, "Roles").',
  BackupInstanceNotProtected:
    'Fix the backup instance in Backup center (resume protection, fix the errors shown, or configure backup again) before drilling it.',
  ValidationFailed: "Read the validation's message and fix the restore request or the target it names.",
  MissingServerPrivileges:
    "Give the secret's login CREATEDB (ALTER ROLE … CREATEDB, as the server admin; membership of azure_pg_admin does not pass it on): a files drill that loads, and a negative control, create databases with it.",
  LoginUnknown: 'Check the login in the Key Vault secret: the server has no role of that name.',
  FilePrefixInUse:
    "Delete the blobs under the drill's prefix if they are leftovers (the sweeper removes them past their TTL), or use another idempotencyKey.",
  ContainerNotFound: 'Create the restore container, or fix target.containerUrl.',
  VaultIdentityMissing:
    "Enable the backup vault's system-assigned managed identity, then grant it Storage Blob Data Contributor on the restore container or its storage account.",
  VaultBlobRoleMissing:
    "Assign the backup vault's identity Storage Blob Data Contributor on the restore container or its storage account (infra/README.md).",
  SourceVersionUnknown:
    "Check the source server resource: its properties.version is what pg_restore's version is compared with.",
  PgRestoreNotFound:
    'Install the PostgreSQL client tools (pg_restore) on the function host, or set PG_BIN_DIR to their directory.',
  NotACustomFormatDump:
    "The restored file is not a pg_dump custom-format archive: check the restore target and the files under the drill's prefix.",
  RefusedDatabaseName: 'Nothing to do: the drill never touches databases it did not create.',
  RefusedRoleName: 'Nothing to do: the drill never touches roles it did not create.',
  InstanceExists: 'A drill with this id is still running: wait for it, or cancel it first.',
  // Requests, settings and secrets
  InvalidInput: 'Fix the fields named (JSON pointers) and send the request again.',
  InvalidJson: 'Send a JSON body.',
  InvalidAlert:
    "Post an Azure Monitor alert in the common alert schema: turn on 'Enable the common alert schema' for the action group's webhook (docs: Event-triggered disaster-recovery drills).",
  RequestTooLarge: 'Send a smaller body (a drill request fits in 64 KiB).',
  InvalidConfiguration: 'Fix the app setting named (README, "Configuration") and restart the app.',
  MissingStorageSetting:
    'Set AzureWebJobsStorage (local) or the AzureWebJobsStorage__*ServiceUri settings (Azure).',
  InvalidArmId: 'Use a full ARM resource id (/subscriptions/…/resourceGroups/…/providers/…).',
  InvalidContainerUrl: "Use the container's URL, such as https://account.blob.core.windows.net/container.",
  InsecureContainerUrl: 'Use an https container URL (for Azurite, set RESTORE_STORAGE_CONNECTION_STRING).',
  ContainerHostNotAllowed:
    'Give the container URL of an Azure Storage account (https://{account}.blob.core.windows.net/{container}); for a local emulator set RESTORE_STORAGE_CONNECTION_STRING.',
  InvalidSecretUri: 'Use a Key Vault secret URI such as https://my-kv.vault.azure.net/secrets/name.',
  SecretHasNoValue: 'Give the Key Vault secret a value (a connection string).',
  SecretNotFound: 'Create the secret in the Key Vault, or fix the secret URI in the drill request.',
  SecretHasNoServer: 'Put Server=<host>;Port=<port> in the Key Vault secret.',
  SecretServerMismatch:
    'Name the server of the secret as the drill server, or use a secret whose Server is the drill server.',
  ServerNotAllowed: 'Put the server in the secret (Server=…), or add it to DRILL_ALLOWED_SERVERS.',
  SecretValueInUnsupportedFormat:
    'Store the secret as a connection string: Server=…;Port=5432;Database=postgres;User Id=…;Password=…;Ssl Mode=Require;',
  HostPortInUse: 'Set DRILL_HOST_PORT to a free port (0 picks any), or stop what listens on the port named.',
  HostStorageUnreachable:
    'Start Azurite (npx azurite --silent --skipApiVersionCheck --location .tmp/azurite), or point AzureWebJobsStorage (or AzureWebJobsStorage__*ServiceUri) at a reachable storage account.',
  TaskHubInUse:
    'Stop the other host first, or give this one a task hub of its own with DURABLE_TASK_HUB_NAME.',
  NoOrchestrationClient:
    'The runtime gave the job watcher no Durable Functions client: drills poll their own jobs meanwhile; redeploy the app (the activity binding durableClient must be registered), or set DRILL_JOB_WATCH_INTERVAL_SECONDS=0.',
  KeyVaultForbidden:
    'Grant the app\'s identity the "Key Vault Secrets User" role on the Key Vault named in the message.',
  KeyVaultUnreachable:
    'Check the Key Vault name and the network path from the function app to it (private endpoint, firewall, DNS).',
  KeyVaultThrottled: 'Key Vault is throttling: the drill retries; run fewer drills at once if it persists.',
  TlsRequired:
    'Use TLS to servers that are not on this machine: remove sslMode "disable" (verify-full is the default).',
  TlsVerificationFailed:
    'The server\'s certificate could not be verified: use its DNS name (not an IP) as the host, make sure its CA is trusted (PG_SSL_ROOT_CERT, NODE_EXTRA_CA_CERTS), or, for a test server only, set DRILL_ALLOW_UNVERIFIED_TLS=true and sslMode "require".',
  UnknownSslMode: 'Use one of disable, prefer, require, verify-ca, verify-full.',
  NameInUse: 'Choose another databaseName/filePrefix label, or wait for the drill that uses it to end.',
  // Restore requests
  OriginalLocationRestoreNotSupported:
    'Restore to another database name or server: a drill never writes to its source.',
  RestoreAsDatabaseNotSupported: 'Use a files target (a blob container) with a drill server to load into.',
  RehydrationRequired:
    'Give rehydration options (priority, 10 to 30 retention days) for archive-tier points.',
  RehydrationNotApplicable: 'Remove the rehydration options, or choose an archive-tier point.',
  InvalidRehydrationRetention: 'Use a rehydration retention of 10 to 30 days.',
  NotInApiVersion:
    'Set DATAPROTECTION_API_VERSION to 2026-06-01 or later, or leave out the request field the message names.',
  // Cross-region drills (restoreFrom: secondaryRegion)
  CrossRegionRestoreNotEnabled:
    'Enable Cross Region Restore on the backup vault (Properties > Cross Region Restore; it needs geo-redundant storage and cannot be turned off again), or set restoreFrom to primaryRegion.',
  TargetNotInPairedRegion:
    "Choose a target in the vault's paired region (target.serverId for a database; for files, a container there and target.restoreLocation naming that region, which the drill cannot read from the container URL), or set restoreFrom to primaryRegion.",
  PairedRegionUnknown:
    "The vault's paired region is unknown (no location, no properties.replicatedRegions, and no known Azure region pair): check that the vault is geo-redundant with Cross Region Restore enabled and names its location, or set restoreFrom to primaryRegion.",
  CrossRegionRestoreNotInApiVersion:
    'Set DATAPROTECTION_API_VERSION to 2023-11-01 or later (2026-06-01): older api-versions have no cross-region restore operations.',
  // ARM and the network
  NetworkError:
    "The service could not be reached or did not answer in time: the drill retried; check the network path and the service's health if it persists.",
  ForeignOriginRefused:
    'Set DATAPROTECTION_ENDPOINT to the origin the service answers from, if it really lives there.',
  CredentialUnavailable:
    'In Azure, give the app a managed identity (and set AZURE_CLIENT_ID for a user-assigned one); on a laptop, run az login.',
  PollProtocolError:
    'Azure answered an operation poll in a way the protocol does not allow: retry the drill; report it if it persists.',
  InvalidResponseBody:
    'Azure answered with a body that is not what the API defines: retry the drill; report it with the request id if it persists.',
  UnexpectedResponse:
    'Azure answered with a status this operation does not define: retry the drill; report it with the request id if it persists.',
  TooManyPreflights:
    'At most 4 doctor runs go at once in one app instance: wait the Retry-After seconds and retry, or run them one after another.',
  TooManyRequests:
    'ARM is throttling this subscription or identity: the drill waited as asked; run fewer drills at once.',
  ServiceUnavailable:
    'Azure Backup is unavailable: the drill retried; try again later and check Azure status.',
  InternalServerError:
    'Azure Backup failed internally: the drill retried; try again later, and open a support case with the request id if it persists.',
  GatewayTimeout: 'ARM timed out: try again later.',
  BadGateway: 'ARM could not reach Azure Backup: try again later.',
  ResourceNotFound:
    'Check the backup instance id (vault, resource group, subscription) in the drill request.',
  ResourceGroupNotFound: 'Check the resource group in the backup instance id.',
  SubscriptionNotFound:
    "Check the subscription in the backup instance id, and that the app's identity can see it.",
  AuthorizationFailed:
    'Grant the app\'s identity the roles infra/main.bicep assigns (infra/README.md, "Roles"): pg-restore-drill operator (<token>) (or Backup Operator) on the backup vault, pg-restore-drill operation reader (<token>) on its subscription (operation status URLs), pg-restore-drill cross-region (<token>) on its resource group (cross-region drills), <token> being the deployment\'s resource token as in func-pgdrill-<token>. `pgdrill doctor` names the scope that lacks the action.',
  LinkedAuthorizationFailed:
    "Grant the app's identity access to the linked resource named in the message (target server, container).",
  InvalidAuthenticationToken:
    "The token was refused: check DATAPROTECTION_AUDIENCE and the tenant of the app's identity.",
  ExpiredAuthenticationToken:
    'The token expired: the drill retries with a new one; check the host clock if it persists.',
  MissingApiVersionParameter: 'This is a bug: every request carries DATAPROTECTION_API_VERSION.',
  NoRegisteredProviderFound:
    'Set DATAPROTECTION_API_VERSION to an api-version the region supports (2026-06-01 or 2021-07-01).',
  InvalidResourceType: 'Check DATAPROTECTION_ENDPOINT and DATAPROTECTION_API_VERSION.',
  BadRequest:
    "Azure refused the request as malformed: check the message; report it with the request id if the request was the drill's own.",
  InvalidRequestContent: 'Azure refused the request body: report it with the request id.',
};

/** Families of codes, first match wins. */
const FAMILIES: [RegExp, string][] = [
  [
    /^PostgreSQL28/,
    "The login was refused: check the user and password in the Key Vault secret, and the server's firewall and pg_hba rules for the function app.",
  ],
  [
    /^PostgreSQL08/,
    'The PostgreSQL server could not be reached or dropped the connection: check that it runs and that the function app can reach it (firewall, private endpoint).',
  ],
  [
    /^PostgreSQL3D000$/,
    'The database does not exist on that server: check the names in the request and the secret.',
  ],
  [
    /^PostgreSQL42501$/,
    "The login lacks a privilege: give the secret's login what the message names (CREATEDB to restore or load, CREATEROLE for the verification sandbox).",
  ],
  [
    /^PostgreSQL57014$/,
    'A statement was cancelled by its timeout: raise verify.statementTimeoutMs, or make the check cheaper.',
  ],
  [
    /^PostgreSQL53/,
    'The PostgreSQL server is out of a resource (connections, memory, disk): check its health and limits.',
  ],
  [/^PostgreSQL/, 'PostgreSQL refused the statement: read its message (SQLSTATE in the code).'],
  [/^HttpStatus4\d\d$/, 'Azure refused the request: check the message and the ids in the drill request.'],
  [/^HttpStatus5\d\d$/, 'Azure failed to answer: the drill retried; try again later.'],
  [
    /^KeyVaultHttp/,
    "Key Vault answered with an error: check the secret URI and the app identity's access to the vault.",
  ],
  [
    /^Storage(AuthorizationPermissionMismatch|AuthorizationFailure|AuthenticationFailed|AuthorizationSourceIPMismatch|AuthorizationProtocolMismatch|InsufficientAccountPermissions)$/,
    "Grant the app's identity \"Storage Blob Data Contributor\" on the container's storage account (and, behind a firewall, let the function app's network in).",
  ],
  [
    /^Storage(ContainerNotFound|ResourceNotFound|AccountNotFound)$/,
    'Check the container URL (target.containerUrl): create the container, or fix the account or container name.',
  ],
  [
    /^Storage(LeaseIdMissing|LeaseAlreadyPresent|LeaseIdMismatchWithBlobOperation)$/,
    'Another client holds a lease on the blob named in the message: release the lease (portal or az storage blob lease break), then run the drill again.',
  ],
  [
    /^Storage(Http5\d\d|ServerBusy|InternalError|OperationTimedOut)$/,
    'The storage service failed to answer: the drill retried; try again later.',
  ],
  [/^Storage/, 'The storage service refused the request: read its error code (after "Storage") and message.'],
  [/^UserError/, `Follow the message from Azure Backup; see ${BACKUP_TROUBLESHOOTING}.`],
  [/^(Cloud|Service)Error/, `Azure Backup failed: retry the drill; see ${BACKUP_TROUBLESHOOTING}.`],
];

/** A recommended action for `code`, or undefined when the catalog has none. */
export function recommendedActionFor(code: string): string | undefined {
  return EXACT[code] ?? FAMILIES.find(([re]) => re.test(code))?.[1];
}

/** The last resort, so that no failure is left without a next step. */
export const FALLBACK_ACTION =
  'Read the message; if it does not say what to do, keep the report and the host log for the drill id and report it.';

/** `actions` if there are any, else the catalog's for `code`, else the fallback. */
export function actionsOrDefault(code: string, actions: readonly string[]): string[] {
  if (actions.length) return [...actions];
  return [recommendedActionFor(code) ?? FALLBACK_ACTION];
}
