/**
 * Alert delivery: the configuration (DRILL_ALERTS, schemas/alerts.schema.json), which destinations an alert
 * goes to, and one delivery attempt to one destination. Retries are not here: a failed attempt says whether it
 * may pass later, and the deliverAlerts orchestration waits on a durable timer and tries again.
 *
 * A webhook URL is a secret (whoever has it can post to the channel): it is read from Key Vault for each
 * attempt, sent only to itself, and never logged or returned; errors name the destination, not the URL.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  createDefaultHttpClient,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { AppError, ValidationError } from '../errors';
import type { AlertConfig } from '../types/generated/alerts';
import { assertValid, schemaRef } from '../validation';
import {
  ALERT_KINDS,
  cloudEvent,
  DEFAULT_ALERT_ON,
  webhookBody,
  type Alert,
  type AlertKind,
  type WebhookFormat,
} from './alerts';

export type { AlertConfig };

/** Where one alert goes. No URL: a webhook's URL is read from its secret when it is sent. */
export type Destination =
  | { kind: 'webhook'; name: string; format: WebhookFormat; urlSecretUri: string }
  | { kind: 'eventGrid'; name: 'eventGrid'; topicEndpoint: string };

const MAX_WEBHOOKS = 20;
/** Every delivery attempt gives up after this long (a chat service that hangs must not hold an activity). */
export const DELIVERY_TIMEOUT_MS = 15_000;
/** Event Grid's data-plane scope for Microsoft Entra tokens. */
export const EVENT_GRID_SCOPE = 'https://eventgrid.azure.net/.default';
/** The CloudEvents source of this app's events. */
export const CLOUDEVENT_SOURCE = 'pg-restore-drill';

/** DRILL_ALERTS parsed and checked; undefined when unset. Errors name the field and the fix. */
export function parseAlertConfig(json: string | undefined): AlertConfig | undefined {
  if (!json || !json.trim()) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ValidationError('DRILL_ALERTS', [
      {
        pointer: '',
        message: `is not JSON (${(err as Error).message}): write one object, see schemas/alerts.schema.json`,
      },
    ]);
  }
  const config = assertValid<AlertConfig>(schemaRef('alerts.schema.json'), raw, 'DRILL_ALERTS');
  if (config.webhooks.length > MAX_WEBHOOKS)
    throw new ValidationError('DRILL_ALERTS', [
      {
        pointer: '/webhooks',
        message: `has ${config.webhooks.length} destinations: at most ${MAX_WEBHOOKS}`,
      },
    ]);
  const seen = new Set<string>();
  config.webhooks.forEach((w, i) => {
    if (seen.has(w.name.toLowerCase()) || w.name.toLowerCase() === 'eventgrid')
      throw new ValidationError('DRILL_ALERTS', [
        {
          pointer: `/webhooks/${i}/name`,
          message: `"${w.name}" is used twice (or is reserved): names must be unique`,
        },
      ]);
    seen.add(w.name.toLowerCase());
  });
  return config;
}

/** The destinations that want an alert of this kind (a destination's own `on` overrides the config's). */
export function destinationsFor(config: AlertConfig, kind: AlertKind): Destination[] {
  const wants = (own: readonly AlertKind[] | undefined) =>
    (own ?? config.on ?? DEFAULT_ALERT_ON).includes(kind);
  const out: Destination[] = config.webhooks
    .filter((w) => wants(w.on))
    .map((w) => ({ kind: 'webhook', name: w.name, format: w.format, urlSecretUri: w.urlSecretUri }));
  if (config.eventGrid && wants(config.eventGrid.on))
    out.push({ kind: 'eventGrid', name: 'eventGrid', topicEndpoint: config.eventGrid.topicEndpoint });
  return out;
}

/** Every kind some destination wants (what a drill needs to look for at all). */
export function wantedKinds(config: AlertConfig | undefined): AlertKind[] {
  if (!config) return [];
  const kinds = new Set<AlertKind>();
  for (const k of ALERT_KINDS) if (destinationsFor(config, k).length) kinds.add(k);
  return [...kinds];
}

export interface AlertSenderOptions {
  credential: TokenCredential;
  /** Reads a Key Vault secret (the webhook URLs). */
  secret: (uri: string) => Promise<string>;
  httpClient?: HttpClient;
  timeoutMs?: number;
}

/** One delivery attempt of one alert to one destination. */
export class AlertSender {
  private readonly http: HttpClient;
  private readonly plain: Pipeline;
  private readonly eventGrid: Pipeline;

  constructor(private readonly options: AlertSenderOptions) {
    this.http = options.httpClient ?? createDefaultHttpClient();
    this.plain = createEmptyPipeline();
    this.eventGrid = createEmptyPipeline();
    this.eventGrid.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: EVENT_GRID_SCOPE }),
    );
  }

  /** Delivers `alert`; throws AppError (retryable when a later attempt may pass) naming the destination. */
  async send(destination: Destination, alert: Alert): Promise<{ status: number }> {
    if (destination.kind === 'eventGrid')
      return this.post(
        this.eventGrid,
        destination.name,
        destination.topicEndpoint,
        [cloudEvent(alert, CLOUDEVENT_SOURCE)],
        {
          'content-type': 'application/cloudevents-batch+json; charset=utf-8',
        },
      );
    let url: string;
    try {
      url = (await this.options.secret(destination.urlSecretUri)).trim();
    } catch (err) {
      const e = err instanceof AppError ? err : undefined;
      throw new AppError(
        'AlertSecretUnreadable',
        `alert destination ${destination.name}: its webhook URL secret cannot be read (${e?.code ?? 'error'}): ${err instanceof Error ? err.message : String(err)}`,
        {
          isRetryable: e?.isRetryable ?? true,
          recommendedActions: [
            `Make sure ${destination.urlSecretUri} exists and the app's identity may read it (Key Vault Secrets User).`,
          ],
        },
      );
    }
    if (!/^https:\/\/[^\s]+$/i.test(url))
      throw new AppError(
        'AlertUrlInvalid',
        `alert destination ${destination.name}: its secret does not hold an https URL`,
        {
          recommendedActions: [`Store the webhook's https URL as the value of ${destination.urlSecretUri}.`],
        },
      );
    return this.post(this.plain, destination.name, url, webhookBody(alert, destination.format), {
      'content-type': 'application/json',
    });
  }

  private async post(
    pipeline: Pipeline,
    name: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<{ status: number }> {
    const request = createPipelineRequest({
      url,
      method: 'POST',
      headers: createHttpHeaders(headers),
      body: JSON.stringify(body),
      timeout: this.options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
    });
    let status: number;
    let retryAfter: string | undefined;
    try {
      const response = await pipeline.sendRequest(this.http, request);
      status = response.status;
      retryAfter = response.headers.get('retry-after');
    } catch (err) {
      // The cause may quote the URL (a secret): only its code is kept.
      const code = (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error');
      throw new AppError('AlertUnreachable', `alert destination ${name} could not be reached (${code})`, {
        isRetryable: true,
      });
    }
    if (status >= 200 && status < 300) return { status };
    const retryable = status === 408 || status === 429 || status >= 500;
    const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    throw new AppError('AlertRejected', `alert destination ${name} answered HTTP ${status}`, {
      isRetryable: retryable,
      ...(seconds !== undefined ? { retryAfterSeconds: seconds } : {}),
      recommendedActions: retryable
        ? []
        : status === 401 || status === 403
          ? [
              `Give the app's identity the right to post to ${name} (Event Grid: EventGrid Data Sender on the topic).`,
            ]
          : [
              `Check the URL or endpoint of alert destination ${name}: it refused the message (HTTP ${status}).`,
            ],
    });
  }
}
