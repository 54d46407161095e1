// Host storage: Durable Functions state, the drill-requests queue (and its poison queue), the drill history
// table and the report container. Shared keys are disabled: everything uses Entra identities.
param name string
param location string
param tags object

var reportsTable = 'DrillReports'
var reportsContainer = 'drill-reports'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take(name, 24)
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource requests 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queues
  name: 'drill-requests'
}

resource poison 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queues
  name: 'drill-requests-poison'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource history 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tables
  name: reportsTable
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource reports 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: reportsContainer
  properties: { publicAccess: 'None' }
}

output name string = account.name
output blobUri string = account.properties.primaryEndpoints.blob
output queueUri string = account.properties.primaryEndpoints.queue
output tableUri string = account.properties.primaryEndpoints.table
output reportsTable string = reportsTable
output reportsContainer string = reportsContainer
