// Reader on one PostgreSQL server: for the backup vault's identity (restore as a new database there), or the app's
// (a target's region, a source server's version and tags). The id may
// be a Single Server (Microsoft.DBforPostgreSQL/servers) or a Flexible Server
// (Microsoft.DBforPostgreSQL/flexibleServers); any other id stops the deployment with a message naming it.
// Deployed in the server's resource group.
param serverId string
param principalId string
@description('The setting the id came from, named when the id is not a server id.')
param setting string = 'PGDRILL_TARGET_SERVER_IDS (targetServerIds)'

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

// /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.DBforPostgreSQL/{type}/{name}: 9 segments after split.
var segments = split(serverId, '/')
var serverType = length(segments) == 9 ? toLower('${segments[6]}/${segments[7]}') : ''
var isSingle = serverType == 'microsoft.dbforpostgresql/servers'
var isFlexible = serverType == 'microsoft.dbforpostgresql/flexibleservers'
var notAServer = '${setting}: "${serverId}" is not a Microsoft.DBforPostgreSQL/servers or Microsoft.DBforPostgreSQL/flexibleServers resource id.'
var serverName = isSingle || isFlexible ? last(segments) : fail(notAServer)

resource singleServer 'Microsoft.DBforPostgreSQL/servers@2017-12-01' existing = if (isSingle) {
  name: serverName
}

resource flexibleServer 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = if (isFlexible) {
  name: serverName
}

resource onSingle 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isSingle) {
  name: guid(singleServer.id, principalId, reader)
  scope: singleServer
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader) }
}

resource onFlexible 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isFlexible) {
  name: guid(flexibleServer.id, principalId, reader)
  scope: flexibleServer
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader) }
}
