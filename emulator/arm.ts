/**
 * The ARM surface of Microsoft.DataProtection (the operations in reference/dataprotection/CONTRACT.md
 * section 1), the App Service managed identity endpoint, and the emulator's admin routes (/_emulator/*).
 * Order of checks, as ARM does: authentication, api-version, route, then faults, then the operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { takeBackup } from './backups';
import { parseFault } from './config';
import { track, type EmulatorContext, type RequestLogEntry } from './context';
import { cloudError, readBody, send, type Reply } from './http';
import {
  newOperationId,
  renderBackupInstance,
  renderJob,
  renderRecoveryPoint,
  renderVault,
  type BackupInstanceRuntime,
  type OperationRuntime,
  type VaultRuntime,
} from './model';
import { startRestoreJob, validateRestore, type RestoreRequestBody } from './restore';
import { checkAgainstSwagger } from './swagger';

export const MAX_LOGGED_REQUESTS = 20_000;
const MAX_LOGGED_BODIES = 5_000;
const RUNNING_END_TIME = '0001-01-01T00:00:00Z';

interface Match {
  operation: string;
  params: Record<string, string>;
}

const SEG = '([^/]+)';
const V = `/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.DataProtection/backupVaults/${SEG}`;
const BI = `${V}/backupInstances/${SEG}`;

const ROUTES: { method: string; pattern: RegExp; operation: string; names: string[] }[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^${V}$`, 'i'),
    operation: 'BackupVaults_Get',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupInstances$`, 'i'),
    operation: 'BackupInstances_List',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}$`, 'i'),
    operation: 'BackupInstances_Get',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}/recoveryPoints$`, 'i'),
    operation: 'RecoveryPoints_List',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}/recoveryPoints/${SEG}$`, 'i'),
    operation: 'RecoveryPoints_Get',
    names: ['sub', 'rg', 'vault', 'bi', 'rp'],
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${BI}/validateRestore$`, 'i'),
    operation: 'BackupInstances_ValidateForRestore',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${BI}/restore$`, 'i'),
    operation: 'BackupInstances_TriggerRestore',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupJobs$`, 'i'),
    operation: 'Jobs_List',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupJobs/${SEG}$`, 'i'),
    operation: 'Jobs_Get',
    names: ['sub', 'rg', 'vault', 'job'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/providers/Microsoft\\.DataProtection/locations/${SEG}/operationStatus/${SEG}$`,
      'i',
    ),
    operation: 'OperationStatus_Get',
    names: ['sub', 'location', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/operationStatus/${SEG}$`, 'i'),
    operation: 'OperationStatusBackupVaultContext_Get',
    names: ['sub', 'rg', 'vault', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.DataProtection/operationStatus/${SEG}$`,
      'i',
    ),
    operation: 'OperationStatusResourceGroupContext_Get',
    names: ['sub', 'rg', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/providers/Microsoft\\.DataProtection/locations/${SEG}/operationResults/${SEG}$`,
      'i',
    ),
    operation: 'OperationResult_Get',
    names: ['sub', 'location', 'op'],
  },
];

function matchRoute(method: string, path: string): Match | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { operation: r.operation, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

interface Req {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  origin: string;
}

export class ArmApi {
  constructor(
    private readonly ctx: EmulatorContext,
    readonly identityHeader: string,
  ) {}

  /** Node request handler for the ARM server (ARM, identity, admin). */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const origin = `https://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', origin);
    const entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'> = {
      service: url.pathname.startsWith('/_emulator/')
        ? 'admin'
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
    this.ctx.requests.push(full);
    if (this.ctx.requests.length > MAX_LOGGED_REQUESTS)
      this.ctx.requests.splice(0, this.ctx.requests.length - MAX_LOGGED_REQUESTS);
  }

  private authFailure(headers: IncomingMessage['headers']): Reply | undefined {
    const check = this.ctx.tokens.check(headers.authorization, this.ctx.config.armAudience);
    if (check.ok) return undefined;
    return cloudError(401, check.code, check.message, {
      'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${this.ctx.config.tenantId}", error="invalid_token", error_description="${check.code}"`,
    });
  }

  private async route(
    req: Req,
    entry: Omit<RequestLogEntry, 'seq' | 'status' | 'durationMs'>,
  ): Promise<Reply | 'reset'> {
    const path = req.url.pathname;
    if (path === '/msi/token') return this.identity(req);
    const denied = this.authFailure(req.headers);
    if (denied) return denied;
    if (path.startsWith('/_emulator/')) return this.admin(req);

    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion) {
      return cloudError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
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
    if (!this.ctx.config.apiVersions.includes(apiVersion)) {
      return cloudError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.ctx.config.location}' and API version '${apiVersion}' for type 'backupVaults'. The supported api-versions are '${this.ctx.config.apiVersions.join(', ')}'.`,
      );
    }
    if (match.params.sub!.toLowerCase() !== this.ctx.config.subscriptionId.toLowerCase()) {
      return cloudError(
        404,
        'SubscriptionNotFound',
        `The subscription '${match.params.sub}' could not be found.`,
      );
    }

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
        this.operation(match, req, apiVersion);
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
    return this.operation(match, req, apiVersion);
  }

  private vault(params: Record<string, string>): VaultRuntime | Reply {
    const vault = this.ctx.vaults.get(params.vault!.toLowerCase());
    if (!vault || vault.config.resourceGroup.toLowerCase() !== params.rg!.toLowerCase()) {
      const rgKnown = [...this.ctx.vaults.values()].some(
        (v) => v.config.resourceGroup.toLowerCase() === params.rg!.toLowerCase(),
      );
      return rgKnown
        ? cloudError(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.DataProtection/backupVaults/${params.vault}' under resource group '${params.rg}' was not found.`,
          )
        : cloudError(404, 'ResourceGroupNotFound', `Resource group '${params.rg}' could not be found.`);
    }
    return vault;
  }

  private backupInstance(params: Record<string, string>): BackupInstanceRuntime | Reply {
    const vault = this.vault(params);
    if ('status' in vault) return vault;
    const bi = vault.instances.get(params.bi!.toLowerCase());
    return (
      bi ??
      cloudError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.DataProtection/backupVaults/${params.vault}/backupInstances/${params.bi}' under resource group '${params.rg}' was not found.`,
      )
    );
  }

  private page<T>(req: Req, items: T[], pageSize: number): { value: T[]; nextLink?: string } {
    const skip =
      Number(
        req.url.searchParams.get('$skipToken')
          ? Buffer.from(req.url.searchParams.get('$skipToken')!, 'base64url').toString()
          : '0',
      ) || 0;
    const value = items.slice(skip, skip + pageSize);
    if (skip + pageSize >= items.length) return { value };
    const next = new URL(req.url.href);
    next.searchParams.set('$skipToken', Buffer.from(String(skip + pageSize)).toString('base64url'));
    return { value, nextLink: `${req.origin}${next.pathname}${next.search}` };
  }

  private operation(match: Match, req: Req, apiVersion: string): Reply {
    const p = match.params;
    switch (match.operation) {
      case 'BackupVaults_Get': {
        const v = this.vault(p);
        return 'status' in v ? v : { status: 200, body: renderVault(v, this.ctx.config.tenantId) };
      }
      case 'BackupInstances_List': {
        const v = this.vault(p);
        if ('status' in v) return v;
        return {
          status: 200,
          body: this.page(
            req,
            [...v.instances.values()].map(renderBackupInstance),
            this.ctx.config.recoveryPointsPageSize,
          ),
        };
      }
      case 'BackupInstances_Get': {
        const bi = this.backupInstance(p);
        return 'status' in bi ? bi : { status: 200, body: renderBackupInstance(bi) };
      }
      case 'RecoveryPoints_List': {
        const bi = this.backupInstance(p);
        if ('status' in bi) return bi;
        const filter = parseRecoveryPointFilter(req.url.searchParams.get('$filter'));
        if ('error' in filter) return cloudError(400, 'BMSUserErrorInvalidFilter', filter.error);
        const points = bi.points
          .filter(
            (rp) => (!filter.start || rp.time >= filter.start) && (!filter.end || rp.time <= filter.end),
          )
          .sort((a, b) => b.time.getTime() - a.time.getTime())
          .map((rp) => renderRecoveryPoint(bi, rp));
        return { status: 200, body: this.page(req, points, this.ctx.config.recoveryPointsPageSize) };
      }
      case 'RecoveryPoints_Get': {
        const bi = this.backupInstance(p);
        if ('status' in bi) return bi;
        const rp = bi.points.find((x) => x.id === p.rp);
        return rp
          ? { status: 200, body: renderRecoveryPoint(bi, rp) }
          : cloudError(
              404,
              'ResourceNotFound',
              `Recovery point '${p.rp}' was not found for backup instance '${bi.name}'.`,
            );
      }
      case 'BackupInstances_ValidateForRestore':
      case 'BackupInstances_TriggerRestore':
        return this.startOperation(match, req, apiVersion);
      case 'OperationStatus_Get':
      case 'OperationStatusBackupVaultContext_Get':
      case 'OperationStatusResourceGroupContext_Get': {
        const op = this.ctx.operations.get(p.op!);
        if (!op) return cloudError(404, 'ResourceNotFound', `Operation '${p.op}' was not found.`);
        return {
          status: 200,
          body: this.operationResource(op, decodeURIComponent(req.url.pathname)),
          ...(this.running(op) ? { headers: { 'Retry-After': String(op.retryAfterSeconds) } } : {}),
        };
      }
      case 'OperationResult_Get': {
        const op = this.ctx.operations.get(p.op!);
        if (!op) return cloudError(404, 'ResourceNotFound', `Operation '${p.op}' was not found.`);
        if (this.running(op)) return { status: 202, headers: this.pollHeaders(req.origin, op, apiVersion) };
        if (op.result!.ok) {
          return {
            status: 200,
            body: {
              objectType: 'OperationJobExtendedInfo',
              ...(op.result!.jobId ? { jobId: `${op.vault.armId}/backupJobs/${op.result!.jobId}` } : {}),
            },
          };
        }
        return { status: 400, body: { error: op.result!.error } };
      }
      case 'Jobs_List': {
        const v = this.vault(p);
        if ('status' in v) return v;
        const now = Date.now();
        const jobs = [...this.ctx.jobs.values()]
          .filter((j) => j.vault === v)
          .sort((a, b) => b.startTime.getTime() - a.startTime.getTime())
          .map((j) => renderJob(j, this.ctx.config.subscriptionId, now));
        return { status: 200, body: this.page(req, jobs, this.ctx.config.jobsPageSize) };
      }
      case 'Jobs_Get': {
        const v = this.vault(p);
        if ('status' in v) return v;
        const job = this.ctx.jobs.get(p.job!.toLowerCase());
        return job && job.vault === v
          ? { status: 200, body: renderJob(job, this.ctx.config.subscriptionId, Date.now()) }
          : cloudError(404, 'ResourceNotFound', `The job '${p.job}' was not found in vault '${v.name}'.`);
      }
      default:
        return cloudError(404, 'InvalidResourceType', `Unknown operation ${match.operation}.`);
    }
  }

  private running(op: OperationRuntime): boolean {
    return !op.result || Date.now() < op.readyAt;
  }

  private pollHeaders(origin: string, op: OperationRuntime, apiVersion: string): Record<string, string> {
    const base = `${origin}/subscriptions/${this.ctx.config.subscriptionId}/providers/Microsoft.DataProtection/locations/${op.vault.config.location}`;
    return {
      'Azure-AsyncOperation': `${base}/operationStatus/${encodeURIComponent(op.id)}?api-version=${apiVersion}`,
      Location: `${base}/operationResults/${encodeURIComponent(op.id)}?api-version=${apiVersion}`,
      'Retry-After': String(op.retryAfterSeconds),
    };
  }

  private operationResource(op: OperationRuntime, path: string): Record<string, unknown> {
    const running = this.running(op);
    const result = op.result;
    return {
      id: path,
      name: op.id,
      status: running ? 'Inprogress' : result!.ok ? 'Succeeded' : 'Failed',
      startTime: op.startTime.toISOString(),
      endTime: running
        ? RUNNING_END_TIME
        : new Date(Math.max(op.readyAt, op.startTime.getTime())).toISOString(),
      ...(!running && !result!.ok ? { error: result!.error } : {}),
      ...(!running && result!.ok && result!.jobId
        ? {
            properties: {
              objectType: 'OperationJobExtendedInfo',
              jobId: `${op.vault.armId}/backupJobs/${result!.jobId}`,
            },
          }
        : {}),
    };
  }

  private startOperation(match: Match, req: Req, apiVersion: string): Reply {
    const bi = this.backupInstance(match.params);
    if ('status' in bi) return bi;
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body);
    } catch (err) {
      return cloudError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: ${(err as Error).message}`,
      );
    }
    const validate = match.operation === 'BackupInstances_ValidateForRestore';
    const check = checkAgainstSwagger(
      validate ? 'ValidateRestoreRequestObject' : 'AzureBackupRestoreRequest',
      parsed,
      'request',
    );
    if (!check.valid) {
      return cloudError(
        400,
        'BadRequest',
        `The request body does not match the ${validate ? 'ValidateRestoreRequestObject' : 'AzureBackupRestoreRequest'} contract: ${check.errors.slice(0, 5).join('; ')}`,
      );
    }
    const body = (
      validate ? (parsed as { restoreRequestObject: unknown }).restoreRequestObject : parsed
    ) as RestoreRequestBody;
    if (body.objectType === 'AzureBackupRecoveryTimeBasedRestoreRequest') {
      return cloudError(
        400,
        'BadRequest',
        'Point-in-time restore (AzureBackupRecoveryTimeBasedRestoreRequest) is not supported for PostgreSQL backups; use a recovery point.',
      );
    }
    const timing = validate ? this.ctx.config.timings.validate : this.ctx.config.timings.restoreOperation;
    const op: OperationRuntime = {
      id: newOperationId(),
      kind: validate ? 'validate' : 'restore',
      vault: bi.vault,
      startTime: new Date(),
      readyAt: Date.now() + timing.durationSeconds * 1000,
      retryAfterSeconds: timing.retryAfterSeconds,
    };
    this.ctx.operations.set(op.id, op);
    void track(
      this.ctx,
      validateRestore(this.ctx, bi, body, match.operation).then(
        (v) => {
          if (!v.ok) op.result = v;
          else
            op.result = validate
              ? { ok: true }
              : { ok: true, jobId: startRestoreJob(this.ctx, bi, v.plan).id };
        },
        (err: unknown) => {
          op.result = {
            ok: false,
            error: { code: 'InternalError', message: `emulator: ${(err as Error).message}` },
          };
        },
      ),
    );
    return { status: 202, headers: this.pollHeaders(req.origin, op, apiVersion) };
  }

  // ---- managed identity (App Service protocol, api-version 2019-08-01) ----

  private identity(req: Req): Reply {
    if (req.headers['x-identity-header'] !== this.identityHeader) {
      return {
        status: 401,
        body: { statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or wrong.' },
      };
    }
    const resource = req.url.searchParams.get('resource');
    const known = [this.ctx.config.armAudience, this.ctx.config.keyVaultAudience].map((a) =>
      a.replace(/\/+$/, ''),
    );
    if (!resource || !known.includes(resource.replace(/\/+$/, ''))) {
      return {
        status: 400,
        body: {
          statusCode: 400,
          message: `Unknown resource '${resource}'. This identity endpoint issues tokens for: ${known.join(', ')}.`,
        },
      };
    }
    const clientId = req.url.searchParams.get('client_id') ?? undefined;
    const t = this.ctx.tokens.issue(resource, clientId);
    return {
      status: 200,
      body: {
        access_token: t.token,
        expires_on: String(Math.floor(t.expiresAt / 1000)),
        resource,
        token_type: 'Bearer',
        client_id: clientId ?? '00000000-0000-0000-0000-00000000e0e0',
      },
    };
  }

  // ---- admin routes ----

  private async admin(req: Req): Promise<Reply> {
    const path = req.url.pathname;
    const ctx = this.ctx;
    const json = (): unknown => (req.body.trim() ? JSON.parse(req.body) : {});
    try {
      if (req.method === 'GET' && path === '/_emulator/resources')
        return { status: 200, body: this.resources() };
      if (req.method === 'GET' && path === '/_emulator/requests') {
        const since = Number(req.url.searchParams.get('since') ?? '0');
        const bodies = req.url.searchParams.get('bodies') === 'true';
        const list = ctx.requests
          .filter((r) => r.seq > since)
          .map((r) => (bodies ? r : { ...r, responseBody: undefined }));
        return { status: 200, body: { requests: list } };
      }
      if (req.method === 'GET' && path === '/_emulator/jobs') {
        const now = Date.now();
        return {
          status: 200,
          body: {
            jobs: [...ctx.jobs.values()].map((j) => ({
              ...renderJob(j, ctx.config.subscriptionId, now),
              emulator: {
                restoredDatabase: j.restoredDatabase,
                restoredBlobs: j.restoredBlobs,
                recoveryDestination: j.recoveryDestination,
              },
            })),
          },
        };
      }
      if (req.method === 'POST' && path === '/_emulator/reset') {
        ctx.requests.length = 0;
        ctx.faults.clear();
        ctx.operations.clear();
        for (const [id, j] of ctx.jobs)
          if (j.operation === 'Restore' && j.status !== 'InProgress') ctx.jobs.delete(id);
        return { status: 200, body: { reset: true } };
      }
      if (req.method === 'POST' && path === '/_emulator/backup') {
        const input = json() as { backupInstanceId?: string; archived?: boolean };
        const bi = this.findBackupInstance(input.backupInstanceId);
        if (!bi)
          return cloudError(
            404,
            'ResourceNotFound',
            `backupInstanceId "${input.backupInstanceId}" is not a backup instance of this emulator.`,
          );
        const rp = await track(ctx, takeBackup(ctx, bi, { archived: input.archived === true }));
        return { status: 201, body: renderRecoveryPoint(bi, rp) };
      }
      if (path === '/_emulator/faults') {
        if (req.method === 'GET') return { status: 200, body: { faults: ctx.faults.list() } };
        if (req.method === 'DELETE') {
          ctx.faults.clear();
          return { status: 200, body: { faults: [] } };
        }
        if (req.method === 'POST') {
          const input = json();
          const rules = (Array.isArray(input) ? input : [input]).map((r) => ctx.faults.add(parseFault(r)));
          return { status: 201, body: { faults: rules } };
        }
      }
      if (req.method === 'POST' && path === '/_emulator/tokens/expire') {
        ctx.tokens.expireAll();
        return { status: 200, body: { expired: true } };
      }
    } catch (err) {
      return cloudError(400, 'BadRequest', (err as Error).message);
    }
    return cloudError(404, 'NotFound', `No admin route ${req.method} ${path}. See emulator/README.md.`);
  }

  private findBackupInstance(id: string | undefined): BackupInstanceRuntime | undefined {
    if (!id) return undefined;
    for (const v of this.ctx.vaults.values())
      for (const bi of v.instances.values()) if (bi.armId.toLowerCase() === id.toLowerCase()) return bi;
    return undefined;
  }

  resources(): Record<string, unknown> {
    const ctx = this.ctx;
    return {
      subscriptionId: ctx.config.subscriptionId,
      vaults: [...ctx.vaults.values()].map((v) => ({
        id: v.armId,
        name: v.name,
        location: v.config.location,
        backupInstances: [...v.instances.values()].map((bi) => ({
          id: bi.armId,
          name: bi.name,
          kind: bi.kind,
          datasourceId: bi.datasourceId,
          server: bi.server.config.name,
          databases: bi.databases,
          recoveryPoints: bi.points.map((p) => ({
            id: p.id,
            time: p.time.toISOString(),
            stores: p.stores.map((s) => s.type),
          })),
        })),
      })),
      servers: [...ctx.servers.values()].map((s) => ({
        name: s.config.name,
        kind: s.config.kind,
        id: s.armId,
        host: s.admin.host,
        port: s.admin.port,
        adminUser: s.admin.user,
        managed: !!s.cluster,
        majorVersion: s.realMajor,
        reportedMajorVersion: s.reportedMajor,
      })),
      storage: {
        blobEndpoint: ctx.blobs.blobEndpoint,
        vaultContainer: ctx.config.storage.vaultContainer,
        containers: ctx.config.storage.containers.map((c) => ({
          name: c,
          url: `${ctx.blobs.blobEndpoint.replace(/\/+$/, '')}/${c}`,
        })),
      },
      keyVaults: [...ctx.secrets.entries()].map(([name, secrets]) => ({
        name,
        url: `https://${name}.vault.azure.net`,
        secrets: [...secrets.keys()].map((s) => ({
          name: s,
          uri: `https://${name}.vault.azure.net/secrets/${s}`,
        })),
      })),
    };
  }
}

/** startDate eq '...' and endDate eq '...' (either may be absent), as az CLI sends the recovery point filter. */
export function parseRecoveryPointFilter(
  filter: string | null,
): { start?: Date; end?: Date } | { error: string } {
  if (!filter || !filter.trim()) return {};
  const out: { start?: Date; end?: Date } = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^\s*(startDate|endDate)\s+eq\s+'([^']+)'\s*$/i.exec(clause);
    if (!m)
      return {
        error: `Invalid $filter clause "${clause.trim()}": expected startDate eq '<time>' and/or endDate eq '<time>'.`,
      };
    const t = new Date(m[2]!);
    if (Number.isNaN(t.getTime())) return { error: `Invalid time '${m[2]}' in $filter.` };
    if (m[1]!.toLowerCase() === 'startdate') out.start = t;
    else out.end = t;
  }
  return out;
}
