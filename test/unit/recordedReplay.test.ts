/**
 * Real Azure's answers, replayed through our code: the response sequences of the Azure CLI's recordings
 * (test/fixtures/recordings, reconstructed from reference/dataprotection/RECORDINGS.md) served in order by a
 * replay server over HTTPS, and our client and activities driven through them as a drill drives them: R-FLEX
 * (same region, restore as files) and R-CRR (cross-region restore to a database, through the location-scoped
 * calls in the paired region; the CLI's own bodies are also replayed raw through our generic parsing). What is
 * checked is what our code derived (point chosen, operation ended, job id normalised, job state, duration parsed,
 * destination and prefix) and what it sent (the recorded calls in the recorded order, poll URLs exactly as given,
 * bodies as recorded or with each difference of ours named, nothing to another origin). */
import { afterEach, describe, expect, it } from 'vitest';
import {
  dataProtectionActivities,
  isOurDestination,
  summarizeJob,
} from '../../src/activities/dataProtection';
import type { ActivityDeps } from '../../src/activities/deps';
import type { JobSummary } from '../../src/activities/contracts';
import { DataProtectionClient } from '../../src/lib/dataprotection/client';
import { decideCrossRegion } from '../../src/lib/dataprotection/crossRegion';
import { ForeignOriginError } from '../../src/lib/dataprotection/pipeline';
import { startPollState, type PollState } from '../../src/lib/dataprotection/pollState';
import { buildRestoreRequest, buildValidateRestoreRequest } from '../../src/lib/dataprotection/requests';
import { operationPollDelaySeconds } from '../../src/lib/drill/polling';
import { OPERATION_POLL_DEFAULTS } from '../../src/lib/drill/settings';
import type { BackupJobResource, RecoveryPointResource } from '../../src/lib/types/generated/dataprotection';
import { assertValid, schemaRef } from '../../src/lib/validation';
import { headers } from '../support/fixtures';
import { StaticTokenCredential } from '../support/httpsServer';
import { loadRecording, startReplayServer, type Recording, type ReplayServer } from '../support/replayServer';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function clientFor(origin: string, rec: Recording): DataProtectionClient {
  return new DataProtectionClient({
    settings: {
      DATAPROTECTION_ENDPOINT: origin,
      DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
      DATAPROTECTION_API_VERSION: rec.apiVersion,
    },
    credential: new StaticTokenCredential(),
    retry: { maxRetries: 0 },
    governor: false,
  });
}

/** The activities a drill runs, over `client`; the report store only records restore attempts here. */
function activitiesFor(client: DataProtectionClient) {
  const deps = {
    dataProtection: client,
    reports: {
      lastRestoreAttempt: () => Promise.resolve(undefined),
      recordRestoreAttempt: () => Promise.resolve(),
    },
  };
  // The data protection activities use only these two of the deps.
  return dataProtectionActivities(deps as unknown as ActivityDeps);
}

function pathOf(url: string, origin: string): string {
  return decodeURIComponent(new URL(url, origin).pathname);
}

describe('replay of R-FLEX: a Flexible Server restore as files (RECORDINGS.md section 1)', () => {
  const rec = loadRecording('r-flex-restore-as-files.json');
  const ids = rec.ids as Record<
    | 'vaultId'
    | 'backupInstanceId'
    | 'datasourceId'
    | 'recoveryPointId'
    | 'jobId'
    | 'restoreLocation'
    | 'containerUrl'
    | 'filePrefix',
    string
  >;
  const restoreBody = () =>
    buildRestoreRequest({
      apiVersion: rec.apiVersion,
      sourceDatasourceId: ids.datasourceId,
      recoveryPointId: ids.recoveryPointId,
      restoreLocation: ids.restoreLocation,
      sourceDataStoreType: 'VaultStore',
      target: { kind: 'files', containerUrl: ids.containerUrl, filePrefix: ids.filePrefix },
    });

  it('validate → restore → job completion: our activities derive what a drill needs, calling exactly what was recorded', async () => {
    server = await startReplayServer(rec);
    const acts = activitiesFor(clientFor(server.origin, rec));
    const body = restoreBody();
    // At 2023-11-01 our builder sends what the CLI sent: same keys, no sourceResourceId.
    expect(body).toEqual(rec.exchanges.find((e) => e.step === '1b restore')!.request.body);

    let validate = await acts.startValidateRestore({ backupInstanceId: ids.backupInstanceId, body });
    // No Retry-After: the drill's own short schedule applies, not ARM's generic 60 s.
    expect(validate).toMatchObject({ status: 'running', pollKind: 'azureAsyncOperation' });
    expect(validate.retryAfterSeconds).toBeUndefined();
    expect(operationPollDelaySeconds(validate.retryAfterSeconds, 0, OPERATION_POLL_DEFAULTS)).toBeLessThan(
      60,
    );
    // The vault-scoped, signed URL, used exactly as given.
    expect(validate.pollUrl).toMatch(
      /\/backupVaults\/[^/]+\/operationStatus\/[^?]+\?api-version=2023-11-01&t=\d+&c=/,
    );
    const seen: string[] = [];
    while (validate.status === 'running') {
      validate = await acts.pollOperation({ state: validate });
      seen.push(validate.serviceStatus!);
    }
    expect(seen).toEqual(['Inprogress', 'Inprogress', 'Succeeded']);
    expect(validate).toMatchObject({ status: 'succeeded', endTime: '2024-04-10T10:33:40Z', polls: 3 });
    expect(validate.jobId).toBeUndefined(); // a validation has no job

    const destination = `${ids.containerUrl}/${ids.filePrefix}`;
    const started = await acts.triggerRestore({
      drillId: 'replay-flex',
      backupInstanceId: ids.backupInstanceId,
      vaultId: ids.vaultId,
      body,
      notBefore: '2024-04-10T10:30:00Z',
      destination,
    });
    if (!('state' in started)) throw new Error('the restore was not posted');
    expect(started.reused).toBe(false);
    let restore: PollState = started.state;
    while (restore.status === 'running') restore = await acts.pollOperation({ state: restore });
    // The jobId came as .../resourcegroups/.../BackupVaults/.../backupJobs/{guid}: normalised to the GUID.
    expect(restore).toMatchObject({ status: 'succeeded', jobId: ids.jobId, endTime: '2024-04-10T10:34:03Z' });

    const summaries: JobSummary[] = [];
    do summaries.push(await acts.getJob({ vaultId: ids.vaultId, jobId: restore.jobId! }));
    while (!summaries.at(-1)!.terminal);
    expect(summaries.map((j) => [j.status, j.durationSeconds])).toEqual([
      ['InProgress', 0],
      ['InProgress', 0],
      ['Completed', 125.6503519],
    ]);
    expect(summaries.at(-1)).toMatchObject({
      id: ids.jobId,
      succeeded: true,
      startTime: '2024-04-10T10:34:02.9764169Z',
      endTime: '2024-04-10T10:36:08.6267688Z',
      duration: 'PT2M5.6503519S',
      recoveryDestination: ids.containerUrl,
      filePrefix: ids.filePrefix,
      dataTransferredBytes: 70384,
      progress: 'Trigger Restore: Completed',
    });
    expect(summaries[0]!.endTime).toBeUndefined(); // null while running

    // The wire: the recorded calls, in order, and nothing else (the CLI's two Location GETs are not ours to make).
    expect(server.mismatches).toEqual([]);
    expect(server.unserved()).toEqual([]);
    expect(server.skipped.map((i) => rec.exchanges[i]!.step)).toEqual([
      '1a validate Location',
      '1b restore Location',
    ]);
    expect(server.requests.map((r) => `${r.method} ${pathOf(r.url, server!.origin)}`)).toEqual(
      server.served.map((i) => `${rec.exchanges[i]!.request.method} ${rec.exchanges[i]!.request.path}`),
    );
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => JSON.parse(r.body) as unknown)).toEqual([
      buildValidateRestoreRequest(body),
      rec.exchanges.find((e) => e.step === '1b restore')!.request.body,
    ]);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer test-token')).toBe(true);
  });

  it('the recorded poll URLs name management.azure.com: with our endpoint elsewhere they are refused, never called', async () => {
    server = await startReplayServer(rec, { rewriteOrigin: false });
    const acts = activitiesFor(clientFor(server.origin, rec));
    await expect(
      acts.startValidateRestore({ backupInstanceId: ids.backupInstanceId, body: restoreBody() }),
    ).rejects.toBeInstanceOf(ForeignOriginError);
    expect(server.requests).toHaveLength(1); // the POST; no poll went anywhere
  });
});

describe('replay of R-CRR: a cross-region restore to a database (RECORDINGS.md section 3)', () => {
  const rec = loadRecording('r-crr-cross-region-restore.json');
  const ids = rec.ids as Record<'jobId' | 'targetDatabaseId' | 'recoveryPointId', string>;

  /**
   * The cross-region POSTs, sent raw with the bodies the CLI sent (our client calls for them are replayed in the
   * describe below); what is checked here is every generic piece that follows them, on the CLI's own bodies.
   */
  async function post(step: string): Promise<{ status: number; headers: Headers; body: unknown }> {
    const ex = rec.exchanges.find((e) => e.step === step)!;
    const res = await fetch(`${server!.origin}${ex.request.path}?${ex.request.query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
      body: JSON.stringify(ex.request.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  }

  function startFrom(operation: string, res: { status: number; headers: Headers }): PollState {
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => (h[k] = v));
    return startPollState(
      operation,
      { status: res.status, headers: headers(h), body: undefined },
      new Date(),
    );
  }

  it('secondary points, location-scoped polls, a bare GUID jobId and the CRR job body pass through our parsing', async () => {
    server = await startReplayServer(rec);
    const client = clientFor(server.origin, rec);

    const points = await post('3a fetchSecondaryRecoveryPoints');
    expect(points.status).toBe(200);
    const list = assertValid<{ value: RecoveryPointResource[]; nextLink?: string }>(
      schemaRef('dataprotection.schema.json', 'RecoveryPointResourceList'),
      points.body,
      'secondary recovery points',
    );
    expect(list.nextLink).toBeUndefined();
    // Newest first: the recorded point, then the older one.
    expect(list.value.map((p) => p.properties.recoveryPointId)).toEqual([
      ids.recoveryPointId,
      '8f05f2d43fc34f2c9e79b7d5ea2a7bd9',
    ]);

    const validated = startFrom('validateCrossRegionRestore', await post('3b validateCrossRegionRestore'));
    // Location-scoped on the secondary region from the start, unsigned; Location signed.
    expect(validated.pollUrl).toMatch(
      /\/subscriptions\/[^/]+\/providers\/Microsoft\.DataProtection\/locations\/centraluseuap\/operationStatus\/[^?]+\?api-version=2023-11-01$/,
    );
    expect(validated.retryAfterSeconds).toBeUndefined();
    let v = validated;
    while (v.status === 'running') v = await client.pollOperation(v);
    expect(v).toMatchObject({ status: 'succeeded', polls: 2, endTime: '2024-02-27T05:28:31Z' });

    let r = startFrom('restore', await post('3c crossRegionRestore'));
    while (r.status === 'running') r = await client.pollOperation(r);
    expect(r).toMatchObject({ status: 'succeeded', jobId: ids.jobId, endTime: '2024-02-27T05:28:45Z' });

    const jobRes = await post('3d fetchCrossRegionRestoreJob');
    const job = assertValid<BackupJobResource>(
      schemaRef('dataprotection.schema.json', 'BackupJobResource'),
      jobRes.body,
      'cross-region restore job',
    );
    expect(job.properties.operationCategory).toBe('CrossRegionRestore'); // the marker; isCrossRegionRestore is absent
    expect('endTime' in job.properties).toBe(false);
    expect(summarizeJob(job)).toEqual({
      id: ids.jobId,
      status: 'InProgress',
      terminal: false,
      succeeded: false,
      startTime: '2024-02-27T05:28:44.4210712Z',
      duration: 'PT0S',
      durationSeconds: 0,
      progress: 'Trigger Restore: InProgress',
      recoveryDestination: ids.targetDatabaseId,
    });

    expect(server.mismatches).toEqual([]);
    expect(server.unserved()).toEqual([]);
    expect(server.skipped.map((i) => rec.exchanges[i]!.step)).toEqual(['3b Location', '3c Location']);
  });
});

describe('replay of R-CRR through the cross-region client calls (RECORDINGS.md section 3)', () => {
  const rec = loadRecording('r-crr-cross-region-restore.json');
  const ids = rec.ids as Record<
    | 'vaultId'
    | 'vaultIdAsResourceGraphWritesIt'
    | 'backupInstanceId'
    | 'datasourceId'
    | 'recoveryPointId'
    | 'jobId'
    | 'primaryRegion'
    | 'secondaryRegion'
    | 'targetDatabaseId'
    | 'secretUri',
    string
  >;
  const step = (name: string) => rec.exchanges.find((e) => e.step === name)!;

  /**
   * The regions, decided as a drill decides them (decideCrossRegion) from the facts the CLI's Resource Graph
   * calls showed (RECORDINGS.md section 3; our resolveCrossRegion reads the same facts with GETs of the vault and
   * the target server, which this recording does not have).
   */
  const regions = decideCrossRegion(
    {
      vaultId: ids.vaultId,
      vaultLocation: ids.primaryRegion,
      crossRegionRestoreState: 'Enabled',
      storageTypes: ['GeoRedundant'],
      replicatedRegions: [ids.secondaryRegion],
      targetServerLocation: ids.secondaryRegion,
    },
    { kind: 'database' },
  );

  /**
   * selectRecoveryPoint of a cross-region drill also lists the primary region's points (replication lag); the
   * CLI did not, so the recording has no answer for it. It is answered as the outage a cross-region drill
   * rehearses would answer it (503), which the activity tolerates: no answer from Azure is invented here.
   */
  const primaryList = {
    method: 'GET',
    path: `${ids.backupInstanceId}/recoveryPoints`,
    query: `api-version=${rec.apiVersion}`,
    why: 'ours only: the primary region list for the replication lag; not in the recording, answered as an outage',
    response: {
      status: 503,
      headers: { 'content-type': 'application/json' },
      body: { error: { code: 'ServiceUnavailable', message: 'primary region unavailable (replay)' } },
    },
  };

  function activitiesWithLog(client: DataProtectionClient, logged: string[]) {
    const deps = {
      dataProtection: client,
      reports: {
        lastRestoreAttempt: () => Promise.resolve(undefined),
        recordRestoreAttempt: () => Promise.resolve(),
      },
      log: (message: string) => logged.push(message),
    };
    return dataProtectionActivities(deps as unknown as ActivityDeps);
  }

  const restoreBody = (recoveryPointId: string) =>
    buildRestoreRequest({
      apiVersion: rec.apiVersion,
      sourceDatasourceId: ids.datasourceId,
      recoveryPointId,
      restoreLocation: regions.targetRegion,
      sourceDataStoreType: 'VaultStore',
      target: {
        kind: 'database',
        targetDatabaseId: ids.targetDatabaseId,
        secretUri: ids.secretUri,
        resourceLocation: regions.targetRegion,
      },
    });

  /**
   * The recorded cross-region body as our builder legitimately writes it:
   *  - no outer objectType (the CLI sent ValidateRestoreRequestObject / AzureBackupRecoveryPointBasedRestoreRequest;
   *    ValidateCrossRegionRestoreRequestObject and CrossRegionRestoreRequestObject define none);
   *  - datasourceInfo/datasourceSetInfo `resourceID` as the swagger spells it (the CLI sent `resourceId`, as the
   *    real recording shows too, and the service accepted it);
   *  - secretStoreResource without `value: null` (the CLI's serialisation of an unset field).
   */
  function asOurBuilderWritesIt(recorded: unknown): unknown {
    const { objectType: _outer, ...body } = structuredClone(recorded) as Record<string, unknown> & {
      restoreRequestObject: {
        restoreTargetInfo: Record<string, Record<string, unknown>> & {
          datasourceAuthCredentials: { secretStoreResource: Record<string, unknown> };
        };
      };
    };
    const target = body.restoreRequestObject.restoreTargetInfo;
    for (const k of ['datasourceInfo', 'datasourceSetInfo']) {
      const { resourceId, ...rest } = target[k]!;
      target[k] = { ...rest, resourceID: resourceId };
    }
    delete target.datasourceAuthCredentials.secretStoreResource.value;
    return body;
  }

  it('fetchSecondaryRecoveryPoints → validateCrossRegionRestore → crossRegionRestore → fetchCrossRegionRestoreJob: our activities, exactly the recorded calls', async () => {
    expect(regions).toEqual({ sourceRegion: ids.primaryRegion, targetRegion: ids.secondaryRegion });
    server = await startReplayServer(rec, { unrecorded: [primaryList] });
    const logged: string[] = [];
    const acts = activitiesWithLog(clientFor(server.origin, rec), logged);

    // 3a: POST {sourceBackupInstanceId, sourceRegion} at locations/{secondary} (no $filter: a cross-region drill
    // reads every replicated point); our selection picks the point the CLI restored.
    const selection = await acts.selectRecoveryPoint({
      backupInstanceId: ids.backupInstanceId,
      policy: { policy: 'latest' },
      drillStart: '2024-02-27T05:27:44Z',
      seed: 'replay-crr',
      crossRegion: regions,
    });
    if (!selection.ok) throw new Error(selection.message);
    expect(selection).toMatchObject({
      point: { id: ids.recoveryPointId, time: '2024-02-25T22:00:49.572Z', stores: ['VaultStore'] },
      dataStore: 'VaultStore',
      candidates: 2, // the two points replicated, the newest chosen: the one the CLI restored
    });
    // The primary could not be read (the unrecorded list, answered 503): the lag is left out, the drill goes on.
    expect(selection.regional).toEqual({ newestSecondaryTime: '2024-02-25T22:00:49.572Z' });
    expect(logged).toEqual(['primary recovery points could not be read: replication lag not measured']);

    // 3b: validateCrossRegionRestore, the location-scoped unsigned AAO polled as given to Succeeded.
    const body = restoreBody(selection.point.id);
    let validate = await acts.startValidateRestore({
      backupInstanceId: ids.backupInstanceId,
      body,
      crossRegion: regions,
    });
    expect(validate).toMatchObject({
      operation: 'validateCrossRegionRestore',
      status: 'running',
      pollKind: 'azureAsyncOperation',
    });
    expect(validate.retryAfterSeconds).toBeUndefined();
    expect(validate.pollUrl).toBe(
      `${server.origin}${step('3b poll').request.path}?${step('3b poll').request.query}`,
    );
    const seen: string[] = [];
    while (validate.status === 'running') {
      validate = await acts.pollOperation({ state: validate });
      seen.push(validate.serviceStatus!);
    }
    expect(seen).toEqual(['Inprogress', 'Succeeded']);
    expect(validate).toMatchObject({ status: 'succeeded', endTime: '2024-02-27T05:28:31Z', polls: 2 });
    expect(validate.jobId).toBeUndefined(); // a validation has no job

    // 3c: crossRegionRestore, polled to Succeeded; the job id is a bare GUID.
    const started = await acts.triggerRestore({
      drillId: 'replay-crr',
      backupInstanceId: ids.backupInstanceId,
      vaultId: ids.vaultId,
      body,
      notBefore: '2024-02-27T05:27:44Z',
      destination: ids.targetDatabaseId,
      crossRegion: regions,
    });
    if (!('state' in started)) throw new Error('the cross-region restore was not posted');
    expect(started.reused).toBe(false);
    let restore: PollState = started.state;
    expect(restore).toMatchObject({ operation: 'crossRegionRestore', status: 'running' });
    expect(restore.pollUrl).toBe(
      `${server.origin}${step('3c poll').request.path}?${step('3c poll').request.query}`,
    );
    while (restore.status === 'running') restore = await acts.pollOperation({ state: restore });
    expect(restore).toMatchObject({
      status: 'succeeded',
      jobId: ids.jobId,
      endTime: '2024-02-27T05:28:45Z',
      polls: 2,
    });

    // 3d: fetchCrossRegionRestoreJob at locations/{secondary}; the secondary stamp's body omits its nulls.
    const job = await acts.getJob({ vaultId: ids.vaultId, jobId: restore.jobId!, crossRegion: regions });
    expect(job).toEqual({
      id: ids.jobId,
      status: 'InProgress',
      terminal: false,
      succeeded: false,
      startTime: '2024-02-27T05:28:44.4210712Z',
      duration: 'PT0S',
      durationSeconds: 0,
      progress: 'Trigger Restore: InProgress',
      recoveryDestination: ids.targetDatabaseId,
    });
    // operationCategory CrossRegionRestore (isCrossRegionRestore absent) is a restore job of ours all the same.
    expect(isOurDestination({ recoveryDestination: job.recoveryDestination! }, ids.targetDatabaseId)).toBe(
      true,
    );

    // The wire: the recorded calls, in order (the CLI's two Location GETs skipped), plus the one declared above.
    expect(server.mismatches).toEqual([]);
    expect(server.unserved()).toEqual([]);
    expect(server.skipped.map((i) => rec.exchanges[i]!.step)).toEqual(['3b Location', '3c Location']);
    expect(server.unrecordedServed).toEqual([0]);
    const recorded = server.requests.filter(
      (r) => pathOf(r.url, server!.origin).toLowerCase() !== primaryList.path.toLowerCase(),
    );
    expect(recorded).toHaveLength(server.requests.length - 1);
    expect(recorded.map((r) => `${r.method} ${pathOf(r.url, server!.origin)}`)).toEqual(
      server.served.map((i) => `${rec.exchanges[i]!.request.method} ${rec.exchanges[i]!.request.path}`),
    );
    expect(server.served.map((i) => rec.exchanges[i]!.step)).toEqual([
      '3a fetchSecondaryRecoveryPoints',
      '3b validateCrossRegionRestore',
      '3b poll',
      '3b poll',
      '3c crossRegionRestore',
      '3c poll',
      '3c poll',
      '3d fetchCrossRegionRestoreJob',
    ]);

    // The bodies: 3a as recorded; 3b and 3c the recorded body as our builder writes it (above), the same for both
    // (the CLI's differ only in the outer objectType); 3d as recorded but for the vault id's casing: ours is the
    // vault id as the drill names it (backupVaults), the CLI's came from Resource Graph (BackupVaults); ARM ids
    // compare case-insensitively and the service accepted the CLI's.
    const posts = server.requests
      .filter((r) => r.method === 'POST')
      .map((r) => JSON.parse(r.body) as unknown);
    expect(posts).toEqual([
      step('3a fetchSecondaryRecoveryPoints').request.body,
      asOurBuilderWritesIt(step('3b validateCrossRegionRestore').request.body),
      asOurBuilderWritesIt(step('3c crossRegionRestore').request.body),
      {
        ...(step('3d fetchCrossRegionRestoreJob').request.body as Record<string, string>),
        sourceBackupVaultId: ids.vaultId,
      },
    ]);
    expect(ids.vaultIdAsResourceGraphWritesIt.toLowerCase()).toBe(ids.vaultId.toLowerCase());
    expect(posts[1]).not.toHaveProperty('objectType');
    expect(posts[2]).not.toHaveProperty('objectType');
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer test-token')).toBe(true);
  });

  it('the recorded poll URLs name management.azure.com: with our endpoint elsewhere they are refused, never called', async () => {
    server = await startReplayServer(rec, { rewriteOrigin: false, unrecorded: [primaryList] });
    const acts = activitiesFor(clientFor(server.origin, rec));
    // 3a is a required step before 3b: the secondary points first (no poll URL in them).
    await acts.selectRecoveryPoint({
      backupInstanceId: ids.backupInstanceId,
      policy: { policy: 'latest' },
      drillStart: '2024-02-27T05:27:44Z',
      seed: 'replay-crr',
      crossRegion: regions,
    });
    await expect(
      acts.startValidateRestore({
        backupInstanceId: ids.backupInstanceId,
        body: restoreBody(ids.recoveryPointId),
        crossRegion: regions,
      }),
    ).rejects.toBeInstanceOf(ForeignOriginError);
    // 3a, the primary list, the validate POST; no poll went anywhere.
    expect(server.mismatches).toEqual([]);
    expect(server.served.map((i) => rec.exchanges[i]!.step)).toEqual([
      '3a fetchSecondaryRecoveryPoints',
      '3b validateCrossRegionRestore',
    ]);
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'POST']);
  });
});
