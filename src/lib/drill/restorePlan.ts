/**
 * The restore plan: from a drill request, the backup instance and the chosen recovery point, everything the
 * restore needs decided before Azure is called — the request body, where the restore writes (its
 * destination, which the no-double-restore lookup matches exactly), what the drill will create (recorded
 * before it is created), and what verification will connect to. Pure and deterministic: orchestrators call it.
 */
import { datasourceKindOf, lastSegment } from '../dataprotection/armId';
import {
  buildRestoreRequest,
  FULL_REQUEST_API_VERSION,
  type RehydrationOptions,
} from '../dataprotection/requests';
import type { RestoreRequest } from '../types/generated/dataprotection';
import type { LoadTarget } from '../types/generated/drill-request';
import {
  drillDatabaseName,
  drillFilePrefix,
  negativeControlDatabaseName,
  sandboxRoleName,
  scratchDatabaseName,
} from './names';
import { NEGATIVE_CONTROL_DATABASE } from './negativeControl';
import type { NormalizedRequest } from './request';
import { serverKey, type CreatedResource, type VerifyTarget } from './resources';

export interface RestorePlanInput {
  drillId: string;
  request: Pick<NormalizedRequest, 'target' | 'rehydration'>;
  /** The backed-up datasource and the vault's region (the default restore location). */
  instance: { datasourceId: string; location?: string };
  recoveryPointId: string;
  dataStore: 'VaultStore' | 'ArchiveStore';
  /**
   * The Data Protection api-version the body is sent with (DrillSettings.apiVersion): the body carries exactly
   * the fields it defines. Absent for drills started before settings carried it: their body is built as it was
   * then (with sourceResourceId), so their replay decides the same.
   */
  apiVersion?: string;
  /**
   * A cross-region drill's paired region, as an ARM name (e.g. northeurope, as in the operation's URL): sent as
   * restoreLocation in place of target.restoreLocation as typed ("North Europe"). Absent for same-region
   * drills, whose body stays as it was (their replay decides the same).
   */
  restoreRegion?: string;
}

export interface RestorePlan {
  /** restoreRequestObject of validateRestore and restore. */
  body: RestoreRequest;
  /** Where the restore writes: the target database ARM id, or the container URL + file prefix. */
  destination: string;
  /** What the restore creates; the drill records it before triggering. */
  creates: CreatedResource;
  /** Restore as database: the new database, once the job succeeded. */
  restoredDatabase?: { serverId: string; name: string };
  /** Restore as database: what verification connects to (files: decided per loaded dump). */
  verifyTargets: VerifyTarget[];
  /** Restore as files: the prefix the dumps are written under. */
  filePrefix?: string;
}

/** Throws an AppError (before any call to Azure) when the target cannot work: see buildRestoreRequest. */
export function planRestore(input: RestorePlanInput): RestorePlan {
  const { drillId, instance } = input;
  const target = input.request.target;
  // The source kind is checked first: Flexible Server backups restore as files only.
  datasourceKindOf(instance.datasourceId);
  const restoreLocation = input.restoreRegion ?? target.restoreLocation ?? instance.location;
  const common = {
    apiVersion: input.apiVersion ?? FULL_REQUEST_API_VERSION,
    sourceDatasourceId: instance.datasourceId,
    recoveryPointId: input.recoveryPointId,
    sourceDataStoreType: input.dataStore,
    ...(input.dataStore === 'ArchiveStore'
      ? { rehydration: input.request.rehydration as RehydrationOptions }
      : {}),
    ...(restoreLocation ? { restoreLocation } : {}),
  };
  if (target.kind === 'database') {
    const name = drillDatabaseName(drillId, target.databaseName);
    const databaseId = `${target.serverId}/databases/${name}`;
    return {
      body: buildRestoreRequest({
        ...common,
        target: { kind: 'database', targetDatabaseId: databaseId, secretUri: target.secretUri },
      }),
      destination: databaseId,
      creates: { kind: 'database', name, serverId: target.serverId, secretUri: target.secretUri },
      restoredDatabase: { serverId: target.serverId, name },
      verifyTargets: [
        {
          database: lastSegment(instance.datasourceId),
          connectDatabase: name,
          secretUri: target.secretUri,
          adminDatabase: 'postgres',
        },
      ],
    };
  }
  const filePrefix = drillFilePrefix(drillId, target.filePrefix);
  return {
    body: buildRestoreRequest({
      ...common,
      target: {
        kind: 'files',
        containerUrl: target.containerUrl,
        filePrefix,
        ...(target.containerArmId ? { containerArmId: target.containerArmId } : {}),
      },
    }),
    destination: `${target.containerUrl.replace(/\/+$/, '')}/${filePrefix}`,
    creates: { kind: 'blobs', containerUrl: target.containerUrl, prefix: filePrefix, names: [] },
    verifyTargets: [],
    filePrefix,
  };
}

/** Loading one restored dump: the scratch database it goes into (recorded first) and how to verify it. */
export function planScratchLoad(
  drillId: string,
  load: LoadTarget,
  database: string,
): { creates: Extract<CreatedResource, { kind: 'scratchDatabase' }>; verifyTarget: VerifyTarget } {
  const name = scratchDatabaseName(drillId, database);
  const port = load.port ?? 5432;
  const sslMode = load.sslMode ? { sslMode: load.sslMode } : {};
  return {
    creates: {
      kind: 'scratchDatabase',
      name,
      host: load.host,
      port,
      adminDatabase: load.adminDatabase ?? 'postgres',
      secretUri: load.secretUri,
      ...sslMode,
    },
    verifyTarget: {
      database,
      connectDatabase: name,
      secretUri: load.secretUri,
      host: load.host,
      port,
      ...sslMode,
      adminDatabase: load.adminDatabase ?? 'postgres',
    },
  };
}

/**
 * The negative control's empty scratch database (verify.negativeControl): on the server of the first database
 * verification connects to, reached with the same secret, recorded before it is created.
 */
export function planNegativeControl(
  drillId: string,
  on: VerifyTarget,
): { creates: Extract<CreatedResource, { kind: 'scratchDatabase' }>; verifyTarget: VerifyTarget } {
  const name = negativeControlDatabaseName(drillId);
  const server = {
    secretUri: on.secretUri,
    ...(on.host ? { host: on.host, port: on.port ?? 5432 } : {}),
    ...(on.sslMode ? { sslMode: on.sslMode } : {}),
    adminDatabase: on.adminDatabase,
  };
  return {
    creates: { kind: 'scratchDatabase', name, ...server },
    verifyTarget: { database: NEGATIVE_CONTROL_DATABASE, connectDatabase: name, ...server },
  };
}

/**
 * The drill's read-only verification login, one per server the checks run on: recorded before verification
 * creates it, so cleanup drops it even if the verify activity dies.
 */
export function planSandboxRoles(
  drillId: string,
  targets: readonly VerifyTarget[],
): Extract<CreatedResource, { kind: 'role' }>[] {
  const byServer = new Map<string, Extract<CreatedResource, { kind: 'role' }>>();
  for (const t of targets) {
    const key = serverKey(t);
    const role = byServer.get(key) ?? {
      kind: 'role' as const,
      name: sandboxRoleName(drillId),
      secretUri: t.secretUri,
      ...(t.host ? { host: t.host, port: t.port ?? 5432 } : {}),
      ...(t.sslMode ? { sslMode: t.sslMode } : {}),
      adminDatabase: t.adminDatabase,
      databases: [],
    };
    role.databases.push(t.connectDatabase);
    byServer.set(key, role);
  }
  return [...byServer.values()];
}
