/* Generated from schemas/alerts.schema.json by scripts/gen-types.mjs (properties with a default are always present). Do not edit. */

/**
 * What raises an alert: failed (a drill failed for any reason but a missed target), targetMissed, regression (a drill's RTO above 1.5 x the p90 of the 10 before it), overdue (no passed drill within DRILL_COVERAGE_DAYS), passed (every passed drill; off unless listed), doctorFailed (a scheduled pre-flight doctor run of a plan found a check failing that did not fail in its previous run), doctorRecovered (every check passes again after a doctorFailed). A destination's own 'on' overrides this.
 */
export type Kinds = (
  'failed' | 'targetMissed' | 'regression' | 'overdue' | 'passed' | 'doctorFailed' | 'doctorRecovered'
)[];
/**
 * This interface was referenced by `AlertConfig`'s JSON-Schema
 * via the `definition` "Kinds".
 */
export type Kinds1 = (
  'failed' | 'targetMissed' | 'regression' | 'overdue' | 'passed' | 'doctorFailed' | 'doctorRecovered'
)[];

/**
 * Who is told what (app setting DRILL_ALERTS, a JSON object). Webhook URLs are secrets: they are Key Vault secret URIs here, read by the app's identity when an alert is sent, and never logged. Event Grid is published to with the app's managed identity (role EventGrid Data Sender on the topic).
 */
export interface AlertConfig {
  on: Kinds;
  /**
   * Webhook destinations (up to 20).
   */
  webhooks: WebhookDestination[];
  eventGrid?: EventGridDestination;
  retry: AlertRetry;
}
export interface WebhookDestination {
  /**
   * A name for logs and delivery results (the URL itself is never shown).
   */
  name: string;
  /**
   * generic: the alert as JSON; teams: a Microsoft Teams incoming-webhook (Workflows) Adaptive Card; slack: a Slack incoming-webhook message.
   */
  format: 'generic' | 'teams' | 'slack';
  /**
   * Key Vault secret URI whose value is the webhook URL (https://<vault>.vault.azure.net/secrets/<name>).
   */
  urlSecretUri: string;
  on?: Kinds1;
}
export interface EventGridDestination {
  /**
   * The topic's endpoint, https://<topic>.<region>-1.eventgrid.azure.net/api/events (CloudEvents 1.0 schema topic).
   */
  topicEndpoint: string;
  on?: Kinds1;
}
/**
 * Deliveries that fail in a way that may pass (a timeout, 429, 5xx) are retried on durable timers, doubling the wait.
 */
export interface AlertRetry {
  maxAttempts: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
}
