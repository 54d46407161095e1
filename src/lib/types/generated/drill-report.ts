/* Generated from schemas/drill-report.schema.json by scripts/gen-types.mjs. Do not edit. */

export type RecoveryPointPolicy = {
  /**
   * latest; id (with id); latestBefore (with before); randomWithinWindow (with windowDays, drawn deterministically from the drill id); oldest.
   */
  policy: 'latest' | 'id' | 'latestBefore' | 'randomWithinWindow' | 'oldest';
  id?: string;
  before?: string;
  windowDays?: number;
  /**
   * Which points qualify: preferVault (vault copies first, archive only if nothing else), VaultStore only, ArchiveStore only (archived points are restored with rehydration), any.
   */
  dataStore?: 'preferVault' | 'VaultStore' | 'ArchiveStore' | 'any';
};
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "RecoveryPointPolicy".
 */
export type RecoveryPointPolicy1 = {
  /**
   * latest; id (with id); latestBefore (with before); randomWithinWindow (with windowDays, drawn deterministically from the drill id); oldest.
   */
  policy: 'latest' | 'id' | 'latestBefore' | 'randomWithinWindow' | 'oldest';
  id?: string;
  before?: string;
  windowDays?: number;
  /**
   * Which points qualify: preferVault (vault copies first, archive only if nothing else), VaultStore only, ArchiveStore only (archived points are restored with rehydration), any.
   */
  dataStore?: 'preferVault' | 'VaultStore' | 'ArchiveStore' | 'any';
};

/**
 * The record of one restore drill: what was restored, how long each phase took, RTO and RPO, what verification found, what cleanup did, and the verdict. It never contains secrets.
 */
export interface DrillReport {
  schemaVersion: 1;
  drillId: string;
  label?: string;
  trigger?: {
    kind: 'http' | 'queue' | 'timer' | 'cli' | 'test';
    plan?: string;
    slot?: string;
  };
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  request: DrillRequest;
  datasource?: {
    kind: 'singleServerDatabase' | 'flexibleServer';
    id: string;
    protectionStatus?: string;
  };
  recoveryPoint?: {
    id: string;
    time: string;
    dataStore: 'VaultStore' | 'ArchiveStore';
    policy?: string;
    candidates?: number;
  };
  phases: PhaseRecord[];
  job?: {
    id: string;
    status: string;
    /**
     * As Azure reports it (TimeSpan or ISO 8601).
     */
    azureDuration?: string;
    azureDurationSeconds?: number;
    startTime?: string;
    endTime?: string;
    polls?: number;
  };
  /**
   * Restore trigger to data verified.
   */
  rtoSeconds?: number;
  /**
   * Drill start minus recovery point time.
   */
  rpoSeconds?: number;
  objectives?: {
    rto?: Objective;
    rpo?: Objective;
  };
  restored?: {
    database?: {
      serverId: string;
      name: string;
    };
    files?: {
      name: string;
      database?: string;
      bytes?: number;
    }[];
    loaded?: {
      database: string;
      scratchDatabase: string;
      dumpVersion?: string;
      serverVersion?: string;
      seconds?: number;
    }[];
  };
  verification: CheckResult[];
  cleanup: {
    policy: string;
    status: 'done' | 'partial' | 'failed' | 'skipped' | 'deferred' | 'nothing';
    keepUntil?: string;
    actions: {
      resource: string;
      action: string;
      status: 'done' | 'absent' | 'failed' | 'refused';
      message?: string;
    }[];
  };
  verdict: 'passed' | 'failed' | 'cancelled';
  failure?: {
    phase: string;
    code: string;
    message: string;
    recommendedActions?: string[];
    isUserError?: boolean;
    isRetryable?: boolean;
  };
  stats?: {
    activityCalls?: number;
    operationPolls?: number;
    jobPolls?: number;
  };
}
/**
 * A restore drill: which backup to restore, where, how to verify it, and what to clean up. Unknown fields are rejected. Secrets never appear here: credentials are Key Vault secret URIs, read by the activities that need them.
 */
export interface DrillRequest {
  /**
   * ARM id of the backup instance (…/Microsoft.DataProtection/backupVaults/{vault}/backupInstances/{name}).
   */
  backupInstanceId: string;
  /**
   * Free text shown in the report.
   */
  label?: string;
  recoveryPoint?: RecoveryPointPolicy;
  target: DatabaseTarget | FilesTarget;
  rehydration?: Rehydration;
  verify?: Verification;
  cleanup?: CleanupPolicy;
  targets?: DrillTargets;
  /**
   * ISO 8601 duration after which the drill stops waiting, fails and cleans up (archive-tier rehydration can take days: raise it).
   */
  deadline?: string;
  /**
   * Caller's key: the drill instance id derives from it, so a retried start never runs a second drill.
   */
  idempotencyKey?: string;
}
/**
 * Restore as a new database on a Single Server (Alternate-Location Recovery).
 *
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "DatabaseTarget".
 */
export interface DatabaseTarget {
  kind: 'database';
  /**
   * ARM id of the target server.
   */
  serverId: string;
  /**
   * Name of the database to create; default pgdrill_{drill id}. The pgdrill_ prefix is what cleanup trusts.
   */
  databaseName?: string;
  /**
   * Key Vault secret URI holding a connection string (Server=…;Port=…;Database=…;User Id=…;Password=…;).
   *
   * This interface was referenced by `DrillRequest`'s JSON-Schema
   * via the `definition` "SecretUri".
   */
  secretUri: string;
  restoreLocation?: string;
}
/**
 * Restore as files (pg_dump custom format) into a blob container; optionally load them into a drill server.
 *
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "FilesTarget".
 */
export interface FilesTarget {
  kind: 'files';
  containerUrl: string;
  containerArmId?: string;
  /**
   * Prefix of the restored files; default pgdrill-{drill id}. The pgdrill- prefix is what cleanup trusts.
   */
  filePrefix?: string;
  restoreLocation?: string;
  load?: LoadTarget;
}
/**
 * The drill server the restored dumps are loaded into (pg_restore --exit-on-error into scratch databases named pgdrill_{drill id}_{database}).
 *
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "Load".
 */
export interface LoadTarget {
  host: string;
  port?: number;
  adminDatabase?: string;
  /**
   * Key Vault secret URI holding a connection string (Server=…;Port=…;Database=…;User Id=…;Password=…;).
   *
   * This interface was referenced by `DrillRequest`'s JSON-Schema
   * via the `definition` "SecretUri".
   */
  secretUri: string;
  sslMode?: 'disable' | 'prefer' | 'require' | 'verify-full';
  /**
   * pg_restore --no-owner (the drill server has not the source's roles).
   */
  noOwner?: boolean;
  /**
   * pg_restore --no-privileges (skip GRANT/REVOKE).
   */
  noPrivileges?: boolean;
  /**
   * pg_restore --jobs.
   */
  jobs?: number;
}
export interface Rehydration {
  priority?: 'Standard' | 'High';
  retentionDays?: number;
}
export interface Verification {
  statementTimeoutMs?: number;
  schemas?: string[];
  tables?: TableCheck[];
  canary?: Canary;
  assertions?: Assertion[];
}
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "TableCheck".
 */
export interface TableCheck {
  /**
   * schema.table
   */
  name: string;
  minRows?: number;
  /**
   * Use pg_class.reltuples instead of count(*).
   */
  estimate?: boolean;
  /**
   * Source database name (files restores of several databases); default: every restored database.
   */
  database?: string;
}
export interface Canary {
  /**
   * Returns one timestamp, e.g. SELECT max(updated_at) FROM orders.
   */
  sql: string;
  toleranceMinutes?: number;
  database?: string;
}
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "Assertion".
 */
export interface Assertion {
  name: string;
  /**
   * A query whose first column of the first row is compared with expected (as text).
   */
  sql: string;
  expected: string | number | boolean | null;
  database?: string;
}
export interface CleanupPolicy {
  policy: 'always' | 'onSuccess' | 'never' | 'keep';
  /**
   * With policy keep: how long to keep the restored data before the drill removes it (ISO 8601 duration).
   */
  keepFor?: string;
}
/**
 * Objectives the report compares against.
 */
export interface DrillTargets {
  /**
   * Recovery time objective: restore trigger to data verified.
   */
  rtoMinutes?: number;
  /**
   * Recovery point objective: age of the recovery point at drill start.
   */
  rpoHours?: number;
}
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "Rehydration".
 */
export interface Rehydration1 {
  priority?: 'Standard' | 'High';
  retentionDays?: number;
}
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "Verification".
 */
export interface Verification1 {
  statementTimeoutMs?: number;
  schemas?: string[];
  tables?: TableCheck[];
  canary?: Canary;
  assertions?: Assertion[];
}
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "CleanupPolicy".
 */
export interface CleanupPolicy1 {
  policy: 'always' | 'onSuccess' | 'never' | 'keep';
  /**
   * With policy keep: how long to keep the restored data before the drill removes it (ISO 8601 duration).
   */
  keepFor?: string;
}
export interface PhaseRecord {
  name: 'resolve' | 'select' | 'prepare' | 'validate' | 'restore' | 'load' | 'verify' | 'cleanup' | 'report';
  status: 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  startedAt: string;
  endedAt?: string;
  durationSeconds?: number;
  detail?: string;
}
/**
 * This interface was referenced by `DrillReport`'s JSON-Schema
 * via the `definition` "Objective".
 */
export interface Objective {
  targetSeconds: number;
  actualSeconds: number;
  met: boolean;
}
export interface CheckResult {
  check: string;
  database?: string;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  expected?: unknown;
  actual?: unknown;
  message: string;
  durationMs?: number;
}
