// The function app: Linux Elastic Premium running the project's container image (Node.js 22 Functions host
// plus the PostgreSQL 18 client tools), identity-based host storage, every app setting the code knows
// (schemas/config.schema.json; a test checks the two agree).
param name string
param planName string
param planSku string
param location string
param tags object
param image string
param registryServer string
param identityId string
param identityClientId string
param appInsightsConnectionString string
param storageBlobUri string
param storageQueueUri string
param storageTableUri string
param reportsTable string
param reportsContainer string
param dataProtectionApiVersion string
param drillPlans string
param drillTimerSchedule string
param drillSweepSchedule string
param jobPollInitialSeconds string
param jobPollMaxSeconds string
param drillAlerts string
param drillAlertTriggers string
param coverageDays string

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'elastic'
  sku: { name: planSku, tier: 'ElasticPremium' }
  properties: { reserved: true, maximumElasticWorkerCount: 4 }
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux,container'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'DOCKER|${image}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientId
      alwaysOn: false
      minimumElasticInstanceCount: 1
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
        { name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE', value: 'false' }
        { name: 'DOCKER_REGISTRY_SERVER_URL', value: 'https://${registryServer}' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storageBlobUri }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storageQueueUri }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storageTableUri }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'DURABLE_TASK_HUB_NAME', value: 'pgdrill' }
        { name: 'DATAPROTECTION_ENDPOINT', value: environment().resourceManager }
        { name: 'DATAPROTECTION_AUDIENCE', value: environment().authentication.audiences[0] }
        { name: 'DATAPROTECTION_API_VERSION', value: dataProtectionApiVersion }
        { name: 'DRILL_REPORTS_TABLE', value: reportsTable }
        { name: 'DRILL_REPORTS_CONTAINER', value: reportsContainer }
        { name: 'DRILL_PLANS', value: drillPlans }
        { name: 'DRILL_TIMER_SCHEDULE', value: drillTimerSchedule }
        { name: 'DRILL_SWEEP_SCHEDULE', value: drillSweepSchedule }
        { name: 'DRILL_JOB_POLL_INITIAL_SECONDS', value: jobPollInitialSeconds }
        { name: 'DRILL_JOB_POLL_MAX_SECONDS', value: jobPollMaxSeconds }
        { name: 'DRILL_ALERTS', value: drillAlerts }
        { name: 'DRILL_ALERT_TRIGGERS', value: drillAlertTriggers }
        { name: 'DRILL_COVERAGE_DAYS', value: coverageDays }
        { name: 'PG_BIN_DIR', value: '/usr/lib/postgresql/18/bin' }
      ]
    }
  }
}

output name string = app.name
