/** Everything the emulator's routes and jobs share. */
import type { SinkBook } from './sinks';
import type { CrossRegionState } from './crossRegion';
import type { EmulatorConfig } from './config';
import type { FaultBook } from './faults';
import type { ArmThrottle } from './throttle';
import type { JobRuntime, OperationRuntime, ServerRuntime, VaultRuntime } from './model';
import type { PgTools } from './postgres';
import type { BlobStore } from './storage';
import type { TokenStore } from './tokens';

export interface RequestLogEntry {
  seq: number;
  service: 'arm' | 'identity' | 'keyvault' | 'admin' | 'sink';
  method: string;
  path: string;
  query: string;
  status: number;
  operation?: string;
  time: string;
  durationMs: number;
  tokenPresent: boolean;
  fault?: string;
  /** The JSON body sent back, for contract checks (kept for the first MAX_LOGGED_BODIES entries). */
  responseBody?: unknown;
}

/** How many requests each server answered, by service, operation and status: exact, however long the run. */
export interface RequestCounts {
  total: number;
  /** Entries trimmed from the front of the log (it keeps the newest MAX_LOGGED_REQUESTS). */
  dropped: number;
  byService: Record<string, number>;
  byOperation: Record<string, number>;
  byStatus: Record<string, number>;
}

/** The log keeps this many entries (the newest); the counts keep counting. */
export const MAX_LOGGED_REQUESTS = 20_000;

export function emptyRequestCounts(): RequestCounts {
  return { total: 0, dropped: 0, byService: {}, byOperation: {}, byStatus: {} };
}

/** Logs a request and counts it; the log drops its oldest entries past `limit`, the counts never do. */
export function recordRequest(
  ctx: Pick<EmulatorContext, 'requests' | 'requestCounts'>,
  entry: RequestLogEntry,
  limit = MAX_LOGGED_REQUESTS,
): void {
  const c = ctx.requestCounts;
  c.total++;
  c.byService[entry.service] = (c.byService[entry.service] ?? 0) + 1;
  const op = `${entry.service} ${entry.operation ?? entry.method}`;
  c.byOperation[op] = (c.byOperation[op] ?? 0) + 1;
  c.byStatus[String(entry.status)] = (c.byStatus[String(entry.status)] ?? 0) + 1;
  ctx.requests.push(entry);
  if (ctx.requests.length > limit) {
    const extra = ctx.requests.length - limit;
    ctx.requests.splice(0, extra);
    c.dropped += extra;
  }
}

export interface EmulatorContext {
  config: EmulatorConfig;
  tools: PgTools;
  blobs: BlobStore;
  servers: Map<string, ServerRuntime>;
  /** By lower-case vault name. */
  vaults: Map<string, VaultRuntime>;
  /** Key Vault name -> secret name -> value. */
  secrets: Map<string, Map<string, string>>;
  operations: Map<string, OperationRuntime>;
  jobs: Map<string, JobRuntime>;
  /** The secondary regions' cross-region restore operations and jobs (emulator/crossRegion.ts). */
  crossRegion: CrossRegionState;
  faults: FaultBook;
  /** ARM's per-subscription throttling (config throttling). */
  throttle: ArmThrottle;
  /** RBAC actions taken away from the drill's identity (POST /_emulator/permissions/revoke): ARM answers 403. */
  revoked: Set<string>;
  /**
   * RBAC actions (lower case) the drill's identity holds only at or below one scope (POST /_emulator/permissions
   * with exceptAt): a role assigned too low, e.g. on the vault's resource group for the subscription-scoped
   * operation status URLs. Calls elsewhere get 403, and permission reads above that scope leave the action out.
   */
  grantedOnlyAt: Map<string, string>;
  /** Vaults (lower-case names) whose identity lost its blob data role (POST /_emulator/vaultBlobRole). */
  vaultBlobRoleRemoved: Set<string>;
  /** Key Vault secrets ("vault/name", lower case) the app may not read: 403 (POST /_emulator/keyvault/forbid). */
  forbiddenSecrets: Set<string>;
  tokens: TokenStore;
  /** What the webhook, Event Grid and Application Insights sinks received (emulator/sinks.ts). */
  sinks: SinkBook;
  requests: RequestLogEntry[];
  requestCounts: RequestCounts;
  /** Background work (restore jobs, operations) still running; awaited on shutdown. */
  pending: Set<Promise<unknown>>;
  /** Sequence numbers of the request log, shared by every server. */
  nextSeq(): number;
  log(message: string, fields?: Record<string, unknown>): void;
}

export function track<T>(ctx: EmulatorContext, work: Promise<T>): Promise<T> {
  ctx.pending.add(work);
  const done = (): void => {
    ctx.pending.delete(work);
  };
  work.then(done, done);
  return work;
}
