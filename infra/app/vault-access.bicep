// Deployed in the resource group of one backup vault: the app's identity gets the drill's actions on the vault
// (custom role, or Backup Operator), and (optionally) the vault's own managed identity gets what a restore
// needs on the Key Vault, the target servers and the restore storage (CONTRACT.md section 6).
// The cross-region role (vault's group) and the operation reader (subscription) are assigned by main.bicep.
targetScope = 'resourceGroup'

param vaultName string
param appPrincipalId string
@description('Role definition name (GUID) the app gets on the vault: the custom drill role of main.bicep or Backup Operator.')
param appRoleName string
param keyVaultId string
param targetServerIds array
param restoreStorageAccountIds array
param assignVaultIdentityRoles bool

var backupOperator = '00c29273-979b-4161-815c-10b084fb9324'
// The assignment's name keeps the seed earlier versions used, so a redeployment updates it instead of failing with
// RoleAssignmentExists (same principal, role and scope under a new name).
var assignmentKey = appRoleName == backupOperator ? backupOperator : 'pg-restore-drill-operator'

resource vault 'Microsoft.DataProtection/backupVaults@2024-04-01' existing = {
  name: vaultName
}

resource appOnVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, assignmentKey)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoleName)
  }
}

// Azure Backup restores with the vault's system-assigned identity: a vault with only a user-assigned identity (or
// none) has no principalId, and the deployment stops here with the fix instead of failing in a nested template.
// A vault with no identity block at all is caught by the same message (`.?` on both levels).
var missingIdentity = 'Backup vault ${vaultName} has no system-assigned managed identity (identity.principalId): enable it on the vault (Identity, System assigned: On), or set PGDRILL_ASSIGN_VAULT_IDENTITY_ROLES=false and grant its roles by hand (docs/deploy.md).'
var vaultPrincipalId = assignVaultIdentityRoles ? (vault.?identity.?principalId ?? fail(missingIdentity)) : ''

module vaultIdentity 'vault-identity-access.bicep' = if (assignVaultIdentityRoles) {
  // Fixed prefix + 13-character hash: within the 64-character limit for any vault name.
  name: 'pgdrill-vault-identity-${uniqueString(vault.id)}'
  params: {
    vaultPrincipalId: vaultPrincipalId
    keyVaultId: keyVaultId
    targetServerIds: targetServerIds
    restoreStorageAccountIds: restoreStorageAccountIds
  }
}
