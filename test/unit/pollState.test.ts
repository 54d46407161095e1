import { describe, expect, it } from 'vitest';
import {
  jobGuidOf,
  mapOperationStatus,
  nextPollState,
  operationEndTime,
  parseRetryAfterSeconds,
  startPollState,
} from '../../src/lib/dataprotection/pollState';
import { exampleResponse } from '../../emulator/swagger';
import { headers, seedFixture } from '../support/fixtures';

const now = new Date('2026-11-27T10:00:00Z');
const ASYNC =
  'https://management.azure.com/subscriptions/s/providers/Microsoft.DataProtection/locations/westus/operationStatus/op1?api-version=2026-06-01';
const LOCATION =
  'https://management.azure.com/subscriptions/s/providers/Microsoft.DataProtection/locations/westus/operationResults/op1?api-version=2026-06-01';

describe('poll state', () => {
  it('a foreign Azure-AsyncOperation gives way to an own Location; neither own: the foreign URL, for the client to refuse', () => {
    const own = (url: string) => new URL(url).origin === 'https://management.azure.com';
    const FOREIGN = 'https://attacker.example/op1';
    const start = (h: Record<string, string>) =>
      startPollState('restore', { status: 202, headers: headers(h), body: undefined }, now, own);
    expect(start({ 'Azure-AsyncOperation': FOREIGN, Location: LOCATION })).toMatchObject({
      pollUrl: LOCATION,
      pollKind: 'location',
      locationUrl: LOCATION,
    });
    const ownAsync = start({ 'Azure-AsyncOperation': ASYNC, Location: FOREIGN });
    expect(ownAsync).toMatchObject({ pollUrl: ASYNC, pollKind: 'azureAsyncOperation' });
    expect(ownAsync.locationUrl).toBeUndefined();
    expect(start({ 'Azure-AsyncOperation': FOREIGN, Location: `${FOREIGN}/loc` })).toMatchObject({
      pollUrl: FOREIGN,
      pollKind: 'azureAsyncOperation',
    });
  });

  it('a 202 with both headers polls Azure-AsyncOperation and keeps Location; Retry-After in seconds', () => {
    const s = startPollState(
      'restore',
      {
        status: 202,
        headers: headers({ 'Azure-AsyncOperation': ASYNC, Location: LOCATION, 'Retry-After': '30' }),
        body: undefined,
      },
      now,
    );
    expect(s).toEqual({
      operation: 'restore',
      status: 'running',
      pollUrl: ASYNC,
      pollKind: 'azureAsyncOperation',
      locationUrl: LOCATION,
      retryAfterSeconds: 30,
      polls: 0,
    });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain JSON, fit for orchestration history
  });

  it('the official 202 example headers start a poll exactly as given (even its odd URL suffix)', () => {
    const h = exampleResponse('BackupInstanceOperations/TriggerRestore.json', '202').headers!;
    const s = startPollState('restore', { status: 202, headers: headers(h), body: undefined }, now);
    expect(s.pollUrl).toBe(h['Azure-AsyncOperation']);
    expect(s.locationUrl).toBe(h.Location);
    expect(s.retryAfterSeconds).toBe(h['Retry-After'] === undefined ? undefined : Number(h['Retry-After']));
  });

  it('a 202 with Location only polls Location; no Retry-After leaves the wait to the poller', () => {
    const s = startPollState(
      'validateRestore',
      { status: 202, headers: headers({ Location: LOCATION }), body: undefined },
      now,
    );
    expect(s.pollKind).toBe('location');
    expect(s.pollUrl).toBe(LOCATION);
    expect(s.retryAfterSeconds).toBeUndefined();
    expect('retryAfterSeconds' in s).toBe(false); // plain JSON: no undefined field in history
  });

  it('a 200 completes at once with the job id of the official example (bare GUID)', () => {
    const body = exampleResponse('BackupInstanceOperations/TriggerRestore.json', '200').body;
    const s = startPollState('restore', { status: 200, headers: headers(), body }, now);
    expect(s.status).toBe('succeeded');
    expect(s.jobId).toBe('c60cb49-63e8-4b21-b9bd-26277b3fdfae');
  });

  it('a 202 without either header is a protocol error', () => {
    expect(() =>
      startPollState('restore', { status: 202, headers: headers(), body: undefined }, now),
    ).toThrow(/Azure-AsyncOperation or Location/);
  });

  it('Retry-After as an HTTP date is relative to now; garbage counts as none', () => {
    expect(parseRetryAfterSeconds('Fri, 27 Nov 2026 10:00:45 GMT', now)).toBe(45);
    expect(parseRetryAfterSeconds('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterSeconds('soon', now)).toBeUndefined();
    expect(parseRetryAfterSeconds(undefined, now)).toBeUndefined();
    expect(parseRetryAfterSeconds('10', now)).toBe(10);
  });

  it('maps status case-insensitively; only Succeeded, Failed and Canceled are terminal', () => {
    expect(mapOperationStatus('Inprogress')).toBe('running');
    expect(mapOperationStatus('InProgress')).toBe('running');
    expect(mapOperationStatus('SUCCEEDED')).toBe('succeeded');
    expect(mapOperationStatus('failed')).toBe('failed');
    expect(mapOperationStatus('Canceled')).toBe('canceled');
    expect(mapOperationStatus('Accepted')).toBe('running');
    expect(mapOperationStatus('Deleting')).toBe('running');
  });

  const running = startPollState(
    'validateRestore',
    {
      status: 202,
      headers: headers({ 'Azure-AsyncOperation': ASYNC, Location: LOCATION, 'Retry-After': '10' }),
      body: undefined,
    },
    now,
  );

  it("the seed's Inprogress answer keeps the operation running and takes the new Retry-After", () => {
    const s = nextPollState(
      running,
      {
        status: 200,
        headers: headers({ 'Retry-After': '15' }),
        body: seedFixture('operation-inprogress.json'),
      },
      now,
    );
    expect(s.status).toBe('running');
    expect(s.serviceStatus).toBe('Inprogress');
    expect(s.retryAfterSeconds).toBe(15);
    expect(s.polls).toBe(1);
    expect(s.pollUrl).toBe(ASYNC);
  });

  it("the seed's failed validation carries UserErrorRestoreToLowerVersion with its message and action", () => {
    const s = nextPollState(
      running,
      { status: 200, headers: headers(), body: seedFixture('operation-failed-lower-version.json') },
      now,
    );
    expect(s.status).toBe('failed');
    expect(s.pollUrl).toBeUndefined();
    expect(s.error).toMatchObject({
      code: 'UserErrorRestoreToLowerVersion',
      message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
      recommendedActions: [
        'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
      ],
      isRetryable: false,
      innerCode: 'InnerErrorCodeUnavailable',
      detailedMessage:
        'Restoring backup from version:10 of PostgreSQL to 9.5 of PostgreSQL not supported, as the restore server version is lower.',
      activityId: '2a23524f-0217-4bc1-bbe8-1546d2e6204d-Ibz',
    });
  });

  it('a succeeded validation has no properties and no job id', () => {
    const s = nextPollState(
      running,
      { status: 200, headers: headers(), body: seedFixture('operation-succeeded-validate.json') },
      now,
    );
    expect(s).toMatchObject({ status: 'succeeded', serviceStatus: 'Succeeded' });
    expect(s.jobId).toBeUndefined();
  });

  it('a succeeded restore gives the last segment of a full ARM job id', () => {
    const s = nextPollState(
      { ...running, operation: 'restore' },
      { status: 200, headers: headers(), body: seedFixture('operation-succeeded-restore.json') },
      now,
    );
    expect(s.jobId).toBe('cccc2c2c-dd3d-ee4e-ff5f-aaaaaa6a6a6a');
  });

  it('the official GetOperationStatus example (succeeded, no properties) is parsed', () => {
    const body = exampleResponse('GetOperationStatus.json', '200').body;
    expect(nextPollState(running, { status: 200, headers: headers(), body }, now).status).toBe('succeeded');
    const vaultCtx = exampleResponse('GetOperationStatusVaultContext.json', '200').body;
    expect(nextPollState(running, { status: 200, headers: headers(), body: vaultCtx }, now).status).toBe(
      'succeeded',
    );
  });

  it('a succeeded restore without a job id in the status body goes on to read Location (final-state-via: location)', () => {
    const r = { ...running, operation: 'restore' };
    const s = nextPollState(
      r,
      { status: 200, headers: headers(), body: seedFixture('operation-succeeded-validate.json') },
      now,
    );
    expect(s).toMatchObject({
      status: 'running',
      pollKind: 'location',
      pollUrl: LOCATION,
      retryAfterSeconds: 0,
    }); // the result is ready: read it now
    const result = exampleResponse('GetOperationResult.json', '200').body;
    const done = nextPollState(s, { status: 200, headers: headers(), body: result }, now);
    expect(done).toMatchObject({ status: 'succeeded', jobId: 'c60cb49-63e8-4b21-b9bd-26277b3fdfae' });
  });

  it('Location polling: 202 keeps running with the official example headers, 200 finishes', () => {
    const loc = startPollState(
      'restore',
      { status: 202, headers: headers({ Location: LOCATION }), body: undefined },
      now,
    );
    const h = exampleResponse('GetOperationResult.json', '202').headers!;
    const s1 = nextPollState(loc, { status: 202, headers: headers(h), body: undefined }, now);
    expect(s1).toMatchObject({ status: 'running', retryAfterSeconds: 60, polls: 1 });
    const s2 = nextPollState(
      s1,
      {
        status: 200,
        headers: headers(),
        body: {
          objectType: 'OperationJobExtendedInfo',
          jobId:
            '/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupJobs/j-1',
        },
      },
      now,
    );
    expect(s2).toMatchObject({ status: 'succeeded', jobId: 'j-1' });
  });

  it('a failed or canceled status without an error body still says what happened', () => {
    const s = nextPollState(running, { status: 200, headers: headers(), body: { status: 'Canceled' } }, now);
    expect(s.error).toMatchObject({ code: 'OperationCanceled' });
  });

  it('a status body without status is a protocol error', () => {
    expect(() => nextPollState(running, { status: 200, headers: headers(), body: { id: 'x' } }, now)).toThrow(
      /no "status"/,
    );
  });

  it('jobId: a full ARM id in any casing a stamp writes, or a bare GUID; anything else is refused', () => {
    const guid = '571e2403-8092-49ca-ac77-474a6e329270';
    const sub = '/subscriptions/11111111-2222-4333-8444-555555555555';
    expect(
      jobGuidOf(
        `${sub}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupJobs/${guid}`,
      ),
    ).toBe(guid);
    // R-FLEX's stamp: resourcegroups and BackupVaults.
    expect(
      jobGuidOf(
        `${sub}/resourcegroups/rg/providers/Microsoft.DataProtection/BackupVaults/v/backupJobs/${guid}`,
      ),
    ).toBe(guid);
    expect(jobGuidOf(guid)).toBe(guid); // cross-region restores
    expect(() =>
      jobGuidOf(
        `${sub}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/x`,
      ),
    ).toThrow(/neither a job name nor the ARM id of a backup job/);
  });

  it('endTime 0001-01-01T00:00:00Z (sent while running) is "not set"; a real end is kept on the terminal state', () => {
    expect(operationEndTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(operationEndTime(undefined)).toBeUndefined();
    expect(operationEndTime('not a time')).toBeUndefined();
    expect(operationEndTime('2024-04-10T10:33:40Z')).toBe('2024-04-10T10:33:40Z');
    const signed = `${ASYNC}&t=638483431793692172&c=MIIH&s=abc&h=def`;
    const running = startPollState(
      'validateRestore',
      { status: 202, headers: headers({ 'Azure-AsyncOperation': signed }), body: undefined },
      now,
    );
    expect(running.pollUrl).toBe(signed); // used exactly as given, signature and all
    const polled = nextPollState(
      running,
      { status: 200, headers: headers({}), body: { status: 'INPROGRESS', endTime: '0001-01-01T00:00:00Z' } },
      now,
    );
    expect(polled).toMatchObject({ status: 'running', serviceStatus: 'INPROGRESS' });
    expect(polled.endTime).toBeUndefined();
    const done = nextPollState(
      polled,
      { status: 200, headers: headers({}), body: { status: 'Succeeded', endTime: '2024-04-10T10:33:40Z' } },
      now,
    );
    expect(done).toMatchObject({ status: 'succeeded', endTime: '2024-04-10T10:33:40Z' });
  });
});
