/**
 * The standalone host: serves the app's own function definitions without Azure Functions Core Tools.
 *  - HTTP functions on http://{host}:{port}/api/{route}, function-level auth with a key from configuration
 *    (`code` query parameter or `x-functions-key` header; without a configured key, like `func start`, none);
 *  - the Durable client API and check-status links (durableApi.ts);
 *  - queue triggers (queueTrigger.ts) and timer triggers (timerTrigger.ts).
 * Orchestrations run in the in-process driver, persisted so a killed host resumes them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { FunctionDefinition, HttpFunctionDefinition } from '../functions/definitions';
import type { OrchestrationDriver } from './driver';
import { serveDurableApi } from './durableApi';
import {
  answerAndClose,
  decodeSegment,
  HttpFailure,
  keyMatches,
  readBody,
  redactUrl,
  sendError,
  sendJson,
} from './http';
import { durableClientData, invocationContext, type InvocationSetup } from './invocation';
import type { QueueTriggerSettings } from './hostJson';
import { startQueueTrigger } from './queueTrigger';
import { startTimerTrigger } from './timerTrigger';

export interface HostOptions {
  definitions: readonly FunctionDefinition[];
  driver: OrchestrationDriver;
  host?: string;
  port?: number;
  functionKey?: string;
  /** Key of the Durable management API; random when a function key is set and this is not. */
  systemKey?: string;
  taskHub?: string;
  /** Queue storage (Azurite or an account); omit to run without queue triggers. */
  queueService?: QueueServiceClient;
  /** Blob storage for blob output bindings of queue functions. */
  blobService?: BlobServiceClient;
  /** Queue trigger settings (host.json). */
  queueSettings?: Partial<QueueTriggerSettings>;
  /** Resolves %SETTING% in timer schedules. */
  setting?: (name: string) => string | undefined;
  timeZone?: string;
  log?: (line: Record<string, unknown>) => void;
}

interface CompiledRoute {
  def: HttpFunctionDefinition;
  pattern: RegExp;
  names: string[];
  methods: string[];
}

function compileRoute(def: HttpFunctionDefinition): CompiledRoute {
  const route = def.options.route ?? def.name;
  const names: string[] = [];
  const source = route
    .split('/')
    .map((seg) => {
      const m = /^\{([^}:?]+)(?::[^}]*)?(\?)?\}$/.exec(seg);
      if (m) {
        names.push(m[1]!);
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return {
    def,
    pattern: new RegExp(`^/api/${source}/?$`, 'i'),
    names,
    methods: (def.options.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
  };
}

export class StandaloneHost {
  private server: Server | undefined;
  private readonly routes: CompiledRoute[];
  private readonly stops: (() => void)[] = [];
  private origin = '';
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly setup: InvocationSetup;

  constructor(private readonly options: HostOptions) {
    this.routes = options.definitions
      .filter((d): d is HttpFunctionDefinition => d.kind === 'http')
      .map(compileRoute);
    this.log =
      options.log ??
      ((line) =>
        process.stdout.write(
          JSON.stringify({ time: new Date().toISOString(), source: 'host', ...line }) + '\n',
        ));
    const systemKey =
      options.systemKey ?? (options.functionKey ? randomBytes(24).toString('base64url') : undefined);
    this.setup = {
      origin: () => this.origin,
      taskHub: options.taskHub ?? 'pgdrill',
      ...(systemKey ? { systemKey } : {}),
      log: this.log,
    };
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (err instanceof HttpFailure) {
          // Bad input: a 4xx naming what was wrong; a body the host stopped reading closes the connection.
          if (res.headersSent) return;
          if (err.status === 413 || err.status === 408) return answerAndClose(req, res, err);
          return sendError(res, err.status, err.code, err.message);
        }
        this.log({
          level: 'error',
          message: 'request failed',
          path: redactUrl(req.url),
          error: (err as Error).stack,
        });
        if (!res.headersSent) sendError(res, 500, 'InternalError', (err as Error).message);
      });
    });
    // Node's own limits as a backstop: headers within 20 s, a whole request within 40 s.
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 40_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 7071, this.options.host ?? '127.0.0.1', resolve);
    });
    const addr = this.server.address() as AddressInfo;
    this.origin = `http://${this.options.host ?? '127.0.0.1'}:${addr.port}`;
    for (const def of this.options.definitions) {
      if (def.kind === 'queue' && this.options.queueService) {
        this.stops.push(
          startQueueTrigger(def, {
            service: this.options.queueService,
            ...(this.options.blobService ? { blobs: this.options.blobService } : {}),
            context: (d, meta) =>
              invocationContext(this.setup, d.name, d.options.extraInputs, d.options.extraOutputs, meta),
            log: this.log,
            ...(this.options.queueSettings ? { settings: this.options.queueSettings } : {}),
          }),
        );
      }
      if (def.kind === 'timer') {
        const stop = startTimerTrigger(def, {
          setting: (name) => this.options.setting?.(name),
          timeZone: this.options.timeZone ?? 'UTC',
          context: (d) =>
            invocationContext(this.setup, d.name, d.options.extraInputs, d.options.extraOutputs),
          log: this.log,
        });
        if (stop) this.stops.push(stop);
      }
    }
    this.log({
      message: 'host started',
      url: this.origin,
      functions: this.options.definitions.filter((d) => d.kind === 'http').map((d) => d.name),
    });
    return this.origin;
  }

  async stop(): Promise<void> {
    for (const s of this.stops.splice(0)) s();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
    await this.options.driver.flush();
    this.log({ message: 'host stopped' });
  }

  /** The function key was presented, or the host checks none. */
  private authorized(req: IncomingMessage, url: URL): boolean {
    const key = this.options.functionKey;
    if (!key) return true;
    // The function key only: the system key is the Durable API's (as in Azure).
    const presented = [url.searchParams.get('code') ?? undefined, headerValue(req, 'x-functions-key')];
    return presented.some((p) => keyMatches(p, key));
  }

  /** The system key was presented (or the host checks none). */
  private systemAuthorized(presented: string | undefined): boolean {
    return this.setup.systemKey === undefined || keyMatches(presented, this.setup.systemKey);
  }

  /** Check-status links of an instance, from the binding's templates. */
  private managementUrls(instanceId: string): Record<string, string> {
    const templates = durableClientData(this.setup).managementUrls as Record<string, string>;
    return Object.fromEntries(
      Object.entries(templates).map(([k, v]) => [
        k,
        v.replaceAll('INSTANCEID', encodeURIComponent(instanceId)),
      ]),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', this.origin);
    } catch {
      return sendError(res, 400, 'InvalidUrl', 'the request URL is not valid');
    }
    const path = url.pathname;
    const durable = (rest: string) =>
      serveDurableApi(this.options.driver, req, res, url, rest, (id) => this.managementUrls(id));
    // The durable client API: the system key is the path segment after /durabletask/.
    if (path.startsWith('/durabletask/')) {
      const [segment, ...rest] = path.slice('/durabletask/'.length).split('/');
      if (this.setup.systemKey === undefined) return durable([segment, ...rest].join('/'));
      if (!this.systemAuthorized(decodeSegment(segment ?? '', 'the key segment')))
        return sendError(res, 401, 'Unauthorized', 'the durable client API needs the system key');
      return durable(rest.join('/'));
    }
    if (path.startsWith('/runtime/webhooks/durabletask/')) {
      if (!this.systemAuthorized(url.searchParams.get('code') ?? headerValue(req, 'x-functions-key')))
        return sendError(
          res,
          401,
          'Unauthorized',
          'the durable management API needs the system key (?code=)',
        );
      return durable(path.slice('/runtime/webhooks/durabletask/'.length));
    }
    if (path === '/' || path === '/admin/host/status') {
      if (!this.authorized(req, url))
        return sendError(res, 401, 'Unauthorized', 'a function key is required');
      return sendJson(res, 200, {
        state: 'Running',
        functions: this.options.definitions.map((d) => `${d.kind}:${d.name}`),
      });
    }
    const candidates = this.routes.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
    if (candidates.length === 0) return sendError(res, 404, 'NotFound', `no function at ${path}`);
    const match = candidates.find((x) => x.r.methods.includes(req.method ?? 'GET'));
    if (!match) return sendError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on ${path}`);
    const { r, m } = match;
    if (r.def.options.authLevel !== 'anonymous' && !this.authorized(req, url))
      return sendError(
        res,
        401,
        'Unauthorized',
        'this function needs a valid function key: ?code=<key> or the x-functions-key header',
      );
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeSegment(m![i + 1]!, `the ${n} in the path`)));
    const body = ['GET', 'HEAD', 'DELETE'].includes(req.method ?? 'GET') ? undefined : await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      url: url.href,
      headers,
      query: Object.fromEntries(url.searchParams),
      params,
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
    const ctx = invocationContext(
      this.setup,
      r.def.name,
      r.def.options.extraInputs ?? [],
      r.def.options.extraOutputs ?? [],
      { method: req.method, url: redactUrl(url.href) },
    );
    const started = Date.now();
    const out = (await r.def.options.handler(request, ctx)) as HttpResponseInit | undefined;
    const status = out?.status ?? 200;
    const outHeaders: Record<string, string> = {};
    if (out?.headers)
      for (const [k, v] of Object.entries(out.headers as Record<string, string>)) outHeaders[k] = String(v);
    if (out?.jsonBody !== undefined) sendJson(res, status, out.jsonBody, outHeaders);
    else {
      res.writeHead(status, outHeaders);
      res.end(typeof out?.body === 'string' ? out.body : '');
    }
    this.log({
      message: 'http',
      function: r.def.name,
      method: req.method,
      path,
      status,
      ms: Date.now() - started,
    });
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
