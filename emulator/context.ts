/** Everything the emulator's routes and jobs share. */
import type { EmulatorConfig } from './config';
import type { FaultBook } from './faults';
import type { ArmThrottle } from './throttle';
import type { JobRuntime, OperationRuntime, ServerRuntime, VaultRuntime } from './model';
import type { PgTools } from './postgres';
import type { BlobStore } from './storage';
import type { TokenStore } from './tokens';

export interface RequestLogEntry {
  seq: number;
  service: 'arm' | 'identity' | 'keyvault' | 'admin';
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
  faults: FaultBook;
  /** ARM's per-subscription throttling (config throttling). */
  throttle: ArmThrottle;
  /** RBAC actions taken away from the drill's identity (POST /_emulator/permissions/revoke): ARM answers 403. */
  revoked: Set<string>;
  tokens: TokenStore;
  requests: RequestLogEntry[];
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
