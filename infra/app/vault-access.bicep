// Deployed in the resource group of one backup vault: the app's identity gets the drill's actions on the vault
// (custom role, or Backup Operator), and (optionally) the vault's own managed identity gets what a restore
// needs on the Key Vault, the target servers and the restore storage (CONTRACT.md section 6).
targetScope = 'resourceGroup'

param vaultName string
param appPrincipalId string
param useBuiltInBackupOperatorRole bool
@description('The custom drill role (main.bicep), used unless useBuiltInBackupOperatorRole.')
param drillRoleDefinitionId string
param keyVaultId string
param targetServerIds array
param restoreStorageAccountIds array
param assignVaultIdentityRoles bool

var backupOperator = '00c29273-979b-4161-815c-10b084fb9324'

resource vault 'Microsoft.DataProtection/backupVaults@2024-04-01' existing = {
  name: vaultName
}

resource appOnVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, useBuiltInBackupOperatorRole ? backupOperator : 'pg-restore-drill-operator')
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: useBuiltInBackupOperatorRole ? subscriptionResourceId('Microsoft.Authorization/roleDefinitions', backupOperator) : drillRoleDefinitionId
  }
}

// The operation status URLs are location-scoped under the subscription: reading them needs the action at a
// scope above the vault (ARM's async-operation guidance), so the custom role is also assigned on this group.
resource appOnGroup 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!useBuiltInBackupOperatorRole) {
  name: guid(resourceGroup().id, appPrincipalId, 'pg-restore-drill-operator')
  properties: { principalId: appPrincipalId, principalType: 'ServicePrincipal', roleDefinitionId: drillRoleDefinitionId }
}

module vaultIdentity 'vault-identity-access.bicep' = if (assignVaultIdentityRoles) {
  name: 'vault-identity-${vaultName}'
  params: {
    vaultPrincipalId: vault.identity.principalId
    keyVaultId: keyVaultId
    targetServerIds: targetServerIds
    restoreStorageAccountIds: restoreStorageAccountIds
  }
}
