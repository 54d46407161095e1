// EventGrid Data Sender for one principal on an existing Event Grid topic: the alerts publish CloudEvents 1.0
// batches with a Microsoft Entra token (src/lib/alerts/deliver.ts), so the topic's input schema must be
// CloudEventSchemaV1_0 (a topic's schema cannot be changed after creation; infra/README.md).
param topicName string
param principalId string

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

var wrongSchema = 'PGDRILL_ALERTS_EVENT_GRID_TOPIC_ID (alertsEventGridTopicId): topic ${topicName} does not take CloudEvents 1.0 (inputSchema CloudEventSchemaV1_0), which the alerts send; create a CloudEvents topic (or set PGDRILL_CREATE_ALERTS_TOPIC=true).'

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, eventGridDataSender)
  scope: topic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    // Read from the topic at deployment: a topic of another schema stops the deployment here, naming the fix.
    description: topic.properties.?inputSchema == 'CloudEventSchemaV1_0' ? 'pg-restore-drill alerts publish here' : fail(wrongSchema)
  }
}
