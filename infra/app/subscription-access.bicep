// Roles for one principal on the subscription this module is deployed in: the operation reader (the status URLs
// of asynchronous operations are /subscriptions/{sub}/providers/Microsoft.DataProtection/locations/...), or the
// drill and cross-region roles on a fleet scope that is a whole subscription.
targetScope = 'subscription'

param principalId string
@description('Role definition names (GUIDs): built-in or the custom roles of main.bicep (assignable here).')
param roleNames array

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in roleNames: {
    name: guid(subscription().id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]
