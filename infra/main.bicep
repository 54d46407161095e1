// pg-restore-drill on Azure: an Elastic Premium function app running the project's container image (with the
// PostgreSQL client tools), identity-based host storage with shared keys disabled, Entra-authenticated
// Application Insights, a user-assigned identity, and least-privilege role assignments on the backup vaults,
// the Key Vault of drill credentials, the restore targets and the restore-as-files storage.
// Not compiled here (no Bicep CLI on the build machine): see infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: used for the resource group and a short unique suffix.')
param environmentName string

@minLength(1)
@description('Region of every resource.')
param location string

@description('Object id of the deploying user (optional): gets the data roles on the host storage for debugging.')
param principalId string = ''

@description('ARM ids of the backup vaults whose backups are drilled.')
param backupVaultIds array = []

@description('Use the built-in Backup Operator role on the vaults instead of the custom role with exactly the drill\'s actions.')
param useBuiltInBackupOperatorRole bool = false

@description('ARM id of the Key Vault holding the connection-string secrets of restore targets and drill servers (empty: none).')
param keyVaultId string = ''

@description('ARM ids of Single Server target servers (restore as database).')
param targetServerIds array = []

@description('ARM ids of storage accounts that receive restore-as-files output.')
param restoreStorageAccountIds array = []

@description('Also grant each backup vault\'s managed identity what it needs on the Key Vault, the targets and the restore storage. Set false when the deployer may not assign roles there; docs/deploy.md lists the roles to grant by hand.')
param assignVaultIdentityRoles bool = true

@description('Data Protection api-version the app sends.')
param dataProtectionApiVersion string = '2026-06-01'

@description('Scheduled drills: a JSON array (schemas/drill-plan.schema.json). Requests name Key Vault secret URIs, never secrets.')
param drillPlans string = '[]'

@description('NCRONTAB of the timer that looks for due plans.')
param drillTimerSchedule string = '0 */5 * * * *'

@description('NCRONTAB of the sweeper that retries failed cleanups (the timer cannot be indexed without it).')
param drillSweepSchedule string = '0 15 * * * *'

@description('Backup job poll interval: first and longest, in seconds.')
param jobPollInitialSeconds string = '10'
param jobPollMaxSeconds string = '120'

@description('Alerts: a JSON object (schemas/alerts.schema.json); webhook URLs as Key Vault secret URIs. Empty: no alerts.')
param drillAlerts string = ''

@description('Event-triggered disaster-recovery drills: a JSON array (schemas/alert-triggers.schema.json) mapping Azure Monitor alert rules to plans of drillPlans. Point an action group webhook (common alert schema) at /api/alerts. Empty: alerts start no drill.')
param drillAlertTriggers string = ''

@description('Days without a passed drill after which a backup instance is overdue (dashboard, alerts).')
param coverageDays string = '31'

@description('Container image of the app (azd sets it after building ./Dockerfile).')
param appImage string = 'mcr.microsoft.com/azure-functions/node:4-node20'

@description('Elastic Premium SKU (EP1, EP2, EP3).')
@allowed(['EP1', 'EP2', 'EP3'])
param planSku string = 'EP1'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: { name: 'id-pgdrill-${resourceToken}', location: location, tags: tags }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: { logAnalyticsName: 'log-${resourceToken}', appInsightsName: 'appi-${resourceToken}', location: location, tags: tags }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: { name: 'stpgdrill${resourceToken}', location: location, tags: tags }
}

module registry 'app/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: { name: 'crpgdrill${resourceToken}', location: location, tags: tags }
}

module function 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: 'func-pgdrill-${resourceToken}'
    planName: 'plan-pgdrill-${resourceToken}'
    planSku: planSku
    location: location
    tags: tags
    image: appImage
    registryServer: registry.outputs.loginServer
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appInsightsConnectionString: monitoring.outputs.connectionString
    storageBlobUri: storage.outputs.blobUri
    storageQueueUri: storage.outputs.queueUri
    storageTableUri: storage.outputs.tableUri
    reportsTable: storage.outputs.reportsTable
    reportsContainer: storage.outputs.reportsContainer
    dataProtectionApiVersion: dataProtectionApiVersion
    drillPlans: drillPlans
    drillTimerSchedule: drillTimerSchedule
    drillSweepSchedule: drillSweepSchedule
    jobPollInitialSeconds: jobPollInitialSeconds
    jobPollMaxSeconds: jobPollMaxSeconds
    drillAlerts: drillAlerts
    drillAlertTriggers: drillAlertTriggers
    coverageDays: coverageDays
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    registryName: registry.outputs.name
    userPrincipalId: principalId
  }
}

// Exactly what a drill calls (src/lib/dataprotection/client.ts): read the vault, instances, recovery points and
// jobs; validate and trigger restores, in the vault's region or (cross-region drills) its paired region; read the
// asynchronous operations. Defined once for the subscription.
resource drillRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!useBuiltInBackupOperatorRole) {
  name: guid(subscription().id, 'pg-restore-drill-operator')
  properties: {
    roleName: 'pg-restore-drill operator'
    description: 'Restore drills for PostgreSQL backups: read backups, validate and trigger restores, follow operations and jobs.'
    type: 'CustomRole'
    assignableScopes: [subscription().id]
    permissions: [
      {
        actions: [
          'Microsoft.DataProtection/backupVaults/read'
          'Microsoft.DataProtection/backupVaults/backupInstances/read'
          'Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints/read'
          'Microsoft.DataProtection/backupVaults/backupInstances/validateRestore/action'
          'Microsoft.DataProtection/backupVaults/backupInstances/restore/action'
          'Microsoft.DataProtection/backupVaults/backupJobs/read'
          'Microsoft.DataProtection/backupVaults/operationStatus/read'
          'Microsoft.DataProtection/locations/operationStatus/read'
          'Microsoft.DataProtection/locations/operationResults/read'
          // Cross-region (disaster-recovery) drills: location-scoped actions in the vault's resource group, called on
          // the paired region. The strings are the provider's own operation names, as the built-in Backup Operator
          // and Backup Contributor roles list them (Learn, "Azure built-in roles").
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchSecondaryRecoveryPoints/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/validateCrossRegionRestore/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/crossRegionRestore/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchCrossRegionRestoreJob/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchCrossRegionRestoreJobs/action'
        ]
        notActions: []
      }
    ]
  }
}

// The app's identity on each backup vault: the custom role above (or Backup Operator).
module vaultAccess 'app/vault-access.bicep' = [
  for (vaultId, i) in backupVaultIds: {
    name: 'vault-access-${i}'
    scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
    params: {
      vaultName: last(split(vaultId, '/'))
      appPrincipalId: identity.outputs.principalId
      useBuiltInBackupOperatorRole: useBuiltInBackupOperatorRole
      drillRoleDefinitionId: useBuiltInBackupOperatorRole ? '' : drillRole.id
      keyVaultId: keyVaultId
      targetServerIds: targetServerIds
      restoreStorageAccountIds: restoreStorageAccountIds
      assignVaultIdentityRoles: assignVaultIdentityRoles
    }
  }
]

// The app reads drill-server and target credentials from this Key Vault (Key Vault Secrets User).
module keyVaultAccess 'app/keyvault-access.bicep' = if (!empty(keyVaultId)) {
  name: 'keyvault-access'
  scope: resourceGroup(split(keyVaultId, '/')[2], split(keyVaultId, '/')[4])
  params: { keyVaultName: last(split(keyVaultId, '/')), principalId: identity.outputs.principalId }
}

// The app lists, reads and deletes (cleanup) restore-as-files blobs.
module restoreStorageAccess 'app/storage-access.bicep' = [
  for (accountId, i) in restoreStorageAccountIds: {
    name: 'restore-storage-access-${i}'
    scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
    params: { storageAccountName: last(split(accountId, '/')), principalId: identity.outputs.principalId }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output SERVICE_API_NAME string = function.outputs.name
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
