/**
 * Every request body a drill sends (validateRestore and restore; database and files targets; vault and archive
 * stores with rehydration), built exactly as the drill builds it (planRestore), is valid against the swagger of
 * the api-version it is sent with, with unknown properties refused: 2021-07-01 (its swagger's restore
 * definitions, reference/dataprotection/.../stable/2021-07-01/restore-definitions.json) and 2026-06-01 (the
 * whole swagger). Issue 14, item 5.1.
 */
import { describe, expect, it } from 'vitest';
import { buildValidateRestoreRequest, fieldsNotIn } from '../../src/lib/dataprotection/requests';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { planRestore } from '../../src/lib/drill/restorePlan';
import type { RestoreRequest } from '../../src/lib/types/generated/dataprotection';
import { checkAgainstSwagger, contractVersion, example } from '../../emulator/swagger';

const SUB = 'f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4';
const RG = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
const VAULT = `${RG}/Microsoft.DataProtection/backupVaults/v1`;
const SINGLE_DB = `${RG}/Microsoft.DBforPostgreSQL/servers/src1/databases/app`;
const FLEX = `${RG}/Microsoft.DBforPostgreSQL/flexibleServers/flex1`;
const TARGET_SERVER = `${RG}/Microsoft.DBforPostgreSQL/servers/tgt1`;
const CONTAINER_URL = 'https://st1.blob.core.windows.net/drills';
const CONTAINER_ID = `${RG}/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/drills`;
const SECRET = 'https://kv1.vault.azure.net/secrets/pg-target';

const VERSIONS = ['2021-07-01', '2026-06-01'] as const;

interface Case {
  name: string;
  datasourceId: string;
  target: Record<string, unknown>;
  archive?: boolean;
}

const CASES: Case[] = [
  {
    name: 'Single Server, restore as database, vault store',
    datasourceId: SINGLE_DB,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: SECRET },
  },
  {
    name: 'Single Server, restore as database, archive store with rehydration',
    datasourceId: SINGLE_DB,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: SECRET },
    archive: true,
  },
  {
    name: 'Single Server, restore as files, vault store',
    datasourceId: SINGLE_DB,
    target: { kind: 'files', containerUrl: CONTAINER_URL },
  },
  {
    name: 'Flexible Server, restore as files, vault store, restore location given',
    datasourceId: FLEX,
    target: { kind: 'files', containerUrl: CONTAINER_URL, restoreLocation: 'eastus2' },
  },
  {
    name: 'Flexible Server, restore as files, archive store with rehydration',
    datasourceId: FLEX,
    target: { kind: 'files', containerUrl: CONTAINER_URL },
    archive: true,
  },
];

function body(
  c: Case,
  apiVersion: string | undefined,
  extraTarget: Record<string, unknown> = {},
): RestoreRequest {
  const request = parseDrillRequest({
    backupInstanceId: `${VAULT}/backupInstances/bi1`,
    target: { ...c.target, ...extraTarget },
    ...(c.archive ? { rehydration: { priority: 'Standard', retentionDays: 15 } } : {}),
  });
  return planRestore({
    drillId: 'drill-contract-1',
    request,
    instance: { datasourceId: c.datasourceId, location: 'westus' },
    recoveryPointId: 'rp-1',
    dataStore: c.archive ? 'ArchiveStore' : 'VaultStore',
    ...(apiVersion ? { apiVersion } : {}),
  }).body;
}

describe('request bodies are exactly those of the api-version they are sent with', () => {
  for (const v of VERSIONS)
    for (const c of CASES)
      it(`${v}: ${c.name}: restore and validateRestore bodies validate, unknown properties refused`, () => {
        expect(contractVersion(v)).toBe(v);
        const restore = body(c, v);
        expect(checkAgainstSwagger('AzureBackupRestoreRequest', restore, 'request', v).errors).toEqual([]);
        const validate = buildValidateRestoreRequest(restore);
        expect(checkAgainstSwagger('ValidateRestoreRequestObject', validate, 'request', v).errors).toEqual(
          [],
        );
        expect(fieldsNotIn(restore, v)).toEqual([]);
        if (c.archive) expect(restore.objectType).toBe('AzureBackupRestoreWithRehydrationRequest');
        if (v === '2021-07-01') expect(restore).not.toHaveProperty('sourceResourceId');
        else expect(restore).toHaveProperty('sourceResourceId', c.datasourceId);
      });

  it('the check refuses what 2021-07-01 does not define: a 2026-06-01 body fails there, naming the field', () => {
    const newer = body(CASES[0]!, '2026-06-01');
    const check = checkAgainstSwagger('AzureBackupRestoreRequest', newer, 'request', '2021-07-01');
    expect(check.valid).toBe(false);
    expect(check.errors.join('\n')).toContain('sourceResourceId');
    expect(fieldsNotIn(newer, '2021-07-01')).toEqual(['/sourceResourceId']);
  });

  it('the official 2026-06-01 ValidateRestore example is not a 2021-07-01 body until its newer fields go', () => {
    const official = structuredClone(
      (example('BackupInstanceOperations/ValidateRestore.json').parameters as { parameters: any }).parameters,
    );
    const at2021 = checkAgainstSwagger('ValidateRestoreRequestObject', official, 'request', '2021-07-01');
    expect(at2021.valid).toBe(false);
    expect(at2021.errors.join('\n')).toMatch(/sourceResourceId|identityDetails/);
    delete official.restoreRequestObject.sourceResourceId;
    delete official.restoreRequestObject.identityDetails;
    expect(
      checkAgainstSwagger('ValidateRestoreRequestObject', official, 'request', '2021-07-01').errors,
    ).toEqual([]);
  });

  it('the container ARM id (targetResourceArmId) is sent with 2026-06-01 and refused before sending with 2021-07-01', () => {
    const files = CASES[3]!;
    const withId = body(files, '2026-06-01', { containerArmId: CONTAINER_ID });
    expect(withId.restoreTargetInfo).toMatchObject({ targetDetails: { targetResourceArmId: CONTAINER_ID } });
    expect(checkAgainstSwagger('AzureBackupRestoreRequest', withId, 'request', '2026-06-01').errors).toEqual(
      [],
    );
    expect(() => body(files, '2021-07-01', { containerArmId: CONTAINER_ID })).toThrow(
      /api-version 2021-07-01 .* does not define/,
    );
  });

  it('a version between the two is held to 2021-07-01; a drill started before settings named the version keeps its old body', () => {
    expect(contractVersion('2023-11-01')).toBe('2021-07-01');
    expect(body(CASES[0]!, '2023-11-01')).not.toHaveProperty('sourceResourceId');
    expect(body(CASES[0]!, undefined)).toHaveProperty('sourceResourceId');
  });
});
