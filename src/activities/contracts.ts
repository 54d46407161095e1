/**
 * What each activity takes and returns. Orchestrators import these types only (never the implementations):
 * the inputs and outputs are small plain JSON with no secrets, and every expected failure comes back as
 * { ok: false, error } with a stable code.
 */
import type { PollState } from '../lib/dataprotection/pollState';
import type { RestoreRequest } from '../lib/types/generated/dataprotection';
import type { LoadTarget, Verification } from '../lib/types/generated/drill-request';
import type { CheckResult } from '../lib/types/generated/drill-report';
import type { DrillReport } from '../lib/types/generated/drill-report';
import type { FailureInfo } from '../lib/drill/failure';
import type { Selection, SelectionPolicy } from '../lib/drill/selection';

export interface ResolveInput {
  backupInstanceId: string;
}
export interface ResolvedInstance {
  backupInstanceId: string;
  vaultId: string;
  datasourceId: string;
  datasourceKind: 'singleServerDatabase' | 'flexibleServer';
  protectionStatus?: string;
  /** The vault's region (restoreLocation default). */
  location?: string;
}

export interface SelectInput {
  backupInstanceId: string;
  policy: SelectionPolicy;
  drillStart: string;
  seed: string;
}
export type SelectOutput = Selection;

export interface StartValidateInput {
  backupInstanceId: string;
  body: RestoreRequest;
}

export interface TriggerInput {
  backupInstanceId: string;
  vaultId: string;
  body: RestoreRequest;
  /** Restores started before this are not ours (no-double-restore lookup). */
  notBefore: string;
  /** Where the restore writes: the target database ARM id, or the container URL + file prefix. */
  destination: string;
}
export interface TriggerOutput {
  state: PollState;
  /** True when an earlier attempt's restore was found and reused instead of starting another. */
  reused: boolean;
}

export interface PollInput {
  state: PollState;
}

export interface GetJobInput {
  vaultId: string;
  jobId: string;
}
export interface JobSummary {
  id: string;
  status: string;
  terminal: boolean;
  succeeded: boolean;
  startTime?: string;
  endTime?: string;
  duration?: string;
  durationSeconds?: number;
  progress?: string;
  error?: FailureInfo;
}

export interface ListFilesInput {
  containerUrl: string;
  filePrefix: string;
}
export interface RestoredFile {
  name: string;
  bytes: number;
  /** Source database, from the dump header (or the blob metadata). */
  database: string;
  /** Major version of the server the dump came from, from its header. */
  dumpServerVersion?: string;
}

export interface LoadInput {
  containerUrl: string;
  file: RestoredFile;
  load: LoadTarget;
  scratchDatabase: string;
}
export interface LoadOutput {
  database: string;
  scratchDatabase: string;
  dumpVersion: string;
  serverVersion: string;
  seconds: number;
}

/** One database to verify and how to reach it. */
export interface VerifyTarget {
  /** Source database name (matches the spec's optional "database"). */
  database: string;
  /** The database to connect to (the restored or scratch database). */
  connectDatabase: string;
  /** Key Vault secret URI of a connection string; its Server/Port are used unless host/port are given. */
  secretUri: string;
  host?: string;
  port?: number;
  sslMode?: string;
}
export interface VerifyInput {
  targets: VerifyTarget[];
  spec: Verification;
  recoveryPointTime: string;
  dumpServerVersion?: string;
}
export type VerifyOutput = CheckResult[];

export type CreatedResource =
  | { kind: 'database'; name: string; serverId: string; secretUri: string }
  | {
      kind: 'scratchDatabase';
      name: string;
      host: string;
      port: number;
      adminDatabase: string;
      secretUri: string;
      sslMode?: string;
    }
  | { kind: 'blobs'; containerUrl: string; prefix: string; names: string[] };

export interface CleanupInput {
  drillId: string;
  resources: CreatedResource[];
}
export interface CleanupAction {
  resource: string;
  action: string;
  status: 'done' | 'absent' | 'failed' | 'refused';
  message?: string;
}

export interface SaveReportInput {
  report: DrillReport;
}
export interface SaveReportOutput {
  table: string;
  blobUrl: string;
  htmlUrl: string;
}
