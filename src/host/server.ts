/**
 * The standalone host: serves the app's own function definitions without Azure Functions Core Tools.
 *  - HTTP functions on http://{host}:{port}/api/{route}, function-level auth with a key from configuration
 *    (`code` query parameter or `x-functions-key` header; without a configured key, like `func start`, none);
 *  - the Durable client API that durable-functions' DurableClient calls (rpcBaseUrl: /durabletask/...) and the
 *    management URLs of the check-status payload (/runtime/webhooks/durabletask/...);
 *  - queue triggers polled from Azure Storage (visibility timeout, dequeue count, poison queue);
 *  - timer triggers (NCRONTAB with seconds, WEBSITE_TIME_ZONE or UTC).
 * Orchestrations run in the in-process driver, persisted so a killed host resumes them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpRequest,
  InvocationContext,
  type FunctionInput,
  type FunctionOutput,
  type HttpResponseInit,
  type Timer,
} from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { CronExpressionParser } from 'cron-parser';
import type {
  FunctionDefinition,
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from '../functions/definitions';
import type { InstanceStatus, OrchestrationDriver } from './driver';

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

function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    ...headers,
  });
  res.end(text);
}

function isDurableClientInput(input: FunctionInput): boolean {
  return input.type === 'durableClient' || input.type === 'orchestrationClient';
}

export class StandaloneHost {
  private server: Server | undefined;
  private readonly routes: CompiledRoute[];
  private readonly stops: (() => void)[] = [];
  private origin = '';
  private readonly log: (line: Record<string, unknown>) => void;

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
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log({ level: 'error', message: 'request failed', path: req.url, error: (err as Error).stack });
        if (!res.headersSent)
          sendJson(res, (err as { status?: number }).status ?? 500, {
            error: { code: 'InternalError', message: (err as Error).message },
          });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 7071, this.options.host ?? '127.0.0.1', resolve);
    });
    const addr = this.server.address() as AddressInfo;
    this.origin = `http://${this.options.host ?? '127.0.0.1'}:${addr.port}`;
    for (const def of this.options.definitions) {
      if (def.kind === 'queue' && this.options.queueService) this.startQueue(def);
      if (def.kind === 'timer') this.startTimer(def);
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

  // ---- context and durable client binding ----

  private clientData(): Record<string, unknown> {
    const hub = this.options.taskHub ?? 'pgdrill';
    const code = this.options.functionKey ? `&code=${encodeURIComponent(this.options.functionKey)}` : '';
    const q = `taskHub=${hub}&connection=Storage${code}`;
    const hook = `${this.origin}/runtime/webhooks/durabletask`;
    return {
      taskHubName: hub,
      creationUrls: {
        createNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?${q}`,
        createAndWaitOnNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${hook}/instances/INSTANCEID?${q}`,
        sendEventPostUri: `${hook}/instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
        terminatePostUri: `${hook}/instances/INSTANCEID/terminate?reason={text}&${q}`,
        rewindPostUri: `${hook}/instances/INSTANCEID/rewind?reason={text}&${q}`,
        purgeHistoryDeleteUri: `${hook}/instances/INSTANCEID?${q}`,
        restartPostUri: `${hook}/instances/INSTANCEID/restart?${q}`,
        suspendPostUri: `${hook}/instances/INSTANCEID/suspend?reason={text}&${q}`,
        resumePostUri: `${hook}/instances/INSTANCEID/resume?reason={text}&${q}`,
      },
      baseUrl: hook,
      requiredQueryStringParameters: code.slice(1),
      rpcBaseUrl: `${this.origin}/durabletask/`,
    };
  }

  private context(
    name: string,
    extraInputs: FunctionInput[] = [],
    extraOutputs: FunctionOutput[] = [],
    triggerMetadata: Record<string, unknown> = {},
  ): InvocationContext {
    const invocationId = randomUUID();
    const ctx = new InvocationContext({
      functionName: name,
      invocationId,
      triggerMetadata,
      options: { trigger: { type: 'host', name: 'trigger' }, extraInputs, extraOutputs },
      logHandler: (level, ...args) => {
        // Handlers log JSON objects (with drill ids): merge them into the host's structured line.
        const text = args.map(String).join(' ');
        let fields: Record<string, unknown> = { message: text };
        if (text.startsWith('{')) {
          try {
            fields = JSON.parse(text) as Record<string, unknown>;
          } catch {
            /* plain text */
          }
        }
        this.log({ level, function: name, invocationId, ...fields });
      },
    });
    for (const input of extraInputs)
      if (isDurableClientInput(input)) ctx.extraInputs.set(input, this.clientData());
    return ctx;
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const key = this.options.functionKey;
    if (!key) return true;
    return url.searchParams.get('code') === key || req.headers['x-functions-key'] === key;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname;
    if (path.startsWith('/durabletask/'))
      return this.durableApi(req, res, url, path.slice('/durabletask/'.length));
    if (path.startsWith('/runtime/webhooks/durabletask/')) {
      if (!this.authorized(req, url))
        return sendJson(res, 401, {
          error: { code: 'Unauthorized', message: 'a valid code query parameter (function key) is required' },
        });
      return this.durableApi(req, res, url, path.slice('/runtime/webhooks/durabletask/'.length));
    }
    if (path === '/' || path === '/admin/host/status')
      return sendJson(res, 200, {
        state: 'Running',
        functions: this.options.definitions.map((d) => `${d.kind}:${d.name}`),
      });
    const candidates = this.routes.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
    if (candidates.length === 0)
      return sendJson(res, 404, { error: { code: 'NotFound', message: `no function at ${path}` } });
    const match = candidates.find((x) => x.r.methods.includes(req.method ?? 'GET'));
    if (!match)
      return sendJson(res, 405, {
        error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on ${path}` },
      });
    const { r, m } = match;
    if (r.def.options.authLevel !== 'anonymous' && !this.authorized(req, url)) {
      return sendJson(res, 401, {
        error: {
          code: 'Unauthorized',
          message: 'this function needs a function key: ?code=<key> or the x-functions-key header',
        },
      });
    }
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
    const ctx = this.context(r.def.name, r.def.options.extraInputs ?? [], r.def.options.extraOutputs ?? [], {
      method: req.method,
      url: url.href,
    });
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

  private statusBody(s: InstanceStatus, showHistory: boolean): Record<string, unknown> {
    return {
      name: s.name,
      instanceId: s.instanceId,
      runtimeStatus: s.runtimeStatus,
      input: s.input,
      customStatus: s.customStatus ?? null,
      output: s.output ?? null,
      createdTime: s.createdTime,
      lastUpdatedTime: s.lastUpdatedTime,
      ...(showHistory ? { historyEvents: this.options.driver.historyOf(s.instanceId) } : {}),
    };
  }

  /** The Durable Functions HTTP API, as DurableClient and the check-status links call it. */
  private async durableApi(req: IncomingMessage, res: ServerResponse, url: URL, rest: string): Promise<void> {
    const driver = this.options.driver;
    const method = req.method ?? 'GET';
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'orchestrators' && method === 'POST' && parts[1]) {
      const text = await readBody(req);
      const input: unknown = text ? JSON.parse(text) : undefined;
      const id = parts[2] ?? randomUUID().replace(/-/g, '');
      try {
        await driver.start(parts[1], input, id);
      } catch (err) {
        if ((err as { code?: string }).code === 'InstanceExists')
          return sendJson(res, 409, { message: (err as Error).message });
        return sendJson(res, 400, { message: (err as Error).message });
      }
      const links = JSON.parse(
        JSON.stringify(this.clientData().managementUrls).replaceAll('INSTANCEID', encodeURIComponent(id)),
      ) as Record<string, string>;
      return sendJson(res, 202, { ...links, id }, { Location: links.statusQueryGetUri! });
    }
    if (parts[0] === 'instances') {
      const id = parts[1];
      if (!id && method === 'GET') {
        const wanted = (url.searchParams.get('runtimeStatus') ?? '').split(',').filter(Boolean);
        const list = driver.list().filter((s) => wanted.length === 0 || wanted.includes(s.runtimeStatus));
        return sendJson(
          res,
          200,
          list.map((s) => this.statusBody(s, false)),
        );
      }
      if (!id) return sendJson(res, 404, { message: 'no instance id' });
      const status = await driver.getStatusAsync(id);
      if (!status) return sendJson(res, 404, { message: `no instance ${id}` });
      const action = parts[2];
      if (!action && method === 'GET') {
        const running = ['Pending', 'Running'].includes(status.runtimeStatus);
        return sendJson(
          res,
          running ? 202 : 200,
          this.statusBody(status, url.searchParams.get('showHistory') === 'true'),
        );
      }
      if (!action && method === 'DELETE') {
        return sendJson(res, 404, { message: 'purge is not supported by the standalone host' });
      }
      const terminal = ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus);
      if (action === 'raiseEvent' && method === 'POST' && parts[3]) {
        if (terminal) return sendJson(res, 410, { message: `instance ${id} is ${status.runtimeStatus}` });
        const text = await readBody(req);
        driver.raiseEvent(id, parts[3], text ? JSON.parse(text) : null);
        return sendJson(res, 202);
      }
      if (action === 'terminate' && method === 'POST') {
        if (terminal) return sendJson(res, 410, { message: `instance ${id} is ${status.runtimeStatus}` });
        driver.terminate(id, url.searchParams.get('reason') ?? 'terminated');
        return sendJson(res, 202);
      }
    }
    return sendJson(res, 404, { message: `unsupported durable API call ${method} ${rest}` });
  }

  // ---- queues ----

  private startQueue(def: QueueFunctionDefinition): void {
    const service = this.options.queueService!;
    const queue = service.getQueueClient(def.options.queueName);
    const poison = service.getQueueClient(`${def.options.queueName}-poison`);
    const maxDequeue = this.options.maxDequeueCount ?? 5;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    this.stops.push(() => {
      stopped = true;
      if (timer) clearTimeout(timer);
    });
    const poll = async (): Promise<void> => {
      await queue.createIfNotExists();
      await poison.createIfNotExists();
      while (!stopped) {
        const { receivedMessageItems } = await queue.receiveMessages({
          numberOfMessages: 16,
          visibilityTimeout: this.options.visibilityTimeoutSeconds ?? 30,
        });
        if (receivedMessageItems.length === 0) break;
        for (const m of receivedMessageItems) {
          if (stopped) return;
          const text = decodeQueueText(m.messageText);
          let payload: unknown = text;
          try {
            payload = JSON.parse(text);
          } catch {
            /* a plain string message */
          }
          const outputs = def.options.extraOutputs ?? [];
          const ctx = this.context(def.name, def.options.extraInputs ?? [], outputs, {
            id: m.messageId,
            dequeueCount: m.dequeueCount,
            insertionTime: m.insertedOn?.toISOString(),
            queueTrigger: text,
          });
          try {
            await def.options.handler(payload, ctx);
            for (const o of outputs) {
              const value = ctx.extraOutputs.get(o);
              const queueName = (o as { queueName?: string }).queueName;
              if (value !== undefined && queueName) {
                const target = service.getQueueClient(queueName);
                await target.createIfNotExists();
                await target.sendMessage(
                  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64'),
                );
              }
            }
            await queue.deleteMessage(m.messageId, m.popReceipt);
          } catch (err) {
            this.log({
              level: 'error',
              function: def.name,
              message: 'queue message failed',
              messageId: m.messageId,
              dequeueCount: m.dequeueCount,
              error: (err as Error).message,
            });
            if (m.dequeueCount >= maxDequeue) {
              await poison.sendMessage(Buffer.from(text).toString('base64'));
              await queue.deleteMessage(m.messageId, m.popReceipt);
              this.log({
                level: 'warning',
                function: def.name,
                message: `moved to ${def.options.queueName}-poison after ${m.dequeueCount} attempts`,
                messageId: m.messageId,
              });
            }
          }
        }
      }
    };
    const loop = (): void => {
      if (stopped) return;
      poll()
        .catch((err: unknown) =>
          this.log({
            level: 'error',
            function: def.name,
            message: 'queue poll failed',
            error: (err as Error).message,
          }),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, this.options.queuePollMs ?? 1000);
        });
    };
    loop();
  }

  // ---- timers ----

  private startTimer(def: TimerFunctionDefinition): void {
    const schedule = def.options.schedule.replace(
      /%([^%]+)%/g,
      (_, name: string) => this.options.setting?.(name) ?? '',
    );
    let expr;
    try {
      expr = CronExpressionParser.parse(schedule, { tz: this.options.timeZone ?? 'UTC' });
    } catch (err) {
      this.log({
        level: 'error',
        function: def.name,
        message: `timer schedule "${schedule}" is not NCRONTAB: ${(err as Error).message}`,
      });
      return;
    }
    let handle: NodeJS.Timeout | undefined;
    let stopped = false;
    this.stops.push(() => {
      stopped = true;
      if (handle) clearTimeout(handle);
    });
    const next = (): void => {
      if (stopped) return;
      const at = expr.next().toDate();
      const last = new Date();
      handle = setTimeout(
        () => {
          const timer: Timer = {
            isPastDue: Date.now() - at.getTime() > 1000,
            schedule: { adjustForDST: true },
            scheduleStatus: {
              last: last.toISOString(),
              next: at.toISOString(),
              lastUpdated: new Date().toISOString(),
            },
          };
          Promise.resolve(
            def.options.handler(
              timer,
              this.context(def.name, def.options.extraInputs ?? [], def.options.extraOutputs ?? []),
            ),
          )
            .catch((err: unknown) =>
              this.log({
                level: 'error',
                function: def.name,
                message: 'timer function failed',
                error: (err as Error).message,
              }),
            )
            .finally(next);
        },
        Math.max(0, at.getTime() - Date.now()),
      );
    };
    next();
  }
}

/** Queue triggers read base64 messages (the Functions default); plain text is taken as is. */
export function decodeQueueText(text: string): string {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (!decoded.includes('\ufffd') && Buffer.from(decoded, 'utf8').toString('base64') === text)
      return decoded;
  }
  return text;
}
