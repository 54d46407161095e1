// Reader on one PostgreSQL Single Server, for the backup vault's identity (restore as a new database there).
param serverName string
param principalId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource server 'Microsoft.DBforPostgreSQL/servers@2017-12-01' existing = {
  name: serverName
}

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(server.id, principalId, reader)
  scope: server
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader) }
}
