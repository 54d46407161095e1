/**
 * The standalone host: serves the app's own function definitions without Azure Functions Core Tools.
 *  - HTTP functions on http://{host}:{port}/api/{route}, function-level auth with a key from configuration
 *    (`code` query parameter or `x-functions-key` header; without a configured key, like `func start`, none);
 *  - the Durable client API and check-status links (durableApi.ts);
 *  - queue triggers (queueTrigger.ts) and timer triggers (timerTrigger.ts).
 * Orchestrations run in the in-process driver, persisted so a killed host resumes them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { FunctionDefinition, HttpFunctionDefinition } from '../functions/definitions';
import type { OrchestrationDriver } from './driver';
import { serveDurableApi } from './durableApi';
import { readBody, sendError, sendJson } from './http';
import { durableClientData, invocationContext, type InvocationSetup } from './invocation';
import { startQueueTrigger } from './queueTrigger';
import { startTimerTrigger } from './timerTrigger';

export interface HostOptions {
  definitions: readonly FunctionDefinition[];
  driver: OrchestrationDriver;
  host?: string;
  port?: number;
  functionKey?: string;
  taskHub?: string;
  /** Queue storage (Azurite or an account); omit to run without queue triggers. */
  queueService?: QueueServiceClient;
  maxDequeueCount?: number;
  visibilityTimeoutSeconds?: number;
  queuePollMs?: number;
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
    this.setup = {
      origin: () => this.origin,
      taskHub: options.taskHub ?? 'pgdrill',
      ...(options.functionKey ? { functionKey: options.functionKey } : {}),
      log: this.log,
    };
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log({ level: 'error', message: 'request failed', path: req.url, error: (err as Error).stack });
        if (!res.headersSent) {
          const status = (err as { status?: number }).status ?? 500;
          const code = (err as { code?: string }).code ?? 'InternalError';
          sendError(res, status, code, (err as Error).message);
        }
      });
    });
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
            context: (d, meta) =>
              invocationContext(this.setup, d.name, d.options.extraInputs, d.options.extraOutputs, meta),
            log: this.log,
            ...(this.options.maxDequeueCount ? { maxDequeueCount: this.options.maxDequeueCount } : {}),
            ...(this.options.visibilityTimeoutSeconds
              ? { visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds }
              : {}),
            ...(this.options.queuePollMs ? { pollMs: this.options.queuePollMs } : {}),
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

  private authorized(req: IncomingMessage, url: URL): boolean {
    const key = this.options.functionKey;
    if (!key) return true;
    return url.searchParams.get('code') === key || req.headers['x-functions-key'] === key;
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
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname;
    const durable = (rest: string) =>
      serveDurableApi(this.options.driver, req, res, url, rest, (id) => this.managementUrls(id));
    if (path.startsWith('/durabletask/')) return durable(path.slice('/durabletask/'.length));
    if (path.startsWith('/runtime/webhooks/durabletask/')) {
      if (!this.authorized(req, url))
        return sendError(res, 401, 'Unauthorized', 'a valid code query parameter (function key) is required');
      return durable(path.slice('/runtime/webhooks/durabletask/'.length));
    }
    if (path === '/' || path === '/admin/host/status')
      return sendJson(res, 200, {
        state: 'Running',
        functions: this.options.definitions.map((d) => `${d.kind}:${d.name}`),
      });
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
        'this function needs a function key: ?code=<key> or the x-functions-key header',
      );
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m![i + 1]!)));
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
      { method: req.method, url: url.href },
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
