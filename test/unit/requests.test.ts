import { describe, expect, it } from 'vitest';
import {
  buildRestoreRequest,
  buildValidateRestoreRequest,
  rehydrationRetentionDuration,
  type RestoreRequestInput,
} from '../../src/lib/dataprotection/requests';
import { isValid, schemaRef } from '../../src/lib/validation';
import { checkAgainstSwagger, example } from '../../emulator/swagger';

const SOURCE_DB =
  '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/viveksipgtest/providers/Microsoft.DBforPostgreSQL/servers/viveksipgtest/databases/testdb';
const TARGET_DB =
  '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/viveksipgtest/providers/Microsoft.DBforPostgreSQL/servers/viveksipgtest/databases/targetdb';
const FLEX =
  '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/flex1';
const UAMI =
  '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/rg-name/providers/Microsoft.ManagedIdentity/userAssignedIdentities/testUami';

function exampleBody(file: string): Record<string, unknown> {
  return (example(file).parameters as Record<string, unknown>).parameters as Record<string, unknown>;
}

/** Leaf-by-leaf comparison, so a failure names the exact field (not just "objects differ"). */
function leaves(value: unknown, path = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) for (const [p, l] of leaves(v, `${path}/${k}`)) out.set(p, l);
  } else out.set(path, value);
  return out;
}

function expectFieldByField(
  actual: unknown,
  expected: unknown,
  deviations: Record<string, unknown> = {},
): void {
  const a = leaves(actual);
  const e = leaves(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [path, value] of e) {
    if (path in deviations) expect(a.get(path), path).toEqual(deviations[path]);
    else expect(a.get(path), path).toEqual(value);
  }
}

const databaseInput: RestoreRequestInput = {
  apiVersion: '2026-06-01',
  sourceDatasourceId: SOURCE_DB,
  recoveryPointId: 'hardcodedRP',
  restoreLocation: 'southeastasia',
  sourceDataStoreType: 'VaultStore',
  identityDetails: { useSystemAssignedIdentity: false, userAssignedIdentityArmUrl: UAMI },
  target: {
    kind: 'database',
    targetDatabaseId: TARGET_DB,
    secretUri: 'https://samplevault.vault.azure.net/secrets/credentials',
  },
};

describe('restore request builders', () => {
  it('restore as database matches the official TriggerRestore example field by field and the swagger', () => {
    const body = buildRestoreRequest(databaseInput);
    expectFieldByField(body, exampleBody('BackupInstanceOperations/TriggerRestore.json'));
    const check = checkAgainstSwagger('AzureBackupRestoreRequest', body, 'request');
    expect(check.errors).toEqual([]);
  });

  it('validate wrapper matches the official ValidateRestore example and ValidateRestoreRequestObject', () => {
    const body = buildValidateRestoreRequest(buildRestoreRequest(databaseInput));
    expectFieldByField(body, exampleBody('BackupInstanceOperations/ValidateRestore.json'));
    expect(Object.keys(body)).toEqual(['restoreRequestObject']);
    expect(checkAgainstSwagger('ValidateRestoreRequestObject', body, 'request').errors).toEqual([]);
  });

  it('restore as files matches the official TriggerRestoreAsFiles example and the swagger', () => {
    const body = buildRestoreRequest({
      apiVersion: '2026-06-01',
      sourceDatasourceId: SOURCE_DB,
      recoveryPointId: 'hardcodedRP',
      restoreLocation: 'southeastasia',
      sourceDataStoreType: 'VaultStore',
      target: {
        kind: 'files',
        containerUrl: 'https://teststorage.blob.core.windows.net/restoretest',
        filePrefix: 'restoredblob',
      },
    });
    expectFieldByField(body, exampleBody('BackupInstanceOperations/TriggerRestoreAsFiles.json'));
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', body, 'request').errors).toEqual([]);
  });

  it('restore as files of a Flexible Server, with the container ARM id, validates against the swagger', () => {
    const containerId =
      '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/drills';
    const body = buildRestoreRequest({
      apiVersion: '2026-06-01',
      sourceDatasourceId: FLEX,
      recoveryPointId: 'rp1',
      sourceDataStoreType: 'VaultStore',
      target: {
        kind: 'files',
        containerUrl: 'https://st1.blob.core.windows.net/drills/',
        filePrefix: 'pgdrill-x',
        containerArmId: containerId,
      },
    });
    expect(body.restoreTargetInfo).toEqual({
      objectType: 'RestoreFilesTargetInfo',
      recoveryOption: 'FailIfExists',
      targetDetails: {
        filePrefix: 'pgdrill-x',
        restoreTargetLocationType: 'AzureBlobs',
        url: 'https://st1.blob.core.windows.net/drills',
        targetResourceArmId: containerId,
      },
    });
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', body, 'request').errors).toEqual([]);
  });

  it('archive tier: AzureBackupRestoreWithRehydrationRequest matches the official example except its documented slips', () => {
    const official = exampleBody('BackupInstanceOperations/TriggerRestoreWithRehydration.json');
    const body = buildRestoreRequest({
      ...databaseInput,
      identityDetails: undefined,
      target: {
        ...databaseInput.target,
        kind: 'database',
        targetDatabaseId: TARGET_DB,
      } as RestoreRequestInput['target'],
      sourceDataStoreType: 'ArchiveStore',
      rehydration: { priority: 'High', retentionDays: 10 },
    });
    // The example is sloppy in ways the swagger and CONTRACT.md settle: it restores onto the source database
    // itself (Original-Location Recovery, which Azure does not support for PostgreSQL), labels the datasource
    // type "OssDB", reads from VaultStore although rehydration is for ArchiveStore points, and sends "7D",
    // which is not the ISO 8601 duration the swagger describes.
    const dsType = 'Microsoft.DBforPostgreSQL/servers/databases';
    const { datasourceAuthCredentials: _unused, ...officialTarget } = official.restoreTargetInfo as Record<
      string,
      unknown
    >;
    expectFieldByField(
      {
        ...body,
        restoreTargetInfo: {
          ...(body.restoreTargetInfo as unknown as Record<string, unknown>),
          datasourceAuthCredentials: undefined,
        },
      },
      { ...official, restoreTargetInfo: { ...officialTarget, datasourceAuthCredentials: undefined } },
      {
        '/rehydrationRetentionDuration': 'P10D',
        '/sourceDataStoreType': 'ArchiveStore',
        '/restoreTargetInfo/datasourceInfo/resourceID': TARGET_DB,
        '/restoreTargetInfo/datasourceInfo/resourceName': 'targetdb',
        '/restoreTargetInfo/datasourceInfo/datasourceType': dsType,
        '/restoreTargetInfo/datasourceSetInfo/datasourceType': dsType,
      },
    );
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', body, 'request').errors).toEqual([]);
    // And the example's own duration is what our schema refuses.
    expect(
      isValid(
        schemaRef('dataprotection.schema.json', 'IsoDurationDays'),
        official.rehydrationRetentionDuration,
      ),
    ).toBe(false);
  });

  it('the swagger check itself rejects the Learn article shapes (so the tests above prove something)', () => {
    const body = buildRestoreRequest(databaseInput) as unknown as Record<string, unknown>;
    const target = body.restoreTargetInfo as Record<string, unknown>;
    const { datasourceInfo, ...rest } = target;
    const articleShape = { ...body, restoreTargetInfo: { ...rest, dataSourceInfo: datasourceInfo } };
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', articleShape, 'request').valid).toBe(false);
    const snakeCase = { ...body, rehydration_priority: 'Standard', rehydration_retention_duration: 'P15D' };
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', snakeCase, 'request').valid).toBe(false);
    const wrappedWithExtras = {
      objectType: 'ValidateRestoreRequestObject',
      recoveryPointId: 'x',
      restoreRequestObject: body,
    };
    expect(checkAgainstSwagger('ValidateRestoreRequestObject', wrappedWithExtras, 'request').valid).toBe(
      false,
    );
    expect(
      checkAgainstSwagger('AzureBackupRestoreRequest', { ...body, objectType: 'NoSuchRequest' }, 'request')
        .valid,
    ).toBe(false);
  });

  it('refuses a target that is the source database (Original-Location Recovery), case-insensitively', () => {
    expect(() =>
      buildRestoreRequest({
        ...databaseInput,
        target: {
          ...databaseInput.target,
          kind: 'database',
          targetDatabaseId: SOURCE_DB.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'),
        } as RestoreRequestInput['target'],
      }),
    ).toThrow(/Original-Location Recovery/);
  });

  it('refuses restore-as-database for a Flexible Server, naming the fix', () => {
    expect(() => buildRestoreRequest({ ...databaseInput, sourceDatasourceId: FLEX })).toThrow(/files only/);
  });

  it('names the bad field of a malformed target id', () => {
    expect(() =>
      buildRestoreRequest({
        ...databaseInput,
        target: {
          ...databaseInput.target,
          kind: 'database',
          targetDatabaseId: '/subscriptions/nope/x',
        } as RestoreRequestInput['target'],
      }),
    ).toThrow(/target database id .* is not a valid ARM id/);
    expect(() =>
      buildRestoreRequest({
        ...databaseInput,
        target: {
          ...databaseInput.target,
          kind: 'database',
          targetDatabaseId: FLEX,
        } as RestoreRequestInput['target'],
      }),
    ).toThrow(/target database id .* is a Microsoft.DBforPostgreSQL\/flexibleServers/);
  });

  it('requires rehydration options for ArchiveStore and refuses them for VaultStore', () => {
    expect(() => buildRestoreRequest({ ...databaseInput, sourceDataStoreType: 'ArchiveStore' })).toThrow(
      /archive tier only/,
    );
    expect(() =>
      buildRestoreRequest({ ...databaseInput, rehydration: { priority: 'Standard', retentionDays: 15 } }),
    ).toThrow(/archive-tier/);
  });

  it('rehydration retention is ISO 8601 days within 10..30', () => {
    expect(rehydrationRetentionDuration(10)).toBe('P10D');
    expect(rehydrationRetentionDuration(30)).toBe('P30D');
    for (const bad of [9, 31, 15.5, 0, -1])
      expect(() => rehydrationRetentionDuration(bad)).toThrow(/10 to 30/);
  });

  it('a bad secret URI is refused by the schema with the field named', () => {
    expect(() =>
      buildRestoreRequest({
        ...databaseInput,
        target: {
          ...databaseInput.target,
          kind: 'database',
          secretUri: 'https://kv.vault.azure.net/keys/x',
        } as RestoreRequestInput['target'],
      }),
    ).toThrow(/\/restoreTargetInfo\/datasourceAuthCredentials\/secretStoreResource\/uri/);
  });
});
