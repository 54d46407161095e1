// An Event Grid topic for the alerts (PGDRILL_CREATE_ALERTS_TOPIC): CloudEvents 1.0 input, as
// src/lib/alerts/deliver.ts posts (application/cloudevents-batch+json); local (key) authentication off, so only
// Microsoft Entra tokens publish, and the app's identity gets EventGrid Data Sender. Subscribers are not created
// here: add event subscriptions to the topic for wherever the alerts should go.
param name string
param location string
param tags object
param principalId string

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, eventGridDataSender)
  scope: topic
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender) }
}

@description('https://{topic}.{region}-1.eventgrid.azure.net/api/events: the eventGrid.topicEndpoint of PGDRILL_ALERTS.')
output endpoint string = topic.properties.endpoint
