// Storage Blob Data Contributor for one principal on one storage account: the vault writes restore-as-files
// output there; the app lists, reads and deletes (cleanup) it. For the app, optionally also the custom
// "pg-restore-drill role-assignment reader" (main.bicep), so the doctor can list the role assignments there.
param storageAccountName string
param principalId string
@description('Role definition name (GUID) of the role-assignment reader role, or empty for none.')
param roleAssignmentReaderRoleName string = ''

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, storageBlobDataContributor)
  scope: account
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor) }
}

resource assignmentReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(roleAssignmentReaderRoleName)) {
  name: guid(account.id, principalId, roleAssignmentReaderRoleName)
  scope: account
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleAssignmentReaderRoleName) }
}
