/**
 * What each activity takes and returns: small plain JSON with no secrets. The activities in this folder are
 * typed with these, and orchestrators call them through a helper typed by the activity's name
 * (src/orchestrators/helpers.ts), so a wrong input or result does not compile.
 */
import type { CrossRegion, CrossRegionFacts } from '../lib/dataprotection/crossRegion';
import type { PollState } from '../lib/dataprotection/pollState';
import type { RestoreRequest } from '../lib/types/generated/dataprotection';
import type { LoadTarget, Verification } from '../lib/types/generated/drill-request';
import type { CheckResult, DrillReport, SchemaFingerprint } from '../lib/types/generated/drill-report';
import type { FailureInfo } from '../lib/errors';
import type { CleanupAction, CreatedResource, ResourceCleanup, VerifyTarget } from '../lib/drill/resources';
import type { Selection, SelectionPolicy } from '../lib/drill/selection';
import type { DrillSettings } from '../lib/drill/settings';

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

/** A cross-region drill's vault and target, read before anything is restored (restoreFrom: secondaryRegion). */
export interface ResolveCrossRegionInput {
  vaultId: string;
  /** Database target: the server whose location must be the paired region. */
  targetServerId?: string;
}
export type ResolveCrossRegionOutput = CrossRegionFacts;

/**
 * `crossRegion` (cross-region drills only; absent in every other drill's history): the operation runs in the
 * paired region through the location-scoped cross-region API.
 */
interface CrossRegionInput {
  crossRegion?: CrossRegion;
}

export interface SelectInput extends CrossRegionInput {
  backupInstanceId: string;
  policy: SelectionPolicy;
  drillStart: string;
  seed: string;
}
/** The choice; for a cross-region drill also the newest point on each side (replication lag, regional RPO). */
export type SelectOutput = Selection & {
  regional?: {
    newestSecondaryTime?: string;
    /** Absent when the primary region's list could not be read (a drill of a regional outage). */
    newestPrimaryTime?: string;
  };
};

export interface StartValidateInput extends CrossRegionInput {
  backupInstanceId: string;
  body: RestoreRequest;
}

export interface TriggerInput extends CrossRegionInput {
  /** The drill whose restore this is (its earlier attempts are looked up by it). */
  drillId: string;
  backupInstanceId: string;
  vaultId: string;
  body: RestoreRequest;
  /** Restores started before this are not ours (no-double-restore lookup). */
  notBefore: string;
  /** Where the restore writes: the target database ARM id, or the container URL + file prefix. */
  destination: string;
}
export type TriggerOutput =
  | {
      state: PollState;
      /** True when an earlier attempt's restore was found and reused instead of starting another. */
      reused: boolean;
    }
  /**
   * An earlier attempt posted a restore that may still be accepted (it crashed or lost its answer): nothing was
   * posted; call again after this time, when that restore is either visible or can no longer appear.
   * `lastError` is how that attempt failed, when it did.
   */
  | { settleUntil: string; lastError?: FailureInfo };

/** This drill's restore job, or none yet (and until when an earlier POST may still create one). */
export interface FoundRestoreJob {
  job: JobSummary | null;
  settleUntil?: string;
}

export interface PollInput {
  state: PollState;
}

/** This drill's restore job, looked up by what only it restores (for cleanup after a failure). */
export type FindRestoreJobInput = Omit<TriggerInput, 'body'> & { recoveryPointId: string };

/** The jobs a vault's watcher waits for (startTime: from the drill's first poll, bounds the list). */
export interface EndedJobsInput extends CrossRegionInput {
  vaultId: string;
  jobs: { jobId: string; startTime?: string }[];
}
export interface EndedJobsOutput {
  ended: JobSummary[];
}
/** A drill's job, for its vault's watcher (src/lib/drill/jobWatch.ts). */
export interface WatchJobInput extends CrossRegionInput {
  vaultId: string;
  /** The instance to tell (the drill's job monitor). */
  instanceId: string;
  jobId: string;
  startTime?: string;
  /** The drill's deadline (the watcher forgets the drill after it). */
  until?: string;
  settings: DrillSettings;
}
export interface WatchJobOutput {
  watcherId: string;
  /** The watcher listed its vault recently (or just started): the drill may keep waiting for its word. */
  healthy: boolean;
}
export interface JobEndedNotice {
  instanceId: string;
  job: JobSummary;
}
export interface GetJobInput extends CrossRegionInput {
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
  /** Where the job restored to: the target database's ARM id, or (restore as files) the container URL. */
  recoveryDestination?: string;
  /** Restore as files: the prefix of the files written (real jobs name no files, only the prefix). */
  filePrefix?: string;
  /** Bytes the job moved, as its completed sub-task reports them (a string in real traffic). */
  dataTransferredBytes?: number;
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

export interface VerifyInput {
  targets: VerifyTarget[];
  /** The drill's read-only login to create on each server (recorded as created by the orchestrator). */
  role: string;
  spec: Verification;
  recoveryPointTime: string;
  dumpServerVersion?: string;
  /**
   * verify.schemaDrift other than off: fingerprint each database and compare it with the newest earlier drill of
   * the same backup instance that recorded one (read from the report history).
   */
  schemaDrift?: { mode: 'report' | 'fail'; backupInstanceId: string; drillId: string; startedAt: string };
  /** verify.negativeControl: the empty scratch database to run the checks on (recorded before by the drill). */
  negativeControl?: VerifyTarget;
}
export interface VerifyResult {
  checks: CheckResult[];
  /** The schema fingerprint of each database checked (with schemaDrift). */
  fingerprints: SchemaFingerprint[];
}
/** A VerifyResult; a plain list of check lines in the histories of drills started before schema fingerprints. */
export type VerifyOutput = VerifyResult | CheckResult[];

export interface CleanupInput {
  drillId: string;
  resources: CreatedResource[];
}
/** One entry per resource of the input, in order. */
export type CleanupOutput = ResourceCleanup[];
export interface SaveReportInput {
  report: DrillReport;
}
export interface SaveReportOutput {
  table: string;
  blobUrl: string;
  htmlUrl: string;
  /** The saved report's evidence (hash and chain link); absent where a store keeps none. */
  evidence?: NonNullable<DrillReport['evidence']>;
}

export type { CleanupAction, CreatedResource, ResourceCleanup, VerifyTarget };
