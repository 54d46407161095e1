/**
 * The emulator's ARM server: the surface of Microsoft.DataProtection (the operations in
 * reference/dataprotection/CONTRACT.md section 1), with the managed identity endpoint (identity.ts) and the
 * admin routes (admin.ts) on the same origin. Every request is logged. Order of checks, as ARM does:
 * authentication, api-version, route, then faults, then the operation.
 */
import { sinkRoute } from './sinks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminRoute } from './admin';
import { actionDenied, authorizationFailed, authorizationRoute } from './authorization';
import { recordRequest, type EmulatorContext, type RequestLogEntry } from './context';
import { cloudError, readBody, send, type Reply } from './http';
import { identityToken } from './identity';
import { DataProtectionOperations, type ArmRequest } from './operations';
import { ArmThrottle } from './throttle';
import { matchRoute, type Match } from './routes';

const MAX_LOGGED_BODIES = 5_000;
/** The object id ARM names in a 403 for the emulator's managed identity. */

export class ArmApi {
  private readonly operations: DataProtectionOperations;

  constructor(
    private readonly ctx: EmulatorContext,
    readonly identityHeader: string,
  ) {
    this.operations = new DataProtectionOperations(ctx);
  }

  /** Node request handler for the ARM server (ARM, identity, admin). */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const origin = `https://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', origin);
    const entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'> = {
      service: url.pathname.startsWith('/_emulator/')
        ? 'admin'
        : url.pathname.startsWith('/_sinks/')
          ? 'sink'
          : url.pathname === '/msi/token'
            ? 'identity'
            : 'arm',
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      time: new Date(started).toISOString(),
      tokenPresent: /^Bearer\s+\S+/i.test(req.headers.authorization ?? ''),
    };
    readBody(req)
      .then(async (body) => {
        const outcome = await this.route(
          { method: entry.method, url, headers: req.headers, body, origin },
          entry,
        );
        if (outcome === 'reset') {
          this.record(entry, 0, started);
          req.socket.destroy();
          return;
        }
        if (outcome.status === -1) {
          // malformed: a 200 whose body is cut off mid-JSON
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
          res.end('{"value":[{"id":"/subscriptions/');
          this.record(entry, 200, started);
          return;
        }
        const text = send(res, outcome);
        this.record(entry, outcome.status, started, text);
      })
      .catch((err: unknown) => {
        const text = send(
          res,
          cloudError(500, 'InternalServerError', `emulator error: ${(err as Error).message}`),
        );
        this.ctx.log('request failed', { path: url.pathname, error: (err as Error).stack });
        this.record(entry, 500, started, text);
      });
  };

  private record(
    entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'>,
    status: number,
    started: number,
    text?: string,
  ): void {
    const full: RequestLogEntry = {
      ...entry,
      seq: this.ctx.nextSeq(),
      status,
      durationMs: Date.now() - started,
    };
    if (text && this.ctx.requests.length < MAX_LOGGED_BODIES) {
      try {
        full.responseBody = JSON.parse(text);
      } catch {
        /* not JSON */
      }
    }
    recordRequest(this.ctx, full);
  }

  private authFailure(headers: IncomingMessage['headers']): Reply | undefined {
    const check = this.ctx.tokens.check(headers.authorization, this.ctx.config.armAudience);
    if (check.ok) return undefined;
    return cloudError(401, check.code, check.message, {
      'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${this.ctx.config.tenantId}", error="invalid_token", error_description="${check.code}"`,
    });
  }

  private async route(
    req: ArmRequest,
    entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'>,
  ): Promise<Reply | 'reset'> {
    const path = req.url.pathname;
    if (path === '/msi/token') return identityToken(this.ctx, this.identityHeader, req);
    // The sinks stand for other services: each checks its own token (or none, as a webhook).
    const sink = sinkRoute(this.ctx, this.ctx.sinks, req);
    if (sink) return sink;
    const denied = this.authFailure(req.headers);
    if (denied) return denied;
    if (path.startsWith('/_emulator/')) return adminRoute(this.ctx, req);

    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion) {
      return cloudError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    // Microsoft.Authorization reads (permissions, role assignments): another provider on ARM's origin.
    const authz = authorizationRoute(this.ctx, req.method, req.url);
    if (authz) {
      entry.operation = /permissions\/?$/i.test(path)
        ? 'Permissions_ListForResource'
        : 'RoleAssignments_ListForScope';
      return authz;
    }
    const match = matchRoute(req.method, path);
    if (!match) {
      return cloudError(
        404,
        'InvalidResourceType',
        `The resource type could not be found in the namespace 'Microsoft.DataProtection' for api version '${apiVersion}' (path ${path}).`,
      );
    }
    if ('methodNotAllowed' in match)
      return cloudError(
        405,
        'MethodNotAllowed',
        `The HTTP method '${req.method}' is not supported for ${path}.`,
      );
    entry.operation = match.operation;
    // An operation newer than some accepted api-versions (cross-region restore is not in 2021-07-01): ARM's
    // manifest lists only the versions that define it. Assumption (RECORDINGS.md section 6): ARM answers such a
    // call with NoRegisteredProviderFound, as for any unknown version, rather than forwarding it to the RP.
    const versions = (match.apiVersions ?? this.ctx.config.apiVersions).filter(
      (v) => !match.minApiVersion || v >= match.minApiVersion,
    );
    if (!versions.includes(apiVersion)) {
      const type = match.minApiVersion
        ? `locations/${path.split('/').pop()!}`
        : match.apiVersions
          ? path.split('/').slice(-2)[0]
          : 'backupVaults';
      return cloudError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${match.params.location ?? this.ctx.config.location}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${versions.join(', ')}'.`,
      );
    }
    if (match.params.sub!.toLowerCase() !== this.ctx.config.subscriptionId.toLowerCase()) {
      return cloudError(
        404,
        'SubscriptionNotFound',
        `The subscription '${match.params.sub}' could not be found.`,
      );
    }

    // ARM's throttling: a request that finds the subscription's bucket empty is refused, not carried out.
    const budget = this.ctx.throttle.take(req.method);
    if (budget.retryAfterSeconds !== undefined)
      return cloudError(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${ArmThrottle.kindOf(req.method) === 'reads' ? 'read' : 'write'}' requests for subscription '${match.params.sub}' exceeded. Please try again after '${budget.retryAfterSeconds}' seconds after additional tokens are available.`,
        budget.headers,
      );
    const reply = await this.answer(req, match, apiVersion, entry);
    return reply === 'reset' ? reply : { ...reply, headers: { ...reply.headers, ...budget.headers } };
  }

  /** A matched, authorised, unthrottled request: a revoked role, a fault rule, or the operation. */
  private async answer(
    req: ArmRequest,
    match: Match,
    apiVersion: string,
    entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'>,
  ): Promise<Reply | 'reset'> {
    const path = req.url.pathname;
    // A role taken away: ARM's own refusal, naming the action and the scope (as Azure words it).
    if (actionDenied(this.ctx, match.action, path)) return authorizationFailed(match.action, path);

    const fault = this.ctx.faults.take(match.operation, [
      'status',
      'reset',
      'delay',
      'malformed',
      'dropResponse',
    ]);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'reset') return 'reset';
      if (fault.kind === 'dropResponse') {
        // The request is carried out, then the answer is lost: the client cannot know it was accepted.
        this.operations.run(match, req, apiVersion);
        return 'reset';
      }
      if (fault.kind === 'malformed') return { status: -1 };
      if (fault.kind === 'status') {
        const code =
          fault.status === 429
            ? 'TooManyRequests'
            : fault.status === 503
              ? 'ServiceUnavailable'
              : 'InternalServerError';
        const headers: Record<string, string> =
          fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
        return cloudError(fault.status!, code, `Injected by an emulator fault rule (${fault.id}).`, headers);
      }
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    }
    return this.foreignAsyncOperation(match, this.operations.run(match, req, apiVersion), entry);
  }

  /**
   * Fault foreignAsyncOperation: the answer's Azure-AsyncOperation moved to another origin (Location stays on
   * ARM's), as a misrouted or hostile answer would: a client must not call it with its token.
   */
  private foreignAsyncOperation(
    match: Match,
    reply: Reply | 'reset',
    entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'>,
  ): Reply | 'reset' {
    const asyncUrl = reply === 'reset' ? undefined : reply.headers?.['Azure-AsyncOperation'];
    if (reply === 'reset' || !asyncUrl) return reply;
    const fault = this.ctx.faults.take(match.operation, ['foreignAsyncOperation']);
    if (!fault) return reply;
    entry.fault = fault.kind;
    const u = new URL(asyncUrl);
    const moved = `${fault.url ?? 'https://foreign.invalid'}${u.pathname}${u.search}`;
    return { ...reply, headers: { ...reply.headers, 'Azure-AsyncOperation': moved } };
  }
}
