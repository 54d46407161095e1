/**
 * Every official example response validates against the swagger (through the test adapter) and against the
 * client's own schema subset for it, so the subsets accept everything the contract documents.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValid, schemaRef } from '../../src/lib/validation';
import {
  checkAgainstSwagger,
  example,
  exampleResponse,
  SPEC_DIR,
  swaggerOperation,
} from '../../emulator/swagger';

/** Our schema for each operation's 200 body (operations the client does not call are left out). */
const OUR_SCHEMA: Record<string, string> = {
  BackupVaults_Get: 'BackupVaultResource',
  BackupInstances_List: 'BackupInstanceResourceList',
  BackupInstances_Get: 'BackupInstanceResource',
  RecoveryPoints_List: 'RecoveryPointResourceList',
  RecoveryPoints_Get: 'RecoveryPointResource',
  BackupInstances_ValidateForRestore: 'OperationJobExtendedInfo',
  BackupInstances_TriggerRestore: 'OperationJobExtendedInfo',
  OperationStatus_Get: 'OperationResource',
  OperationStatusBackupVaultContext_Get: 'OperationResource',
  OperationResult_Get: 'OperationJobExtendedInfo',
  Jobs_List: 'BackupJobResourceList',
  Jobs_Get: 'BackupJobResource',
};

const files = readdirSync(join(SPEC_DIR, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) =>
  f.endsWith('.json'),
);

describe('official example responses', () => {
  it.each(files)(
    '%s: every status it shows is documented; every body validates (swagger and ours)',
    (file) => {
      const ex = example(file) as { operationId: string; responses: Record<string, { body?: unknown }> };
      const { op } = swaggerOperation(ex.operationId);
      const responses = op.responses as Record<string, { schema?: { $ref?: string } }>;
      const statuses = Object.entries(ex.responses);
      expect(statuses.length, `${file} shows responses`).toBeGreaterThan(0);
      let checked = 0;
      for (const [status, response] of statuses) {
        expect(Object.keys(responses), `${ex.operationId} documents ${status}`).toContain(status);
        if (response.body === undefined) continue;
        const ref = responses[status]?.schema?.$ref;
        expect(ref, `${ex.operationId} ${status} has a schema in the swagger`).toBeTruthy();
        const def = ref!.replace('#/definitions/', '');
        expect(
          checkAgainstSwagger(def, response.body, 'response').errors,
          `${file} ${status} vs swagger ${def}`,
        ).toEqual([]);
        const ours = OUR_SCHEMA[ex.operationId];
        if (ours && status === '200') {
          expect(
            isValid(schemaRef('dataprotection.schema.json', ours), response.body),
            `${file} vs our ${ours}`,
          ).toBe(true);
        }
        checked++;
      }
      expect(checked).toBe(statuses.filter(([, r]) => r.body !== undefined).length);
    },
  );

  it('the swagger check is not vacuous: a recovery point without recoveryPointTime fails it', () => {
    const ex = {
      responses: { '200': exampleResponse('BackupInstanceOperations/GetRecoveryPoint.json', '200') },
    };
    const body = structuredClone(ex.responses['200'].body);
    delete body.properties.recoveryPointTime;
    expect(checkAgainstSwagger('AzureBackupRecoveryPointResource', body, 'response').valid).toBe(false);
    body.properties.recoveryPointTime = 'yesterday';
    expect(checkAgainstSwagger('AzureBackupRecoveryPointResource', body, 'response').valid).toBe(false);
  });

  it('every operation the client calls has an official 200 example body (so the checks above cover it)', () => {
    const with200 = new Set(
      files
        .map((f) => example(f) as { operationId: string; responses: Record<string, { body?: unknown }> })
        .filter((ex) => ex.responses['200']?.body !== undefined)
        .map((ex) => ex.operationId),
    );
    expect(Object.keys(OUR_SCHEMA).filter((op) => !with200.has(op))).toEqual([]);
  });
});
