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

@description('Object id of the deploying principal (optional): gets the data roles on the host storage for debugging.')
param principalId string = ''

@description('Kind of principalId: azd sets AZURE_PRINCIPAL_TYPE (ServicePrincipal in CI pipelines).')
@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('ARM ids of the backup vaults whose backups are drilled.')
param backupVaultIds array = []

@description('Use the built-in Backup Operator role on the vaults instead of the custom role with exactly the drill\'s actions.')
param useBuiltInBackupOperatorRole bool = false

@description('ARM id of the Key Vault holding the connection-string secrets of restore targets and drill servers (empty: none).')
param keyVaultId string = ''

@description('ARM ids of target servers (restore as database): Single Server or Flexible Server ids. Paired-region targets of cross-region drills go here too.')
param targetServerIds array = []

@description('ARM ids of the source servers of the backup instances drilled (Single or Flexible), outside fleet scopes: the app gets Reader on each (the doctor compares pg_restore with the server\'s PostgreSQL version; fleet tag filters read tags).')
param sourceServerIds array = []

@description('ARM ids of storage accounts that receive restore-as-files output (paired-region accounts of cross-region drills too).')
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

@description('ARM ids of the scopes fleet plans scan: subscriptions (/subscriptions/{id}) or resource groups (/subscriptions/{id}/resourceGroups/{name}). The app gets the drill and cross-region roles there and the operation reader on their subscriptions.')
param fleetScopeIds array = []

@description('ARM id of an existing Event Grid topic (CloudEvents 1.0 input schema) the alerts publish to (empty: none). The app gets EventGrid Data Sender on it.')
param alertsEventGridTopicId string = ''

@description('Create a CloudEvents 1.0 Event Grid topic for the alerts in the app\'s resource group (local auth disabled); its endpoint is the output ALERTS_EVENT_GRID_TOPIC_ENDPOINT.')
param createAlertsTopic bool = false

@description('ARM id of the Key Vault holding the alerts\' webhook URL secrets, when it is not keyVaultId (empty: none). The app gets Key Vault Secrets User on it.')
param alertsKeyVaultId string = ''

@description('Container image of the app (azd sets it after building ./Dockerfile).')
param appImage string = 'mcr.microsoft.com/azure-functions/node:4-node22'

@description('Elastic Premium SKU (EP1, EP2, EP3).')
@allowed(['EP1', 'EP2', 'EP3'])
param planSku string = 'EP1'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// Optional single ids (default '') are never split when empty: ARM evaluates a module's scope even when its
// condition is false (issue 16), so every scope built from one falls back to this deployment's subscription and
// the app's resource group.
var keyVaultSubscription = empty(keyVaultId) ? subscription().subscriptionId : split(keyVaultId, '/')[2]
var keyVaultGroup = empty(keyVaultId) ? rg.name : split(keyVaultId, '/')[4]
var alertsKeyVaultSubscription = empty(alertsKeyVaultId) ? subscription().subscriptionId : split(alertsKeyVaultId, '/')[2]
var alertsKeyVaultGroup = empty(alertsKeyVaultId) ? rg.name : split(alertsKeyVaultId, '/')[4]
var alertsTopicSubscription = empty(alertsEventGridTopicId) ? subscription().subscriptionId : split(alertsEventGridTopicId, '/')[2]
var alertsTopicGroup = empty(alertsEventGridTopicId) ? rg.name : split(alertsEventGridTopicId, '/')[4]

// Subscriptions and groups the roles are assigned in (lower case, so union() removes duplicates).
var vaultSubscriptionIds = map(backupVaultIds, id => toLower(split(id, '/')[2]))
// Every fleet scope id is checked once, here, before anything is derived from it: anything but /subscriptions/{id} or
// /subscriptions/{id}/resourceGroups/{name} stops the deployment with a message naming the setting (a management
// group id would otherwise turn into a subscription named "microsoft.management" and fail far from its cause). No
// segment is indexed before the test (take/skip never go out of range), whether or not ARM short-circuits &&.
var fleetScopes = map(fleetScopeIds, id => toLower(join(take(split(id, '/'), 2), '/')) == '/subscriptions' && !empty(last(split(id, '/'))) && (length(split(id, '/')) == 3 || (length(split(id, '/')) == 5 && toLower(join(skip(take(split(id, '/'), 4), 3), '')) == 'resourcegroups')) ? id : fail('PGDRILL_FLEET_SCOPE_IDS (fleetScopeIds): "${id}" is neither /subscriptions/{id} nor /subscriptions/{id}/resourceGroups/{name}.'))
var fleetSubscriptionIds = map(fleetScopes, id => toLower(split(id, '/')[2]))
var restoreSubscriptionIds = map(restoreStorageAccountIds, id => toLower(split(id, '/')[2]))
// The operation status URLs are /subscriptions/{sub}/providers/Microsoft.DataProtection/locations/...: one
// operation-reader assignment per subscription the drills (and fleets) restore in.
var operationSubscriptionIds = union(vaultSubscriptionIds, fleetSubscriptionIds)
// Cross-region calls are /subscriptions/{s}/resourceGroups/{vault's group}/providers/Microsoft.DataProtection/locations/{paired}/...
var vaultGroupIds = union(map(backupVaultIds, id => toLower('/subscriptions/${split(id, '/')[2]}/resourceGroups/${split(id, '/')[4]}')), [])
// Fleet scopes: `/subscriptions/{id}` (3 segments after split) or a resource group id.
var fleetSubscriptionScopeIds = filter(fleetScopes, id => length(split(id, '/')) == 3)
var fleetGroupScopeIds = filter(fleetScopes, id => length(split(id, '/')) == 5)
// Source servers that are not also targets (those get Reader through targetServerAccess).
var targetServerIdsLower = map(targetServerIds, id => toLower(id))
var sourceOnlyServerIds = filter(sourceServerIds, id => !contains(targetServerIdsLower, toLower(id)))
// A custom role can only be assigned within its assignableScopes.
var roleAssignableScopes = map(union([toLower(subscription().subscriptionId)], vaultSubscriptionIds, fleetSubscriptionIds), s => '/subscriptions/${s}')
var assignmentReaderAssignableScopes = map(union([toLower(subscription().subscriptionId)], restoreSubscriptionIds), s => '/subscriptions/${s}')

// Custom roles belong to one azd environment: their ids (GUIDs) and display names carry resourceToken (subscription,
// environment, location), since display names are unique per tenant and each environment sets its own
// assignableScopes. Two environments, or two deployment subscriptions of one tenant, never overwrite or clash.
var drillRoleName = guid(resourceToken, 'pg-restore-drill-operator')
var operationReaderRoleName = guid(resourceToken, 'pg-restore-drill-operation-reader')
var crossRegionRoleName = guid(resourceToken, 'pg-restore-drill-cross-region')
var assignmentReaderRoleName = guid(resourceToken, 'pg-restore-drill-role-assignment-reader')
var backupOperator = '00c29273-979b-4161-815c-10b084fb9324'
// What the app holds on each vault and fleet scope: the custom drill role, or Backup Operator.
var vaultRoleName = useBuiltInBackupOperatorRole ? backupOperator : drillRoleName

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
  // The site starts (and pulls its image, opens its storage, may start a drill) only once every role of the app
  // exists: AcrPull and the storage data roles (rbac), and the roles its code uses at run time.
  dependsOn: [
    rbac
    vaultAccess
    vaultGroupAccess
    operationReaderAccess
    fleetSubscriptionAccess
    fleetGroupAccess
    keyVaultAccess
    alertsKeyVaultAccess
    restoreStorageAccess
    targetServerAccess
    sourceServerAccess
    alertsTopicAccess
    alertsTopic
  ]
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
    userPrincipalType: principalType
  }
}

// The drill's actions on a vault (src/lib/dataprotection/client.ts): read the vault, instances, recovery points
// and jobs; validate and trigger restores; read the vault's operation status. Plus reading the source servers
// (fleet tag filters and the doctor's pg-restore-version read Microsoft.DBforPostgreSQL servers) and the caller's
// own permissions (the doctor's identity-permissions check). Assigned on each vault and fleet scope.
resource drillRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!useBuiltInBackupOperatorRole) {
  name: drillRoleName
  properties: {
    roleName: 'pg-restore-drill operator (${resourceToken})'
    description: 'Restore drills for PostgreSQL backups: read backups, validate and trigger restores, follow jobs, read the source servers.'
    type: 'CustomRole'
    assignableScopes: roleAssignableScopes
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
          'Microsoft.DBforPostgreSQL/servers/read'
          'Microsoft.DBforPostgreSQL/flexibleServers/read'
          'Microsoft.Authorization/permissions/read'
        ]
        notActions: []
      }
    ]
  }
}

// The asynchronous operations a restore returns are polled at subscription scope
// (/subscriptions/{sub}/providers/Microsoft.DataProtection/locations/{loc}/operationStatus|operationResults/...):
// only these two reads (and the caller's own permissions, which the doctor reads at this scope), assigned on each
// subscription of the vaults and fleet scopes.
resource operationReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: operationReaderRoleName
  properties: {
    roleName: 'pg-restore-drill operation reader (${resourceToken})'
    description: 'Read the status and results of Data Protection operations (polled at subscription scope).'
    type: 'CustomRole'
    assignableScopes: roleAssignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.DataProtection/locations/operationStatus/read'
          'Microsoft.DataProtection/locations/operationResults/read'
          'Microsoft.Authorization/permissions/read'
        ]
        notActions: []
      }
    ]
  }
}

// Cross-region (disaster-recovery) drills: location-scoped actions in the vault's resource group, called on the
// paired region. The strings are the provider's own operation names, as the built-in Backup Operator and Backup
// Contributor roles list them (Learn, "Azure built-in roles"). Assigned on each vault's resource group (and fleet
// scopes), also with PGDRILL_USE_BACKUP_OPERATOR: Backup Operator on the vault does not reach the group's paths.
resource crossRegionRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: crossRegionRoleName
  properties: {
    roleName: 'pg-restore-drill cross-region (${resourceToken})'
    description: 'Cross-region restore drills: read secondary recovery points, validate and trigger cross-region restores, read their jobs.'
    type: 'CustomRole'
    assignableScopes: roleAssignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchSecondaryRecoveryPoints/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/validateCrossRegionRestore/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/crossRegionRestore/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchCrossRegionRestoreJob/action'
          'Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/fetchCrossRegionRestoreJobs/action'
          'Microsoft.Authorization/permissions/read'
        ]
        notActions: []
      }
    ]
  }
}

// The doctor's vault-blob-role check lists the role assignments at a restore container; the app's Storage Blob
// Data Contributor there has data actions only. This role reads role assignments and nothing else (no Reader).
resource assignmentReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!empty(restoreStorageAccountIds)) {
  name: assignmentReaderRoleName
  properties: {
    roleName: 'pg-restore-drill role-assignment reader (${resourceToken})'
    description: 'List role assignments (the pre-flight doctor checks the backup vault identity\'s blob role on restore containers).'
    type: 'CustomRole'
    assignableScopes: assignmentReaderAssignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.Authorization/roleAssignments/read'
        ]
        notActions: []
      }
    ]
  }
}

// The app's identity on each backup vault: the drill role (or Backup Operator); and, optionally, the vault's own
// identity on the Key Vault, targets and restore storage.
module vaultAccess 'app/vault-access.bicep' = [
  for (vaultId, i) in backupVaultIds: {
    name: 'pgdrill-vault-${i}-${uniqueString(vaultId)}'
    scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
    params: {
      vaultName: last(split(vaultId, '/'))
      appPrincipalId: identity.outputs.principalId
      appRoleName: vaultRoleName
      keyVaultId: keyVaultId
      targetServerIds: targetServerIds
      restoreStorageAccountIds: restoreStorageAccountIds
      assignVaultIdentityRoles: assignVaultIdentityRoles
    }
    dependsOn: [drillRole]
  }
]

// The cross-region role on each distinct resource group of the vaults.
module vaultGroupAccess 'app/group-access.bicep' = [
  for (groupId, i) in vaultGroupIds: {
    name: 'pgdrill-vaultgroup-${i}-${uniqueString(groupId)}'
    scope: resourceGroup(split(groupId, '/')[2], split(groupId, '/')[4])
    params: { principalId: identity.outputs.principalId, roleNames: [crossRegionRoleName] }
    dependsOn: [crossRegionRole]
  }
]

// The operation reader on each distinct subscription of the vaults and fleet scopes.
module operationReaderAccess 'app/subscription-access.bicep' = [
  for (subscriptionId, i) in operationSubscriptionIds: {
    name: 'pgdrill-operations-${i}-${uniqueString(subscriptionId, environmentName)}'
    scope: subscription(subscriptionId)
    params: { principalId: identity.outputs.principalId, roleNames: [operationReaderRoleName] }
    dependsOn: [operationReaderRole]
  }
]

// Fleet scopes: fleets list vaults, read instances and servers and restore any instance in scope, in the
// primary or (Service Health alerts) the paired region: the drill and cross-region roles at the scope.
module fleetSubscriptionAccess 'app/subscription-access.bicep' = [
  for (scopeId, i) in fleetSubscriptionScopeIds: {
    name: 'pgdrill-fleet-sub-${i}-${uniqueString(scopeId, environmentName)}'
    scope: subscription(split(scopeId, '/')[2])
    params: { principalId: identity.outputs.principalId, roleNames: [vaultRoleName, crossRegionRoleName] }
    dependsOn: [drillRole, crossRegionRole]
  }
]

module fleetGroupAccess 'app/group-access.bicep' = [
  for (scopeId, i) in fleetGroupScopeIds: {
    name: 'pgdrill-fleet-rg-${i}-${uniqueString(scopeId)}'
    // fleetScopes refused anything but a subscription or resource group id, naming the parameter.
    scope: resourceGroup(split(scopeId, '/')[2], split(scopeId, '/')[4])
    // A vault's group already gets the cross-region role (vaultGroupAccess): not assigned twice in parallel.
    params: { principalId: identity.outputs.principalId, roleNames: contains(vaultGroupIds, toLower(scopeId)) ? [vaultRoleName] : [vaultRoleName, crossRegionRoleName] }
    dependsOn: [drillRole, crossRegionRole]
  }
]

// The app reads drill-server and target credentials from this Key Vault (Key Vault Secrets User).
module keyVaultAccess 'app/keyvault-access.bicep' = if (!empty(keyVaultId)) {
  name: 'pgdrill-keyvault-${uniqueString(keyVaultId)}'
  scope: resourceGroup(keyVaultSubscription, keyVaultGroup)
  params: { keyVaultName: last(split(keyVaultId, '/')), principalId: identity.outputs.principalId }
}

// The alerts' webhook URL secrets, when they live in another Key Vault.
module alertsKeyVaultAccess 'app/keyvault-access.bicep' = if (!empty(alertsKeyVaultId) && toLower(alertsKeyVaultId) != toLower(keyVaultId)) {
  name: 'pgdrill-alerts-keyvault-${uniqueString(alertsKeyVaultId)}'
  scope: resourceGroup(alertsKeyVaultSubscription, alertsKeyVaultGroup)
  params: { keyVaultName: last(split(alertsKeyVaultId, '/')), principalId: identity.outputs.principalId }
}

// The alerts publish CloudEvents batches to an existing topic with the app's identity (EventGrid Data Sender).
module alertsTopicAccess 'app/eventgrid-sender.bicep' = if (!empty(alertsEventGridTopicId)) {
  name: 'pgdrill-alerts-topic-${uniqueString(alertsEventGridTopicId)}'
  scope: resourceGroup(alertsTopicSubscription, alertsTopicGroup)
  params: { topicName: last(split(alertsEventGridTopicId, '/')), principalId: identity.outputs.principalId }
}

// Or to a topic created here.
module alertsTopic 'app/alerts-topic.bicep' = if (createAlertsTopic) {
  name: 'alerts-topic'
  scope: rg
  params: { name: 'evgt-pgdrill-${resourceToken}', location: location, tags: tags, principalId: identity.outputs.principalId }
}

// The app reads each target server's resource: a cross-region drill checks that the target is in the vault's
// paired region (its location). Reader on the server itself, nothing wider; Single or Flexible ids.
module targetServerAccess 'app/server-reader.bicep' = [
  for (serverId, i) in targetServerIds: {
    name: 'pgdrill-app-server-${i}-${uniqueString(serverId)}'
    scope: resourceGroup(split(serverId, '/')[2], split(serverId, '/')[4])
    params: { serverId: serverId, principalId: identity.outputs.principalId }
  }
]

// The source servers: the doctor's pg-restore-version reads a server's PostgreSQL version (a Flexible Server drill
// restores as files and loads them). Servers also listed as targets already get Reader above: not assigned twice.
module sourceServerAccess 'app/server-reader.bicep' = [
  for (serverId, i) in sourceOnlyServerIds: {
    name: 'pgdrill-app-source-${i}-${uniqueString(serverId)}'
    scope: resourceGroup(split(serverId, '/')[2], split(serverId, '/')[4])
    params: { serverId: serverId, principalId: identity.outputs.principalId, setting: 'PGDRILL_SOURCE_SERVER_IDS (sourceServerIds)' }
  }
]

// The app lists, reads and deletes (cleanup) restore-as-files blobs, and lists role assignments there (doctor).
module restoreStorageAccess 'app/storage-access.bicep' = [
  for (accountId, i) in restoreStorageAccountIds: {
    name: 'pgdrill-restore-storage-${i}-${uniqueString(accountId)}'
    scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
    params: {
      storageAccountName: last(split(accountId, '/'))
      principalId: identity.outputs.principalId
      roleAssignmentReaderRoleName: assignmentReaderRoleName
    }
    dependsOn: [assignmentReaderRole]
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
// Put it in PGDRILL_ALERTS (eventGrid.topicEndpoint) and provision again: DRILL_ALERTS is the user's JSON.
output ALERTS_EVENT_GRID_TOPIC_ENDPOINT string = createAlertsTopic ? alertsTopic!.outputs.endpoint : ''
