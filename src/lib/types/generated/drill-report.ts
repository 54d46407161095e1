/* Generated from schemas/drill-report.schema.json by scripts/gen-types.mjs. Do not edit. */

import type { DrillRequest as DrillRequestType } from './drill-request';

/**
 * A restore drill: which backup to restore, where, how to verify it, and what to clean up. Unknown fields are rejected. Secrets never appear here: credentials are Key Vault secret URIs, read by the activities that need them.
 */
export type DrillRequest = DrillRequestType;

/**
 * The record of one restore drill: what was restored, how long each phase took, RTO and RPO, what verification found, what cleanup did, and the verdict. It never contains secrets.
 */
export interface DrillReport {
  schemaVersion: 1;
  drillId: string;
  label?: string;
  trigger?: {
    kind: 'http' | 'queue' | 'timer' | 'cli' | 'test' | 'fleet' | 'alert';
    plan?: string;
    slot?: string;
    fleetId?: string;
    /**
     * The Azure Monitor alert that started the drill (kind alert): essentials.alertId.
     */
    alertId?: string;
    /**
     * The alert's rule (essentials.alertRule).
     */
    alertRule?: string;
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
   * Recovery time: with rtoBasis azureJob, the restore job's own run (Azure's start and end times) plus the load and verify phases; with drillClock, restore trigger to data verified on the drill's clock.
   */
  rtoSeconds?: number;
  /**
   * What rtoSeconds was measured on: Azure's job times (when Azure gave them) or the drill's own clock.
   */
  rtoBasis?: 'azureJob' | 'drillClock';
  /**
   * How long after Azure's job end time the drill saw the job end (not counted in rtoSeconds with rtoBasis azureJob).
   */
  detectionLagSeconds?: number;
  /**
   * Drill start minus recovery point time.
   */
  rpoSeconds?: number;
  crossRegion?: CrossRegionRecord;
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
  /**
   * The schema fingerprint of each restored database (verify.schemaDrift): the next drill of the same backup instance compares its own with these.
   */
  schemaFingerprints?: SchemaFingerprint[];
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
    /**
     * What the drill created (recorded before creating it): names and URIs, never secrets. The sweeper retries cleanup from this when it failed.
     */
    resources?: {
      kind: 'database' | 'scratchDatabase' | 'blobs' | 'role';
      name?: string;
      serverId?: string;
      secretUri?: string;
      host?: string;
      port?: number;
      adminDatabase?: string;
      sslMode?: string;
      containerUrl?: string;
      prefix?: string;
      names?: string[];
      databases?: string[];
    }[];
    /**
     * When the sweeper last retried this drill's cleanup.
     */
    sweptAt?: string;
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
  evidence?: DrillEvidence;
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
 * A cross-region drill (request restoreFrom: secondaryRegion): where the backup came from and where it was restored, and what a regional disaster would have cost at the drill's start.
 */
export interface CrossRegionRecord {
  /**
   * The vault's (primary) region.
   */
  sourceRegion: string;
  /**
   * The paired (secondary) region the restore ran in.
   */
  restoreRegion: string;
  /**
   * The chosen secondary recovery point's time.
   */
  recoveryPointTime?: string;
  /**
   * The newest recovery point replicated to the paired region, of those at or before the drill's start.
   */
  newestSecondaryPointTime?: string;
  /**
   * The newest recovery point in the vault's own region, of those at or before the drill's start (absent when the list could not be read).
   */
  newestPrimaryPointTime?: string;
  /**
   * Newest primary point time minus newest secondary point time (both at or before the drill's start; never negative): how far the paired region's copy trails the primary, whichever point was restored. The restored point's own age is rpoSeconds.
   */
  replicationLagSeconds?: number;
  /**
   * Drill start minus the newest secondary point's time (never negative): the data a regional disaster at the drill's start would have lost.
   */
  regionalRpoSeconds?: number;
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
  /**
   * For an error that is not about the data (a secret that cannot be read, a server that cannot be reached): its stable code.
   */
  code?: string;
  /**
   * With a code: what to do about it.
   */
  recommendedActions?: string[];
  expected?: unknown;
  actual?: unknown;
  message: string;
  durationMs?: number;
}
export interface SchemaFingerprint {
  /**
   * The source database name.
   */
  database: string;
  /**
   * SHA-256 of every object line (key, a tab, definition), sorted, one a line.
   */
  sha256: string;
  /**
   * How many objects the hash covers.
   */
  count: number;
  /**
   * Object key (kind and qualified name, e.g. column public.orders.total) to its definition; at most 20,000 (truncated then).
   */
  objects: {
    [k: string]: string;
  };
  truncated?: boolean;
}
/**
 * Tamper-evident evidence (src/lib/drill/evidence.ts): this report version's hash, the previous version of the same backup instance's reports (a hash chain), the controls the drill supports and where it restored.
 */
export interface DrillEvidence {
  algorithm: string;
  sha256: string;
  /**
   * The report version saved before this one for the same backup instance (null: the first). Every version is kept as evidence/{drillId}/{sha256}.json.
   */
  previous: null | {
    drillId: string;
    sha256: string;
  };
  controls: {
    framework: string;
    clause: string;
    requirement: string;
    proof: string;
  }[];
  segregation: {
    target: string;
    sameServer: boolean;
    sameResourceGroup?: boolean;
    sameSubscription?: boolean;
    statement: string;
  };
}
