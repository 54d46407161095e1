/**
 * Sinks that record what the app sends outside Azure Backup, for tests and the walk-through (emulator/README.md):
 *
 *   POST /_sinks/webhooks/{name}[?failFirst=N&status=S]   any webhook (generic, Teams, Slack): recorded; the
 *        first N requests to that name answer S (default 503), so retries can be seen
 *   POST /_sinks/eventgrid/{topic}/api/events             an Event Grid topic: CloudEvents 1.0 batches only,
 *        with a bearer token for https://eventgrid.azure.net (the app's managed identity)
 *   POST /_sinks/appinsights/v2.1/track                   Application Insights ingestion (envelopes); a bearer
 *        token, when sent, must be for https://monitor.azure.com
 *   GET  /_emulator/sinks                                 what each received, in order (admin, ARM token)
 */
import type { IncomingMessage } from 'node:http';
import type { EmulatorContext } from './context';
import { cloudError, type Reply } from './http';

export const EVENT_GRID_AUDIENCE = 'https://eventgrid.azure.net';
export const MONITOR_AUDIENCE = 'https://monitor.azure.com';

export interface SinkRecord {
  sink: 'webhook' | 'eventGrid' | 'appInsights';
  /** The webhook's name or the topic's. */
  name: string;
  time: string;
  /** What the sink answered. */
  status: number;
  contentType: string;
  body: unknown;
}

/** What the sinks received, and how many requests each failing webhook has answered. */
export class SinkBook {
  readonly received: SinkRecord[] = [];
  private readonly seen = new Map<string, number>();

  /** Counts a request to `key` and says how many came before it. */
  count(key: string): number {
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    return n;
  }

  clear(): void {
    this.received.length = 0;
    this.seen.clear();
  }
}

const MAX_RECORDS = 1000;

function record(book: SinkBook, r: SinkRecord): void {
  if (book.received.length >= MAX_RECORDS) book.received.shift();
  book.received.push(r);
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A sink route, or undefined when the path is not one. */
export function sinkRoute(
  ctx: EmulatorContext,
  book: SinkBook,
  req: { method: string; url: URL; headers: IncomingMessage['headers']; body: string },
): Reply | undefined {
  const path = req.url.pathname;
  if (!path.startsWith('/_sinks/')) return undefined;
  if (req.method !== 'POST') return cloudError(405, 'MethodNotAllowed', 'sinks take POST');
  const contentType = String(req.headers['content-type'] ?? '');
  const body = parse(req.body);
  const time = new Date().toISOString();

  let m = /^\/_sinks\/webhooks\/([A-Za-z0-9._-]{1,64})$/.exec(path);
  if (m) {
    const name = m[1]!;
    const failFirst = Number(req.url.searchParams.get('failFirst') ?? '0');
    const failStatus = Number(req.url.searchParams.get('status') ?? '503');
    const n = book.count(`webhook:${name}`);
    const status = n < failFirst ? failStatus : body === undefined ? 400 : 200;
    record(book, { sink: 'webhook', name, time, status, contentType, body: body ?? req.body });
    return status === 200
      ? { status, body: 'ok' }
      : { status, body: { error: `sink ${name}: HTTP ${status}` } };
  }

  m = /^\/_sinks\/eventgrid\/([A-Za-z0-9-]{1,64})\/api\/events$/.exec(path);
  if (m) {
    const name = m[1]!;
    const auth = ctx.tokens.check(req.headers.authorization, EVENT_GRID_AUDIENCE);
    let status = 200;
    let reply: Reply = { status: 200 };
    if (!auth.ok) reply = cloudError((status = 401), auth.code, auth.message);
    else if (!/^application\/cloudevents-batch\+json/i.test(contentType))
      reply = cloudError(
        (status = 400),
        'BadRequest',
        'Content-Type must be application/cloudevents-batch+json',
      );
    else if (
      !Array.isArray(body) ||
      body.some(
        (e: Record<string, unknown>) =>
          e?.specversion !== '1.0' || !e.id || !e.type || !e.source || typeof e.time !== 'string',
      )
    )
      reply = cloudError(
        (status = 400),
        'BadRequest',
        'a batch of CloudEvents 1.0 (specversion, id, type, source, time)',
      );
    record(book, { sink: 'eventGrid', name, time, status, contentType, body: body ?? req.body });
    return reply;
  }

  if (path === '/_sinks/appinsights/v2.1/track') {
    if (req.headers.authorization) {
      const auth = ctx.tokens.check(req.headers.authorization, MONITOR_AUDIENCE);
      if (!auth.ok) return cloudError(401, auth.code, auth.message);
    }
    const items = Array.isArray(body) ? body : [];
    const bad = items.filter(
      (e: Record<string, unknown>) => !e?.iKey || !e.name || !e.time || !e.data,
    ).length;
    const status = items.length && !bad ? 200 : 400;
    record(book, { sink: 'appInsights', name: 'track', time, status, contentType, body: body ?? req.body });
    return {
      status,
      body: { itemsReceived: items.length, itemsAccepted: items.length - bad, errors: [] },
    };
  }
  return cloudError(404, 'NotFound', `no sink at ${path}`);
}
