/* Generated from schemas/drill-request.schema.json by scripts/gen-types.mjs. Do not edit. */

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
 * Key Vault secret URI holding a connection string (Server=…;Port=…;Database=…;User Id=…;Password=…;): https://{vault}.vault.azure.net/secrets/{name}[/{version}], where a name is 1 to 127 letters, digits and dashes and a version 32 hexadecimal digits (Key Vault's own rules).
 *
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "SecretUri".
 */
export type SecretUri = string;
/**
 * This interface was referenced by `DrillRequest`'s JSON-Schema
 * via the `definition` "RecoveryPointPolicy".
 */
export type RecoveryPointPolicy1 = RecoveryPointPolicy2;

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
  /**
   * Where the recovery point is restored from. primaryRegion (the default when absent): the vault's own region. secondaryRegion: a disaster-recovery drill, restoring the vault's geo-replicated copy in its paired region through the cross-region restore operations (api-version 2023-11-01 or later); the vault must have cross-region restore enabled and the target must be in the paired region.
   */
  restoreFrom?: 'primaryRegion' | 'secondaryRegion';
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
   * A label for the database the restore creates: it is named {label}_{drill token} (default pgdrill_{drill token}), so every name carries the drill's id. The pgdrill_ prefix is what cleanup trusts. A label that equals or prefixes another running drill's (or the reverse) is refused.
   */
  databaseName?: string;
  secretUri: SecretUri;
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
   * A label for the prefix of the restored files: they are written under {label}-{drill token} (default pgdrill-{drill token}), so every name carries the drill's id. The pgdrill- prefix is what cleanup trusts. A label that equals or prefixes another running drill's (or the reverse) is refused.
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
  secretUri: SecretUri;
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
   * pg_restore --jobs: parallel jobs loading the dump (each one connection to the drill server). 2 by default, the fastest measured on a 2-core drill server (bench/RESULTS.md, row (e)); Use 1 for a drill server that allows few connections, more for a bigger one.
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
  /**
   * Schema fingerprint of each restored database (schemas, tables, columns and types, indexes, constraints of user schemas), kept in the report and compared with the previous drill of the same backup instance in a check named schema. report (default): a difference is reported and the check still passes; fail: a difference fails the drill (SchemaChanged); off: no fingerprint.
   */
  schemaDrift?: 'off' | 'report' | 'fail';
  /**
   * true: run the table checks and assertions once more against an empty scratch database (as the same read-only login) and fail the drill (NegativeControlPassed) if they all pass there: a check that cannot fail proves nothing.
   */
  negativeControl?: boolean;
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
 * Objectives the drill is held to: a missed target fails the drill (code TargetMissed) unless informational is true.
 */
export interface DrillTargets {
  /**
   * true: report whether each target was met, but do not fail the drill for a missed one.
   */
  informational?: boolean;
  /**
   * Recovery time objective: restore trigger to data verified.
   */
  rtoMinutes?: number;
  /**
   * Recovery point objective: age of the recovery point at drill start.
   */
  rpoHours?: number;
}
export interface RecoveryPointPolicy2 {
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
  /**
   * Schema fingerprint of each restored database (schemas, tables, columns and types, indexes, constraints of user schemas), kept in the report and compared with the previous drill of the same backup instance in a check named schema. report (default): a difference is reported and the check still passes; fail: a difference fails the drill (SchemaChanged); off: no fingerprint.
   */
  schemaDrift?: 'off' | 'report' | 'fail';
  /**
   * true: run the table checks and assertions once more against an empty scratch database (as the same read-only login) and fail the drill (NegativeControlPassed) if they all pass there: a check that cannot fail proves nothing.
   */
  negativeControl?: boolean;
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
