// The backup vault's managed identity performs the restore itself, so it needs: Key Vault Secrets User on the
// Key Vault (to read the target credentials), Reader on each target server, and Storage Blob Data Contributor on
// each restore-as-files storage account. Deployed per target scope through nested modules.
param vaultPrincipalId string
param keyVaultId string
param targetServerIds array
param restoreStorageAccountIds array

// keyVaultId may be empty: ARM evaluates the scope of a module whose condition is false, so it is never split then.
var keyVaultSubscription = empty(keyVaultId) ? subscription().subscriptionId : split(keyVaultId, '/')[2]
var keyVaultGroup = empty(keyVaultId) ? resourceGroup().name : split(keyVaultId, '/')[4]

module onKeyVault 'keyvault-access.bicep' = if (!empty(keyVaultId)) {
  name: 'vault-kv-${uniqueString(vaultPrincipalId, keyVaultId)}'
  scope: resourceGroup(keyVaultSubscription, keyVaultGroup)
  params: { keyVaultName: last(split(keyVaultId, '/')), principalId: vaultPrincipalId }
}

module onServers 'server-reader.bicep' = [
  for (serverId, i) in targetServerIds: {
    name: 'vault-srv-${i}-${uniqueString(vaultPrincipalId, serverId)}'
    scope: resourceGroup(split(serverId, '/')[2], split(serverId, '/')[4])
    params: { serverId: serverId, principalId: vaultPrincipalId }
  }
]

module onStorage 'storage-access.bicep' = [
  for (accountId, i) in restoreStorageAccountIds: {
    name: 'vault-st-${i}-${uniqueString(vaultPrincipalId, accountId)}'
    scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
    params: { storageAccountName: last(split(accountId, '/')), principalId: vaultPrincipalId }
  }
]
