/**
 * The emulator against the contract: the official example requests are accepted, ARM error shapes and codes
 * are ARM's, and every response it sent during a full flow validates against the swagger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { checkAgainstSwagger, example, swaggerOperation } from '../../emulator/swagger';
import {
  arm,
  armToken,
  armUntil,
  jobEnded,
  operationEnded,
  startTestEmulator,
  TEST_SUBSCRIPTION,
} from '../support/emulator';

let emu: EmulatorHandle;
let token: string;
const V = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-test`;
const BI = `${V}/backupInstances/bi-single`;
const q = '?api-version=2026-06-01';

beforeAll(async () => {
  emu = await startTestEmulator({ backups: 3, config: { recoveryPointsPageSize: 2 } });
  token = await armToken(emu);
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

function exampleBody(file: string): any {
  return (example(file).parameters as any).parameters;
}

describe('emulator contract', () => {
  it.each([
    ['BackupInstanceOperations/ValidateRestore.json', 'validateRestore'],
    ['BackupInstanceOperations/TriggerRestore.json', 'restore'],
    ['BackupInstanceOperations/TriggerRestoreAsFiles.json', 'restore'],
    ['BackupInstanceOperations/TriggerRestoreWithRehydration.json', 'restore'],
  ])('accepts the official example request %s (202 with poll headers)', async (file, action) => {
    const res = await arm(emu, token, 'POST', `${BI}/${action}${q}`, exampleBody(file));
    expect(res.status).toBe(202);
    // As recorded: AAO scoped to the vault, Location to subscription + region, both signed after api-version.
    expect(res.headers.get('azure-asyncoperation')).toMatch(
      /\/backupVaults\/vault-test\/operationStatus\/[^/?]+\?api-version=2026-06-01&t=\d+&c=[^&]+&s=[^&]+&h=[^&]+$/,
    );
    expect(res.headers.get('location')).toMatch(
      new RegExp(
        `/subscriptions/${TEST_SUBSCRIPTION}/providers/Microsoft\\.DataProtection/locations/[^/]+/operationResults/[^/?]+\\?api-version=2026-06-01&t=`,
      ),
    );
    expect(res.headers.get('retry-after')).toBe('1'); // the test configuration asks for one
    // The example's recovery point "hardcodedRP" does not exist here: the operation fails with a domain code.
    const op = await armUntil(emu, token, res.headers.get('azure-asyncoperation')!, operationEnded);
    expect(op.body).toMatchObject({ status: 'Failed', error: { code: 'UserErrorRecoveryPointNotFound' } });
  });

  it('checks a request body against the contract of the api-version it names (2021-07-01 knows no sourceResourceId)', async () => {
    const official = exampleBody('BackupInstanceOperations/ValidateRestore.json');
    const old = '?api-version=2021-07-01';
    const refused = await arm(emu, token, 'POST', `${BI}/validateRestore${old}`, official);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'BadRequest' } });
    expect((refused.body as { error: { message: string } }).error.message).toMatch(
      /api-version 2021-07-01.*(sourceResourceId|identityDetails)/,
    );
    const fitted = structuredClone(official);
    delete fitted.restoreRequestObject.sourceResourceId;
    delete fitted.restoreRequestObject.identityDetails;
    const accepted = await arm(emu, token, 'POST', `${BI}/validateRestore${old}`, fitted);
    expect(accepted.status).toBe(202);
    // The same body with the newer fields is still what 2026-06-01 takes.
    expect((await arm(emu, token, 'POST', `${BI}/validateRestore${q}`, official)).status).toBe(202);
  });

  it.each([
    ['no token', undefined, 'GET', `${V}${q}`, undefined, 401, 'AuthenticationFailed'],
    ['a bad token', 'nope', 'GET', `${V}${q}`, undefined, 401, 'InvalidAuthenticationToken'],
    ['no api-version', 'T', 'GET', V, undefined, 400, 'MissingApiVersionParameter'],
    [
      'an unknown api-version',
      'T',
      'GET',
      `${V}?api-version=2019-01-01`,
      undefined,
      400,
      'NoRegisteredProviderFound',
    ],
    ['an unknown path', 'T', 'GET', `${V}/nothingHere${q}`, undefined, 404, 'InvalidResourceType'],
    ['an unknown vault', 'T', 'GET', `${V}x${q}`, undefined, 404, 'ResourceNotFound'],
    [
      'an unknown resource group',
      'T',
      'GET',
      `${V.replace('rg-test', 'rg-none')}${q}`,
      undefined,
      404,
      'ResourceGroupNotFound',
    ],
    [
      'an unknown subscription',
      'T',
      'GET',
      `${V.replace(TEST_SUBSCRIPTION, '99999999-2222-4333-8444-555555555555')}${q}`,
      undefined,
      404,
      'SubscriptionNotFound',
    ],
    [
      'an unknown backup instance',
      'T',
      'GET',
      `${V}/backupInstances/nope${q}`,
      undefined,
      404,
      'ResourceNotFound',
    ],
    [
      'an unknown recovery point',
      'T',
      'GET',
      `${BI}/recoveryPoints/nope${q}`,
      undefined,
      404,
      'ResourceNotFound',
    ],
    [
      'an unknown job',
      'T',
      'GET',
      `${V}/backupJobs/00000000-0000-0000-0000-000000000000${q}`,
      undefined,
      404,
      'ResourceNotFound',
    ],
    ['a wrong method', 'T', 'DELETE', `${BI}/restore${q}`, undefined, 405, 'MethodNotAllowed'],
    [
      'a body that is not JSON',
      'T',
      'POST',
      `${BI}/restore${q}`,
      '{"objectType":',
      400,
      'InvalidRequestContent',
    ],
    [
      'a wrong objectType',
      'T',
      'POST',
      `${BI}/restore${q}`,
      {
        objectType: 'Nope',
        sourceDataStoreType: 'VaultStore',
        restoreTargetInfo: { objectType: 'RestoreTargetInfo', recoveryOption: 'FailIfExists' },
      },
      400,
      'BadRequest',
    ],
    [
      'the Learn article validate body',
      'T',
      'POST',
      `${BI}/validateRestore${q}`,
      {
        objectType: 'ValidateRestoreRequestObject',
        restoreRequestObject: exampleBody('BackupInstanceOperations/TriggerRestore.json'),
      },
      400,
      'BadRequest',
    ],
    [
      'a misspelled field (dataSourceInfo)',
      'T',
      'POST',
      `${BI}/restore${q}`,
      (() => {
        const b = structuredClone(exampleBody('BackupInstanceOperations/TriggerRestore.json'));
        b.restoreTargetInfo.dataSourceInfo = b.restoreTargetInfo.datasourceInfo;
        delete b.restoreTargetInfo.datasourceInfo;
        return b;
      })(),
      400,
      'BadRequest',
    ],
  ])('answers %s with ARM status and code', async (_what, tok, method, path, body, status, code) => {
    const res = await arm(emu, tok === 'T' ? token : tok, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(checkAgainstSwagger('CloudError', res.body, 'response').errors).toEqual([]);
  });

  it('refuses a token for the wrong audience and an expired one', async () => {
    const kvToken = await armToken(emu, 'https://vault.azure.net');
    const wrong = await arm(emu, kvToken, 'GET', `${V}${q}`);
    expect(wrong).toMatchObject({
      status: 401,
      body: { error: { code: 'InvalidAuthenticationTokenAudience' } },
    });
    const short = await armToken(emu);
    emu.ctx.tokens.expireAll();
    const expired = await arm(emu, short, 'GET', `${V}${q}`);
    expect(expired).toMatchObject({ status: 401, body: { error: { code: 'ExpiredAuthenticationToken' } } });
    token = await armToken(emu);
  });

  it('the identity endpoint wants its header and a known resource', async () => {
    const noHeader = await fetch(
      `${emu.identityEndpoint}?api-version=2019-08-01&resource=https://management.azure.com`,
    );
    expect(noHeader.status).toBe(401);
    const unknown = await fetch(
      `${emu.identityEndpoint}?api-version=2019-08-01&resource=https://graph.microsoft.com`,
      { headers: { 'X-IDENTITY-HEADER': emu.identityHeader } },
    );
    expect(unknown.status).toBe(400);
  });

  it('every response of a full flow validates against the swagger', async () => {
    const since = emu.ctx.requests.at(-1)?.seq ?? 0;
    await arm(emu, token, 'GET', `${V}${q}`);
    await arm(emu, token, 'GET', `${V}/backupInstances${q}`);
    await arm(emu, token, 'GET', `${BI}${q}`);
    await arm(emu, token, 'GET', `${V}/backupInstances/bi-flex?api-version=2021-07-01`);
    // Paging with a page size of 2 over 3 points: two pages, nextLink followed as given.
    const page1 = await arm(emu, token, 'GET', `${BI}/recoveryPoints${q}`);
    expect(page1.body.value).toHaveLength(2);
    const page2 = await arm(emu, token, 'GET', page1.body.nextLink);
    expect(page2.body.value).toHaveLength(1);
    expect(page2.body.nextLink).toBeUndefined();
    const points = [...page1.body.value, ...page2.body.value];
    await arm(emu, token, 'GET', `${BI}/recoveryPoints/${points[0].name}${q}`);
    const newest = points.find(
      (p: any) => p.properties.recoveryPointDataStoresDetails[0].type === 'VaultStore',
    );
    const restore = {
      objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
      recoveryPointId: newest.name,
      sourceDataStoreType: 'VaultStore',
      restoreTargetInfo: {
        objectType: 'RestoreFilesTargetInfo',
        recoveryOption: 'FailIfExists',
        targetDetails: {
          filePrefix: 'contract',
          restoreTargetLocationType: 'AzureBlobs',
          url: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
        },
      },
    };
    const v = await arm(emu, token, 'POST', `${BI}/validateRestore${q}`, { restoreRequestObject: restore });
    // Each answer along the way (202 while running, then the results) is checked against the swagger below.
    await arm(emu, token, 'GET', v.headers.get('location')!);
    await armUntil(emu, token, v.headers.get('azure-asyncoperation')!, operationEnded);
    await arm(emu, token, 'GET', v.headers.get('location')!);
    const r = await arm(emu, token, 'POST', `${BI}/restore${q}`, restore);
    await arm(emu, token, 'GET', r.headers.get('azure-asyncoperation')!);
    const done = await armUntil(emu, token, r.headers.get('azure-asyncoperation')!, operationEnded);
    expect(done.body.status).toBe('Succeeded');
    const result = await arm(emu, token, 'GET', r.headers.get('location')!);
    expect(result.status).toBe(200);
    // The final Location answer hands out a location-scoped Azure-AsyncOperation (OperationStatus_Get).
    await arm(emu, token, 'GET', result.headers.get('azure-asyncoperation')!);
    const opId = decodeURIComponent(
      new URL(r.headers.get('azure-asyncoperation')!).pathname.split('/').pop()!,
    );
    await arm(emu, token, 'GET', `${V}/operationStatus/${encodeURIComponent(opId)}${q}`);
    await arm(
      emu,
      token,
      'GET',
      `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/operationStatus/${encodeURIComponent(opId)}${q}`,
    );
    const jobId = done.body.properties.jobId.split('/').pop();
    await arm(emu, token, 'GET', `${V}/backupJobs/${jobId}${q}`);
    const ended = await armUntil(emu, token, `${V}/backupJobs/${jobId}${q}`, jobEnded);
    expect(ended.body.properties.status).toBe('Completed');
    await arm(emu, token, 'GET', `${V}/backupJobs${q}`);

    const armResponses = emu.ctx.requests.filter((x) => x.seq > since && x.service === 'arm');
    const operations = new Set<string>();
    for (const entry of armResponses) {
      const { op } = swaggerOperation(entry.operation!);
      const responses = op.responses as Record<string, { schema?: { $ref?: string } }>;
      const ref = (responses[String(entry.status)] ?? responses.default)?.schema?.$ref;
      if (!ref) {
        expect(
          entry.responseBody,
          `${entry.operation} ${entry.status} has no body in the swagger`,
        ).toBeUndefined();
      } else {
        const def = ref.replace('#/definitions/', '');
        expect(
          checkAgainstSwagger(def, entry.responseBody, 'response').errors,
          `${entry.operation} ${entry.status} vs ${def}`,
        ).toEqual([]);
      }
      operations.add(`${entry.operation} ${entry.status}`);
    }
    expect([...operations].sort()).toEqual(
      [
        'BackupInstances_Get 200',
        'BackupInstances_List 200',
        'BackupInstances_TriggerRestore 202',
        'BackupInstances_ValidateForRestore 202',
        'BackupVaults_Get 200',
        'Jobs_Get 200',
        'Jobs_List 200',
        'OperationResult_Get 200',
        'OperationResult_Get 202',
        'OperationStatusBackupVaultContext_Get 200',
        'OperationStatusResourceGroupContext_Get 200',
        'OperationStatus_Get 200',
        'RecoveryPoints_Get 200',
        'RecoveryPoints_List 200',
      ].sort(),
    );
  });

  it('answers a same-region restore as files as the recordings show (RECORDINGS.md sections 1 and 5)', async () => {
    const flexBi = `${V}/backupInstances/bi-flex`;
    const point = emu.ctx.vaults.get('vault-test')!.instances.get('bi-flex')!.points.at(-1)!;
    const restore = {
      objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
      recoveryPointId: point.id,
      sourceDataStoreType: 'VaultStore',
      restoreTargetInfo: {
        objectType: 'RestoreFilesTargetInfo',
        recoveryOption: 'FailIfExists',
        targetDetails: {
          filePrefix: 'recorded',
          restoreTargetLocationType: 'AzureBlobs',
          url: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
        },
      },
    };
    const timings = emu.ctx.config.timings;
    const saved = { timings: structuredClone(timings), jobIdStyle: emu.ctx.config.jobIdStyle };
    // The emulator's defaults: no Retry-After; and the stamp that writes jobId .../resourcegroups/.../BackupVaults/.
    delete timings.validate.retryAfterSeconds;
    delete timings.restoreOperation.retryAfterSeconds;
    emu.ctx.config.jobIdStyle = 'armIdStampCasing';
    try {
      const v = await arm(emu, token, 'POST', `${flexBi}/validateRestore${q}`, {
        restoreRequestObject: restore,
      });
      expect(v.status).toBe(202);
      expect(v.body).toBeUndefined();
      expect(v.headers.get('content-length')).toBe('0');
      expect(v.headers.get('content-type')).toBeNull();
      expect(v.headers.get('retry-after')).toBeNull();
      expect(Number(v.headers.get('x-ms-ratelimit-remaining-subscription-writes'))).toBeGreaterThan(1190);
      const aao = v.headers.get('azure-asyncoperation')!;
      expect(new URL(aao).pathname).toMatch(/\/backupVaults\/vault-test\/operationStatus\/[^/]+$/);
      const running = await arm(emu, token, 'GET', aao);
      expect(running.headers.get('retry-after')).toBeNull();
      if (running.body.status !== 'Succeeded') {
        // Exactly these keys while running: no properties, the .NET zero date as endTime.
        expect(Object.keys(running.body).sort()).toEqual(['endTime', 'id', 'name', 'startTime', 'status']);
        expect(running.body).toMatchObject({ status: 'Inprogress', endTime: '0001-01-01T00:00:00Z' });
      }
      const validated = await armUntil(emu, token, aao, operationEnded);
      expect(validated.body.status).toBe('Succeeded');
      expect(validated.body.endTime).toMatch(/T\d\d:\d\d:\d\dZ$/); // whole seconds
      expect(validated.body.properties).toBeUndefined(); // a validation has no job
      const vResult = await arm(emu, token, 'GET', v.headers.get('location')!);
      expect(vResult).toMatchObject({ status: 200, body: { objectType: 'OperationJobExtendedInfo' } });
      expect(vResult.body.jobId).toBeUndefined();
      expect(new URL(vResult.headers.get('azure-asyncoperation')!).pathname).toMatch(
        new RegExp(
          `^/subscriptions/${TEST_SUBSCRIPTION}/providers/Microsoft\\.DataProtection/locations/[^/]+/operationStatus/[^/]+$`,
        ),
      );
      const reads = Number(vResult.headers.get('x-ms-ratelimit-remaining-subscription-resource-requests'));
      expect(reads).toBeGreaterThanOrEqual(100);
      expect(reads).toBeLessThan(300);
      // The location-scoped AAO it hands out is a route too.
      expect((await arm(emu, token, 'GET', vResult.headers.get('azure-asyncoperation')!)).body.status).toBe(
        'Succeeded',
      );

      const r = await arm(emu, token, 'POST', `${flexBi}/restore${q}`, restore);
      expect(r.status).toBe(202);
      const done = await armUntil(emu, token, r.headers.get('azure-asyncoperation')!, operationEnded);
      expect(done.body.properties).toEqual({
        jobId: expect.any(String),
        objectType: 'OperationJobExtendedInfo',
      });
      expect(done.body.properties.jobId).toMatch(
        new RegExp(
          `^/subscriptions/${TEST_SUBSCRIPTION}/resourcegroups/rg-test/providers/Microsoft\\.DataProtection/BackupVaults/vault-test/backupJobs/[0-9a-f-]{36}$`,
        ),
      );
      const rResult = await arm(emu, token, 'GET', r.headers.get('location')!);
      expect(rResult.body).toEqual({
        jobId: done.body.properties.jobId,
        objectType: 'OperationJobExtendedInfo',
      });

      const jobUrl = `${V}/backupJobs/${done.body.properties.jobId.split('/').pop()}${q}`;
      const first = await arm(emu, token, 'GET', jobUrl);
      expect(
        Number(first.headers.get('x-ms-ratelimit-remaining-subscription-resource-requests')),
      ).toBeLessThan(300);
      const job = (await armUntil(emu, token, jobUrl, jobEnded)).body;
      const p = job.properties;
      expect(p).toMatchObject({
        status: 'Completed',
        operationCategory: 'Restore',
        operation: 'Restore',
        supportedActions: [''],
        dataSourceSetName: null,
        sourceDataStoreName: null,
        destinationDataStoreName: null,
        restoreType: null,
        progressUrl: null,
        isCrossRegionRestore: null,
        errorDetails: null,
        etag: expect.stringMatching(/^W\/"datetime'.+'"$/),
        extendedInfo: {
          backupInstanceState: null,
          dataTransferredInBytes: null,
          targetRecoverPoint: null,
          warningDetails: null,
          sourceRecoverPoint: { recoveryPointID: point.id, recoveryPointTime: expect.any(String) },
          recoveryDestination: restore.restoreTargetInfo.targetDetails.url,
          additionalDetails: { 'Restore File Prefix': 'recorded' },
        },
      });
      expect(p.duration).toMatch(/^PT(\d+H)?(\d+M)?(\d+(\.\d{1,7})?S)?$/);
      expect(p.duration).not.toBe('PT0S');
      const task = p.extendedInfo.subTasks.find((t: any) => t.taskName === 'Trigger Restore');
      expect(task).toMatchObject({
        taskStatus: 'Completed',
        taskProgress: null,
        additionalDetails: {
          DataTransferredInBytes: expect.stringMatching(/^\d+$/),
          TaskId: p.activityID,
          DatasourceType: 'Microsoft.DBforPostgreSQL/flexibleServers',
        },
      });
      // No file names anywhere in the job: only the container and the prefix.
      expect(JSON.stringify(job)).not.toMatch(/\.dump/);
      expect(checkAgainstSwagger('AzureBackupJobResource', job, 'response').errors).toEqual([]);
    } finally {
      emu.ctx.config.timings = saved.timings;
      emu.ctx.config.jobIdStyle = saved.jobIdStyle;
    }
  });

  it('the recovery point filter selects by time, as az CLI formats it', async () => {
    const all = (await arm(emu, token, 'GET', `${BI}/recoveryPoints${q}&$top=50`)).body;
    const first = [...all.value];
    let next = all.nextLink;
    while (next) {
      const p = (await arm(emu, token, 'GET', next)).body;
      first.push(...p.value);
      next = p.nextLink;
    }
    const times = first.map((p: any) => p.properties.recoveryPointTime).sort();
    const fmt = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$10000Z');
    const filter = `startDate eq '${fmt(times[1])}' and endDate eq '${fmt(times[2])}'`;
    const res = await arm(
      emu,
      token,
      'GET',
      `${BI}/recoveryPoints${q}&$filter=${encodeURIComponent(filter)}`,
    );
    expect(res.body.value.map((p: any) => p.properties.recoveryPointTime).sort()).toEqual([
      times[1],
      times[2],
    ]);
    const bad = await arm(
      emu,
      token,
      'GET',
      `${BI}/recoveryPoints${q}&$filter=${encodeURIComponent('rpTime gt 3')}`,
    );
    expect(bad.status).toBe(400);
  });
});
