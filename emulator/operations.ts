/**
 * The Data Protection operations the emulator carries out once a request is authenticated, routed and past
 * the fault rules (arm.ts): reads of vaults, backup instances and recovery points (paged with nextLink),
 * validate and restore as asynchronous operations (Azure-AsyncOperation, Location, Retry-After) backed by real
 * restores (restore.ts), and backup jobs.
 */
import type { IncomingMessage } from 'node:http';
import { track, type EmulatorContext } from './context';
import { runCrossRegion } from './crossRegion';
import { cloudError, type Reply } from './http';
import {
  newOperationId,
  renderBackupInstance,
  renderJob,
  renderRecoveryPoint,
  renderServer,
  renderVault,
  type BackupInstanceRuntime,
  type OperationRuntime,
  type VaultRuntime,
} from './model';
import { startRestoreJob, validateRestore, type RestoreRequestBody } from './restore';
import { parseRecoveryPointFilter, type Match } from './routes';
import { checkAgainstSwagger } from './swagger';

const RUNNING_END_TIME = '0001-01-01T00:00:00Z';

export interface ArmRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
  origin: string;
}

export class DataProtectionOperations {
  constructor(private readonly ctx: EmulatorContext) {}

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

  /** A resource group some vault or server of the emulator lives in. */
  private resourceGroupKnown(rg: string): boolean {
    const groups = [
      ...[...this.ctx.vaults.values()].map((v) => v.config.resourceGroup),
      ...[...this.ctx.servers.values()].map((s) => s.config.resourceGroup),
    ];
    return groups.some((g) => g.toLowerCase() === rg.toLowerCase());
  }

  private page<T>(req: ArmRequest, items: T[], pageSize: number): { value: T[]; nextLink?: string } {
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

  /** Carries out one matched ARM operation. */
  run(match: Match, req: ArmRequest, apiVersion: string): Reply {
    // Cross-region restore operations, and polls of their operations, are the secondary region's.
    const crossRegion = runCrossRegion(this.ctx, match, req, apiVersion);
    if (crossRegion) return crossRegion;
    const p = match.params;
    switch (match.operation) {
      case 'BackupVaults_Get': {
        const v = this.vault(p);
        return 'status' in v ? v : { status: 200, body: renderVault(v, this.ctx.config.tenantId) };
      }
      case 'BackupVaults_GetInSubscription':
      case 'BackupVaults_GetInResourceGroup': {
        const vaults = [...this.ctx.vaults.values()].filter(
          (v) => !p.rg || v.config.resourceGroup.toLowerCase() === p.rg.toLowerCase(),
        );
        if (p.rg && vaults.length === 0 && !this.resourceGroupKnown(p.rg))
          return cloudError(404, 'ResourceGroupNotFound', `Resource group '${p.rg}' could not be found.`);
        return {
          status: 200,
          body: this.page(
            req,
            vaults.map((v) => renderVault(v, this.ctx.config.tenantId)),
            this.ctx.config.recoveryPointsPageSize,
          ),
        };
      }
      case 'Servers_Get':
      case 'FlexibleServers_Get': {
        const kind = match.operation === 'Servers_Get' ? 'single' : 'flexible';
        const server = [...this.ctx.servers.values()].find(
          (s) =>
            s.config.name.toLowerCase() === p.server!.toLowerCase() &&
            s.config.kind === kind &&
            s.config.resourceGroup.toLowerCase() === p.rg!.toLowerCase(),
        );
        if (!server)
          return cloudError(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.DBforPostgreSQL/${kind === 'single' ? 'servers' : 'flexibleServers'}/${p.server}' under resource group '${p.rg}' was not found.`,
          );
        return { status: 200, body: renderServer(server) };
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

  private startOperation(match: Match, req: ArmRequest, apiVersion: string): Reply {
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
    // Against the contract of the api-version the request names: 2021-07-01 knows no sourceResourceId.
    const check = checkAgainstSwagger(
      validate ? 'ValidateRestoreRequestObject' : 'AzureBackupRestoreRequest',
      parsed,
      'request',
      apiVersion,
    );
    if (!check.valid) {
      return cloudError(
        400,
        'BadRequest',
        `The request body does not match the ${validate ? 'ValidateRestoreRequestObject' : 'AzureBackupRestoreRequest'} contract of api-version ${apiVersion}: ${check.errors.slice(0, 5).join('; ')}`,
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
}
