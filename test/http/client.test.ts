/**
 * The client against a real HTTPS server on 127.0.0.1 (TLS trusted through NODE_EXTRA_CA_CERTS, as with the
 * emulator): paging, asynchronous operations, throttling, retries, token confinement and authentication.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataProtectionClient } from '../../src/lib/dataprotection/client';
import { AuthenticationError, DataProtectionError } from '../../src/lib/dataprotection/errors';
import { ForeignOriginError, type RetryOptions } from '../../src/lib/dataprotection/pipeline';
import { buildRestoreRequest, buildValidateRestoreRequest } from '../../src/lib/dataprotection/requests';
import { seedFixture } from '../support/fixtures';
import { startHttpsServer, StaticTokenCredential, type TestHttpsServer } from '../support/httpsServer';
import { exampleResponse } from '../../emulator/swagger';

const SUB = '04cf684a-d41f-4550-9f70-7708a3a2283b';
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault1`;
const BI = `${VAULT}/backupInstances/srv-db-1`;
const SOURCE = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/srv/databases/db`;
const TARGET = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/srv/databases/pgdrill-1`;
const AUDIENCE = 'https://management.azure.com';

let arm: TestHttpsServer;
let foreign: TestHttpsServer;
let credential: StaticTokenCredential;

function client(
  apiVersion = '2026-06-01',
  retry: RetryOptions = { retryDelayInMs: 50, maxRetryDelayInMs: 200 },
): DataProtectionClient {
  return new DataProtectionClient({
    settings: {
      DATAPROTECTION_ENDPOINT: arm.origin,
      DATAPROTECTION_AUDIENCE: AUDIENCE,
      DATAPROTECTION_API_VERSION: apiVersion,
    },
    credential,
    retry,
  });
}

function restoreBody(apiVersion = '2026-06-01') {
  return buildRestoreRequest({
    apiVersion,
    sourceDatasourceId: SOURCE,
    recoveryPointId: 'rp1',
    sourceDataStoreType: 'VaultStore',
    target: {
      kind: 'database',
      targetDatabaseId: TARGET,
      secretUri: 'https://kv1.vault.azure.net/secrets/pg-target',
    },
  });
}

function path(url: string): string {
  return new URL(url, 'https://x').pathname;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

beforeAll(async () => {
  arm = await startHttpsServer();
  foreign = await startHttpsServer(() => ({ status: 200, body: { status: 'Succeeded' } }));
});
afterAll(async () => {
  await arm.close();
  await foreign.close();
});
afterEach(() => {
  arm.requests.length = 0;
  foreign.requests.length = 0;
  credential = new StaticTokenCredential();
});
credential = new StaticTokenCredential();

describe('Data Protection client over HTTPS', () => {
  it('lists recovery points over three pages, following nextLink unchanged, with the OData date filter', async () => {
    const rp = exampleResponse('BackupInstanceOperations/ListRecoveryPoints.json', '200').body.value[0];
    arm.setHandler((req, origin) => {
      const u = new URL(req.url, origin);
      const page = u.searchParams.get('$skipToken');
      const next = (token: string) =>
        `${origin}${u.pathname}?api-version=2026-06-01&$filter=${encodeURIComponent(u.searchParams.get('$filter') ?? '')}&$skipToken=${token}`;
      const item = (n: string) => ({
        ...rp,
        name: n,
        id: `${BI}/recoveryPoints/${n}`,
        properties: { ...rp.properties, recoveryPointId: n },
      });
      if (!page) return { status: 200, body: { value: [item('a'), item('b')], nextLink: next('p2') } };
      if (page === 'p2') return { status: 200, body: { value: [item('c')], nextLink: next('p3') } };
      return { status: 200, body: { value: [item('d')] } };
    });
    const points = await all(
      client().listRecoveryPoints(BI, {
        startDate: new Date('2026-11-01T00:00:00Z'),
        endDate: new Date('2026-11-27T12:30:00.123Z'),
      }),
    );
    expect(points.map((p) => p.properties.recoveryPointId)).toEqual(['a', 'b', 'c', 'd']);
    expect(arm.requests).toHaveLength(3);
    const first = new URL(arm.requests[0]!.url, arm.origin);
    expect(first.pathname).toBe(`${BI}/recoveryPoints`);
    expect(first.searchParams.get('api-version')).toBe('2026-06-01');
    expect(first.searchParams.get('$filter')).toBe(
      "startDate eq '2026-11-01T00:00:00.0000000Z' and endDate eq '2026-11-27T12:30:00.1230000Z'",
    );
    expect(new URL(arm.requests[2]!.url, arm.origin).searchParams.get('$skipToken')).toBe('p3');
    // nextLink already carries api-version: it was not added a second time.
    expect(new URL(arm.requests[1]!.url, arm.origin).searchParams.getAll('api-version')).toEqual([
      '2026-06-01',
    ]);
    for (const r of arm.requests) {
      expect(r.headers.authorization).toBe('Bearer test-token');
      expect(r.headers['user-agent']).toMatch(/^pg-restore-drill\/0\.1\.0/);
      expect(r.headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(credential.calls[0]).toEqual([`${AUDIENCE}/.default`]);
  });

  it('serves every official example response through the client: vault, instances, points, jobs', async () => {
    const bodies: Record<string, unknown> = {
      [VAULT]: exampleResponse('VaultCRUD/GetBackupVault.json', '200').body,
      [`${VAULT}/backupInstances`]: exampleResponse(
        'BackupInstanceOperations/ListBackupInstances.json',
        '200',
      ).body,
      [BI]: exampleResponse('BackupInstanceOperations/GetBackupInstance.json', '200').body,
      [`${BI}/recoveryPoints`]: exampleResponse('BackupInstanceOperations/ListRecoveryPoints.json', '200')
        .body,
      [`${BI}/recoveryPoints/7fb2cddd-c5b3-44f6-a0d9-db3c4f9d5f25`]: exampleResponse(
        'BackupInstanceOperations/GetRecoveryPoint.json',
        '200',
      ).body,
      [`${VAULT}/backupJobs`]: exampleResponse('JobCRUD/ListJobs.json', '200').body,
      [`${VAULT}/backupJobs/3c60cb49-63e8-4b21-b9bd-26277b3fdfae`]: exampleResponse(
        'JobCRUD/GetJob.json',
        '200',
      ).body,
    };
    arm.setHandler((req) => {
      const body = bodies[path(req.url)];
      return body
        ? { status: 200, body }
        : { status: 404, body: { error: { code: 'ResourceNotFound', message: path(req.url) } } };
    });
    const c = client();
    expect((await c.getBackupVault(VAULT)).properties.storageSettings?.[0]?.datastoreType).toBe('VaultStore');
    expect((await all(c.listBackupInstances(VAULT)))[0]!.properties.dataSourceInfo.resourceID).toContain(
      '/databases/testdb',
    );
    expect((await c.getBackupInstance(BI)).properties.protectionStatus?.status).toBe('NotProtected');
    expect((await all(c.listRecoveryPoints(BI))).map((p) => p.properties.recoveryPointState)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(
      (await c.getRecoveryPoint(BI, '7fb2cddd-c5b3-44f6-a0d9-db3c4f9d5f25')).properties.recoveryPointTime,
    ).toBeTruthy();
    const jobs = await all(c.listJobs(VAULT));
    expect(jobs.length).toBeGreaterThan(1);
    expect(jobs.every((j) => typeof j.properties.status === 'string')).toBe(true);
    const job = await c.getJob(VAULT, `${VAULT}/backupJobs/3c60cb49-63e8-4b21-b9bd-26277b3fdfae`);
    expect(job.properties).toMatchObject({ status: 'Started', operation: 'Backup', duration: '00:00:00' });
    await expect(c.getJob(VAULT, 'missing')).rejects.toMatchObject({
      code: 'ResourceNotFound',
      data: { httpStatus: 404 },
    });
  });

  it('validateRestore: 202 with Azure-AsyncOperation + Retry-After, then Inprogress, then Succeeded', async () => {
    let polls = 0;
    arm.setHandler((req, origin) => {
      if (req.method === 'POST') {
        return {
          status: 202,
          headers: {
            'Azure-AsyncOperation': `${origin}/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationStatus/op1?api-version=2026-06-01`,
            Location: `${origin}/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationResults/op1?api-version=2026-06-01`,
            'Retry-After': '10',
          },
        };
      }
      polls++;
      return polls === 1
        ? { status: 200, headers: { 'Retry-After': '20' }, body: seedFixture('operation-inprogress.json') }
        : { status: 200, body: seedFixture('operation-succeeded-validate.json') };
    });
    const c = client();
    const body = buildValidateRestoreRequest(restoreBody());
    let state = await c.validateRestore(BI, body);
    expect(state).toMatchObject({
      status: 'running',
      pollKind: 'azureAsyncOperation',
      retryAfterSeconds: 10,
    });
    const post = arm.requests[0]!;
    expect(post.method).toBe('POST');
    expect(path(post.url)).toBe(`${BI}/validateRestore`);
    expect(post.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post.body)).toEqual(body);
    state = await c.pollOperation(state);
    expect(state).toMatchObject({ status: 'running', serviceStatus: 'Inprogress', retryAfterSeconds: 20 });
    state = await c.pollOperation(state);
    expect(state).toMatchObject({ status: 'succeeded', polls: 2 });
    expect(arm.requests.map((r) => path(r.url))).toEqual([
      `${BI}/validateRestore`,
      `/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationStatus/op1`,
      `/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationStatus/op1`,
    ]);
  });

  it('restore: 202 with Location only is followed to the job id (2021-07-01 api-version)', async () => {
    let polls = 0;
    arm.setHandler((req, origin) => {
      if (req.method === 'POST')
        return {
          status: 202,
          headers: {
            Location: `${origin}/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationResults/op2?api-version=2021-07-01`,
          },
        };
      polls++;
      if (polls < 3) return { status: 202, headers: { 'Retry-After': '5' } };
      return {
        status: 200,
        body: {
          objectType: 'OperationJobExtendedInfo',
          jobId: `${VAULT}/backupJobs/11111111-2222-3333-4444-555555555555`,
        },
      };
    });
    const c = client('2021-07-01');
    // A body built for 2026-06-01 carries sourceResourceId, which 2021-07-01 does not define: refused unsent.
    await expect(c.triggerRestore(BI, restoreBody())).rejects.toThrow(
      /\/sourceResourceId: not defined by api-version 2021-07-01/,
    );
    expect(arm.requests).toHaveLength(0);
    let state = await c.triggerRestore(BI, restoreBody('2021-07-01'));
    expect(state).toMatchObject({ status: 'running', pollKind: 'location' });
    expect(state.retryAfterSeconds).toBeUndefined(); // none sent: the orchestrator's own schedule applies
    expect(new URL(arm.requests[0]!.url, arm.origin).searchParams.get('api-version')).toBe('2021-07-01');
    expect(JSON.parse(arm.requests[0]!.body)).not.toHaveProperty('sourceResourceId');
    while (state.status === 'running') state = await c.pollOperation(state);
    expect(state).toMatchObject({
      status: 'succeeded',
      jobId: '11111111-2222-3333-4444-555555555555',
      polls: 3,
    });
  });

  it("a Failed operation carries the seed's UserErrorRestoreToLowerVersion with message and action", async () => {
    arm.setHandler((req, origin) =>
      req.method === 'POST'
        ? {
            status: 202,
            headers: {
              'Azure-AsyncOperation': `${origin}/op/status/3?api-version=2026-06-01`,
              'Retry-After': '10',
            },
          }
        : { status: 200, body: seedFixture('operation-failed-lower-version.json') },
    );
    const c = client();
    const state = await c.pollOperation(
      await c.validateRestore(BI, buildValidateRestoreRequest(restoreBody())),
    );
    expect(state.status).toBe('failed');
    expect(state.error).toMatchObject({
      code: 'UserErrorRestoreToLowerVersion',
      message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
      recommendedActions: [
        'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
      ],
    });
  });

  it('429 with Retry-After is retried after the delay the server asked for', async () => {
    let n = 0;
    arm.setHandler(() => {
      n++;
      return n === 1
        ? {
            status: 429,
            headers: { 'Retry-After': '1' },
            body: { error: { code: 'TooManyRequests', message: 'throttled' } },
          }
        : {
            status: 200,
            body: exampleResponse('BackupInstanceOperations/GetBackupInstance.json', '200').body,
          };
    });
    const bi = await client().getBackupInstance(BI);
    expect(bi.name).toBe('harshitbi2');
    expect(arm.requests).toHaveLength(2);
    expect(arm.requests[1]!.at - arm.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('x-ms-retry-after-ms on 503 is honoured too', async () => {
    let n = 0;
    arm.setHandler(() =>
      ++n === 1
        ? { status: 503, headers: { 'x-ms-retry-after-ms': '300' } }
        : { status: 200, body: exampleResponse('VaultCRUD/GetBackupVault.json', '200').body },
    );
    await client().getBackupVault(VAULT);
    expect(arm.requests[1]!.at - arm.requests[0]!.at).toBeGreaterThanOrEqual(280);
  });

  it('500 then success is retried transparently; a connection reset too', async () => {
    let n = 0;
    arm.setHandler(() => {
      n++;
      if (n === 1) return { status: 500, body: { error: { code: 'InternalServerError', message: 'oops' } } };
      if (n === 2) return { status: 200, reset: true };
      return { status: 200, body: exampleResponse('VaultCRUD/GetBackupVault.json', '200').body };
    });
    expect((await client().getBackupVault(VAULT)).name).toBe('swaggerExample');
    expect(arm.requests).toHaveLength(3);
  });

  it('persistent 503 gives up after maxRetries with a retryable DataProtectionError', async () => {
    arm.setHandler(() => ({ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'down' } } }));
    const err = await client('2026-06-01', {
      retryDelayInMs: 10,
      maxRetryDelayInMs: 20,
      maxRetries: 2,
    })
      .getBackupVault(VAULT)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataProtectionError);
    expect(err).toMatchObject({ code: 'ServiceUnavailable', data: { isRetryable: true, httpStatus: 503 } });
    expect(arm.requests).toHaveLength(3);
  });

  it('a restore POST is not replayed after a 500 (Azure may have accepted it)', async () => {
    arm.setHandler(() => ({
      status: 500,
      body: { error: { code: 'InternalServerError', message: 'oops' } },
    }));
    await expect(client().triggerRestore(BI, restoreBody())).rejects.toMatchObject({
      code: 'InternalServerError',
    });
    expect(arm.requests).toHaveLength(1);
  });

  it('a poll URL on a foreign origin is refused and no request reaches that origin', async () => {
    arm.setHandler(() => ({
      status: 202,
      headers: {
        'Azure-AsyncOperation': `${foreign.origin}/steal?api-version=2026-06-01`,
        'Retry-After': '10',
      },
    }));
    const err = await client()
      .validateRestore(BI, buildValidateRestoreRequest(restoreBody()))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignOriginError);
    expect((err as Error).message).toMatch(/not the configured Data Protection endpoint/);
    // Even a state crafted by hand (e.g. read back from history) is refused before sending.
    const crafted = {
      operation: 'restore',
      status: 'running' as const,
      pollUrl: `${foreign.origin}/x`,
      pollKind: 'azureAsyncOperation' as const,
      retryAfterSeconds: 1,
      polls: 0,
    };
    await expect(client().pollOperation(crafted)).rejects.toBeInstanceOf(ForeignOriginError);
    expect(foreign.requests).toHaveLength(0);
  });

  it('a foreign Azure-AsyncOperation beside an own Location: Location is followed, the foreign URL never called', async () => {
    const jobArmId = `${VAULT}/backupJobs/5f2a3c1e-1111-4222-8333-444455556666`;
    let locationPolls = 0;
    arm.setHandler((req, origin) => {
      const u = new URL(req.url, origin);
      if (req.method === 'POST')
        return {
          status: 202,
          headers: {
            'Azure-AsyncOperation': `${foreign.origin}/steal?api-version=2026-06-01`,
            Location: `${origin}/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationResults/op1?api-version=2026-06-01`,
          },
        };
      if (u.pathname.endsWith('/operationResults/op1'))
        return ++locationPolls < 2
          ? { status: 202, headers: { Location: `${origin}${u.pathname}${u.search}` } }
          : { status: 200, body: { objectType: 'OperationJobExtendedInfo', jobId: jobArmId } };
      return { status: 404 };
    });
    for (const start of [
      () => client().validateRestore(BI, buildValidateRestoreRequest(restoreBody())),
      () => client().triggerRestore(BI, restoreBody()),
    ]) {
      locationPolls = 0;
      let state = await start();
      expect(state).toMatchObject({ status: 'running', pollKind: 'location' });
      expect(state.locationUrl).toBe(state.pollUrl);
      while (state.status === 'running') state = await client().pollOperation(state);
      expect(state).toMatchObject({ status: 'succeeded', jobId: '5f2a3c1e-1111-4222-8333-444455556666' });
      expect(locationPolls).toBe(2);
    }
    expect(foreign.requests).toHaveLength(0);
  });

  it('both Azure-AsyncOperation and Location on a foreign origin: refused, nothing sent there', async () => {
    arm.setHandler(() => ({
      status: 202,
      headers: {
        'Azure-AsyncOperation': `${foreign.origin}/steal?api-version=2026-06-01`,
        Location: `${foreign.origin}/steal-too?api-version=2026-06-01`,
      },
    }));
    await expect(client().triggerRestore(BI, restoreBody())).rejects.toBeInstanceOf(ForeignOriginError);
    expect(foreign.requests).toHaveLength(0);
  });

  it('an own Azure-AsyncOperation beside a foreign Location: the foreign Location is not kept for later', async () => {
    arm.setHandler((req, origin) => ({
      status: 202,
      headers: {
        'Azure-AsyncOperation': `${origin}/subscriptions/${SUB}/providers/Microsoft.DataProtection/locations/westus/operationStatus/op2?api-version=2026-06-01`,
        Location: `${foreign.origin}/steal?api-version=2026-06-01`,
      },
    }));
    const state = await client().triggerRestore(BI, restoreBody());
    expect(state.pollKind).toBe('azureAsyncOperation');
    expect(state.locationUrl).toBeUndefined();
  });

  it('a nextLink on a foreign origin is refused and no request reaches that origin', async () => {
    arm.setHandler(() => ({
      status: 200,
      body: { value: [], nextLink: `${foreign.origin}/subscriptions/x/page2` },
    }));
    await expect(all(client().listJobs(VAULT))).rejects.toBeInstanceOf(ForeignOriginError);
    expect(foreign.requests).toHaveLength(0);
  });

  it('401 surfaces as an authentication error that names the audience', async () => {
    arm.setHandler(() => ({
      status: 401,
      body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } },
    }));
    const err = await client()
      .getBackupInstance(BI)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('InvalidAuthenticationToken');
    expect((err as Error).message).toContain(`audience ${AUDIENCE}`);
    expect((err as Error).message).toContain('DATAPROTECTION_AUDIENCE');
  });

  it('a credential that cannot produce a token surfaces as an authentication error naming the scope', async () => {
    const failing = {
      getToken: () => {
        const e = new Error('ManagedIdentityCredential: no endpoint');
        e.name = 'CredentialUnavailableError';
        return Promise.reject(e);
      },
    };
    const c = new DataProtectionClient({
      settings: {
        DATAPROTECTION_ENDPOINT: arm.origin,
        DATAPROTECTION_AUDIENCE: AUDIENCE,
        DATAPROTECTION_API_VERSION: '2026-06-01',
      },
      credential: failing,
    });
    const err = await c.getBackupInstance(BI).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain(`${AUDIENCE}/.default`);
    expect(arm.requests).toHaveLength(0);
  });

  it('a response that lacks what the client relies on is refused with the field named', async () => {
    arm.setHandler(() => ({ status: 200, body: { id: BI, name: 'x', properties: {} } }));
    await expect(client().getBackupInstance(BI)).rejects.toMatchObject({
      code: 'InvalidResponseBody',
      message: expect.stringContaining('/properties/dataSourceInfo'),
    });
  });

  it('the restore trigger sends the bare request and the Resource Guard auxiliary token when given', async () => {
    arm.setHandler(() => ({ status: 200, body: { objectType: 'OperationJobExtendedInfo', jobId: 'j-9' } }));
    const state = await client().triggerRestore(BI, restoreBody(), { auxiliaryToken: 'aux' });
    expect(state).toMatchObject({ status: 'succeeded', jobId: 'j-9' });
    expect(arm.requests[0]!.headers['x-ms-authorization-auxiliary']).toBe('Bearer aux');
    expect(JSON.parse(arm.requests[0]!.body)).toEqual(restoreBody());
  });
});
