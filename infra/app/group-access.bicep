// Roles for one principal on the resource group this module is deployed in: the cross-region role on a backup
// vault's group (its calls are .../resourceGroups/{group}/providers/Microsoft.DataProtection/locations/{paired}/...),
// or the drill and cross-region roles on a fleet scope that is a resource group.
targetScope = 'resourceGroup'

param principalId string
@description('Role definition names (GUIDs) of this subscription: built-in or the custom roles of main.bicep.')
param roleNames array

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in roleNames: {
    name: guid(resourceGroup().id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]
