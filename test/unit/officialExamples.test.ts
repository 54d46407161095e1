/**
 * Our request builders and response parsing, field by field against the official examples (Azure/azure-rest-api-
 * specs, copied under reference/dataprotection, 2026-06-01; the 2021-07-01 contract is that swagger's restore
 * definitions). For each example restore body of a kind we build (restore as database, restore as files, and the
 * restoreRequestObject of the two cross-region examples), the builder is given the equivalent input and its output
 * is compared leaf by leaf with the example: at 2026-06-01 they are equal; at 2021-07-01 they differ by exactly the
 * fields that version's swagger lacks (sourceResourceId, identityDetails), and fieldsNotIn names the same ones.
 * Then every example response our code reads goes through the parsing a drill uses.
 *
 * Where the examples are wrong (reference/dataprotection/RECORDINGS.md section 4) and how this test treats it:
 *  - Retry-After "60" on every 202: real traffic sends none. Parsed and honoured when present (a service may send
 *    one); our default without it is the drill's own short schedule (test/unit/recordedReplay.test.ts).
 *  - Poll URLs "…/operationStatus/{id}==2026-06-01" with no "?api-version=", and Location under
 *    ".../backupInstances/{bi}/operationResults" (no such route): kept exactly as given, never repaired or parsed;
 *    calling them would fail at ARM, which is the service's problem to fix, not ours to guess.
 *  - Job durations as .NET TimeSpan ("00:00:00", "00:02:11.9724387"): real jobs send ISO 8601; both are parsed.
 *  - jobId "c60cb49-63e8-4b21-b9bd-26277b3fdfae", a malformed GUID (7 hex digits first): "Name or Arm Id of the
 *    job" per the swagger, so it is taken as the job's name as given, not validated as a GUID.
 *  - The cross-region examples name vaultName / backupInstanceName parameters the path does not have, and show a
 *    Backup job (operationCategory "Backup", status "Started") for FetchCrossRegionRestoreJob, lower-case recovery
 *    point types and Snapshot / BackupStorage stores: only the bodies are used here, and parsed as they are.
 */
import { describe, expect, it } from 'vitest';
import { dataProtectionActivities, summarizeJob } from '../../src/activities/dataProtection';
import type { ActivityDeps } from '../../src/activities/deps';
import { nextPollState, startPollState, type PollState } from '../../src/lib/dataprotection/pollState';
import {
  buildRestoreRequest,
  buildValidateRestoreRequest,
  fieldsNotIn,
  type RestoreRequestInput,
} from '../../src/lib/dataprotection/requests';
import { operationPollDelaySeconds } from '../../src/lib/drill/polling';
import { OPERATION_POLL_DEFAULTS } from '../../src/lib/drill/settings';
import type {
  BackupJobResource,
  RecoveryPointResource,
  RestoreRequest,
} from '../../src/lib/types/generated/dataprotection';
import { assertValid, schemaRef } from '../../src/lib/validation';
import { checkAgainstSwagger, example, exampleResponse } from '../../emulator/swagger';
import { headers } from '../support/fixtures';

const VERSIONS = ['2021-07-01', '2026-06-01'] as const;
/** What 2021-07-01's AzureBackupRestoreRequest lacks (its swagger's restore definitions). */
const NEWER_FIELDS = ['/identityDetails', '/sourceResourceId'];

type Json = Record<string, unknown>;

/** Every leaf of a JSON value by JSON pointer (objects and arrays walked; an empty one is a leaf). */
function leaves(value: unknown, at = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, p: string): void => {
    if (v && typeof v === 'object' && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v as Json)) walk(child, `${p}/${k}`);
    } else out.set(p, v);
  };
  walk(value, at);
  return out;
}

/** Pointers whose values differ, with the two values: [pointer, example, ours]. */
function diff(exampleBody: unknown, ours: unknown): [string, unknown, unknown][] {
  const a = leaves(exampleBody);
  const b = leaves(ours);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => [k, a.get(k), b.get(k)]);
}

interface ExampleBody {
  objectType: string;
  recoveryPointId: string;
  sourceDataStoreType: 'VaultStore';
  sourceResourceId: string;
  identityDetails?: RestoreRequestInput['identityDetails'];
  restoreTargetInfo: {
    objectType: 'RestoreTargetInfo' | 'RestoreFilesTargetInfo';
    restoreLocation: string;
    datasourceInfo?: { resourceID: string; resourceLocation: string };
    datasourceAuthCredentials?: { secretStoreResource: { uri: string } };
    targetDetails?: { url: string; filePrefix: string };
  };
}

/** The restore body each example sends, and where it sits in the example. */
const EXAMPLES: [string, (params: Json) => ExampleBody][] = [
  ['BackupInstanceOperations/TriggerRestore.json', (p) => p as unknown as ExampleBody],
  ['BackupInstanceOperations/TriggerRestoreAsFiles.json', (p) => p as unknown as ExampleBody],
  [
    'BackupInstanceOperations/ValidateRestore.json',
    (p) => (p as { restoreRequestObject: ExampleBody }).restoreRequestObject,
  ],
  [
    'CrossRegionRestore/TriggerCrossRegionRestore.json',
    (p) => (p as { restoreRequestObject: ExampleBody }).restoreRequestObject,
  ],
  [
    'CrossRegionRestore/ValidateCrossRegionRestore.json',
    (p) => (p as { restoreRequestObject: ExampleBody }).restoreRequestObject,
  ],
];

function exampleRestoreBody(file: string): ExampleBody {
  const pick = EXAMPLES.find(([f]) => f === file)![1];
  return pick((example(file).parameters as { parameters: Json }).parameters);
}

/** What a drill would give our builder to ask for the restore the example asks for. */
function equivalentInput(body: ExampleBody, apiVersion: string): RestoreRequestInput {
  const t = body.restoreTargetInfo;
  return {
    apiVersion,
    sourceDatasourceId: body.sourceResourceId,
    recoveryPointId: body.recoveryPointId,
    sourceDataStoreType: body.sourceDataStoreType,
    restoreLocation: t.restoreLocation,
    target:
      t.objectType === 'RestoreTargetInfo'
        ? {
            kind: 'database',
            targetDatabaseId: t.datasourceInfo!.resourceID,
            secretUri: t.datasourceAuthCredentials!.secretStoreResource.uri,
            resourceLocation: t.datasourceInfo!.resourceLocation,
          }
        : { kind: 'files', containerUrl: t.targetDetails!.url, filePrefix: t.targetDetails!.filePrefix },
    // identityDetails is a 2026-06-01 field: asked for at 2021-07-01, the builder refuses (checked below).
    ...(body.identityDetails && apiVersion >= '2026-06-01' ? { identityDetails: body.identityDetails } : {}),
  };
}

describe('request builders vs the official example bodies, field by field', () => {
  describe.each(EXAMPLES.map(([f]) => f))('%s', (file) => {
    const body = exampleRestoreBody(file);

    it.each(VERSIONS)('api-version %s: our body is the example minus what that version lacks', (version) => {
      const ours = buildRestoreRequest(equivalentInput(body, version));
      const present = NEWER_FIELDS.filter((f) => (body as unknown as Json)[f.slice(1)] !== undefined);
      const lacking = version === '2026-06-01' ? [] : present;
      const differing = diff(body, ours);
      // Only fields missing from ours (never a value of ours that differs from the example's)...
      expect(differing.filter(([, , o]) => o !== undefined)).toEqual([]);
      // ...and they are the ones this version lacks: none at 2026-06-01.
      expect([...new Set(differing.map(([p]) => `/${p.split('/')[1]}`))].sort()).toEqual(lacking);
      // fieldsNotIn (what the client refuses to send) names the same ones.
      expect(fieldsNotIn(body as unknown as RestoreRequest, version).sort()).toEqual(lacking);
      expect(checkAgainstSwagger('AzureBackupRestoreRequest', ours, 'request', version).errors).toEqual([]);
      expect(
        checkAgainstSwagger(
          'ValidateRestoreRequestObject',
          buildValidateRestoreRequest(ours),
          'request',
          version,
        ).errors,
      ).toEqual([]);
      if (version === '2021-07-01' && body.sourceResourceId)
        expect(checkAgainstSwagger('AzureBackupRestoreRequest', body, 'request', version).valid).toBe(false);
    });

    if (body.identityDetails)
      it('asking for its identityDetails at 2021-07-01 is refused before anything is sent', () => {
        expect(() =>
          buildRestoreRequest({
            ...equivalentInput(body, '2021-07-01'),
            identityDetails: body.identityDetails!,
          }),
        ).toThrow(/identityDetails.*2021-07-01/);
      });
  });

  it('the cross-region examples wrap the same restore body: ours fits their restoreRequestObject at 2026-06-01', () => {
    for (const file of [
      'CrossRegionRestore/TriggerCrossRegionRestore.json',
      'CrossRegionRestore/ValidateCrossRegionRestore.json',
    ]) {
      const params = (example(file).parameters as { parameters: Json }).parameters;
      const ours = buildRestoreRequest(equivalentInput(exampleRestoreBody(file), '2026-06-01'));
      const wrapped = { ...params, restoreRequestObject: ours };
      const def = file.includes('Trigger')
        ? 'CrossRegionRestoreRequestObject'
        : 'ValidateCrossRegionRestoreRequestObject';
      expect(checkAgainstSwagger(def, wrapped, 'request').errors).toEqual([]);
      expect(diff(params, wrapped)).toEqual([]);
    }
  });
});

describe('response parsing vs the official example responses', () => {
  const running = (kind: PollState['pollKind'], operation = 'restore'): PollState => ({
    operation,
    status: 'running',
    pollUrl: 'https://management.azure.com/x?api-version=2026-06-01',
    pollKind: kind,
    polls: 0,
  });
  const now = new Date('2026-12-01T00:00:00Z');

  it.each([
    'BackupInstanceOperations/ValidateRestore.json',
    'BackupInstanceOperations/TriggerRestore.json',
    'BackupInstanceOperations/TriggerRestoreAsFiles.json',
    'CrossRegionRestore/TriggerCrossRegionRestore.json',
    'CrossRegionRestore/ValidateCrossRegionRestore.json',
  ])('%s: the 200 and the 202 start an operation; the broken poll URLs are kept as given', (file) => {
    const ok = exampleResponse(file, '200');
    // The malformed GUID is the job's name as the example gives it.
    expect(startPollState('restore', { status: 200, headers: headers(), body: ok.body }, now)).toMatchObject({
      status: 'succeeded',
      jobId: 'c60cb49-63e8-4b21-b9bd-26277b3fdfae',
    });
    const accepted = exampleResponse(file, '202');
    const state = startPollState(
      'restore',
      { status: 202, headers: headers(accepted.headers), body: undefined },
      now,
    );
    expect(state).toMatchObject({
      status: 'running',
      pollKind: 'azureAsyncOperation',
      pollUrl: accepted.headers!['Azure-AsyncOperation'],
      locationUrl: accepted.headers!.Location,
      retryAfterSeconds: 60,
    });
    expect(operationPollDelaySeconds(state.retryAfterSeconds, 0, OPERATION_POLL_DEFAULTS)).toBe(60);
  });

  it.each(['GetOperationStatus.json', 'GetOperationStatusVaultContext.json'])(
    '%s: a Succeeded operation with its end time',
    (file) => {
      const body = exampleResponse(file, '200').body;
      const state = nextPollState(
        running('azureAsyncOperation', 'validateRestore'),
        { status: 200, headers: headers(), body },
        now,
      );
      expect(state).toMatchObject({
        status: 'succeeded',
        serviceStatus: 'Succeeded',
        endTime: '2019-11-20T09:49:46Z',
      });
    },
  );

  it('GetOperationResult.json: 202 keeps running (Retry-After 60), 200 gives the job', () => {
    const r202 = exampleResponse('GetOperationResult.json', '202');
    expect(
      nextPollState(
        running('location'),
        { status: 202, headers: headers(r202.headers), body: undefined },
        now,
      ),
    ).toMatchObject({
      status: 'running',
      retryAfterSeconds: 60,
    });
    const r200 = exampleResponse('GetOperationResult.json', '200');
    expect(
      nextPollState(running('location'), { status: 200, headers: headers(), body: r200.body }, now),
    ).toMatchObject({
      status: 'succeeded',
      jobId: 'c60cb49-63e8-4b21-b9bd-26277b3fdfae',
    });
  });

  it.each([
    ['JobCRUD/GetJob.json', (b: Json) => [b as unknown as BackupJobResource]],
    ['JobCRUD/ListJobs.json', (b: Json) => (b as { value: BackupJobResource[] }).value],
    ['CrossRegionRestore/FetchCrossRegionRestoreJob.json', (b: Json) => [b as unknown as BackupJobResource]],
  ] as const)('%s: every job parses and summarises (TimeSpan durations read)', (file, jobsOf) => {
    const body = exampleResponse(file, '200').body as Json;
    for (const raw of jobsOf(body)) {
      const job = assertValid<BackupJobResource>(
        schemaRef('dataprotection.schema.json', 'BackupJobResource'),
        raw,
        file,
      );
      const summary = summarizeJob(job);
      expect(summary.id).toBe(job.name);
      if (job.properties.duration)
        expect(summary.durationSeconds, `${file} ${job.properties.duration}`).toBeTypeOf('number');
    }
  });

  it('the cross-region job example: a Backup job, "Started" (not terminal), TimeSpan "00:00:00"', () => {
    const job = exampleResponse('CrossRegionRestore/FetchCrossRegionRestoreJob.json', '200')
      .body as BackupJobResource;
    expect(summarizeJob(job)).toMatchObject({ status: 'Started', terminal: false, durationSeconds: 0 });
    expect(job.properties.operationCategory).toBe('Backup');
  });

  it.each([
    [
      'BackupInstanceOperations/ListRecoveryPoints.json',
      (b: Json) => (b as { value: RecoveryPointResource[] }).value,
    ],
    ['BackupInstanceOperations/GetRecoveryPoint.json', (b: Json) => [b as unknown as RecoveryPointResource]],
    [
      'CrossRegionRestore/FetchSecondaryRPs.json',
      (b: Json) => (b as { value: RecoveryPointResource[] }).value,
    ],
  ] as const)('%s: the points parse, and a drill can select from them', async (file, pointsOf) => {
    const points = pointsOf(exampleResponse(file, '200').body as Json);
    for (const p of points)
      assertValid<RecoveryPointResource>(
        schemaRef('dataprotection.schema.json', 'RecoveryPointResource'),
        p,
        file,
      );
    const dp = {
      // for await reads a plain iterable too.
      *listRecoveryPoints() {
        yield* points;
      },
    };
    const acts = dataProtectionActivities({ dataProtection: dp } as unknown as ActivityDeps);
    const chosen = await acts.selectRecoveryPoint({
      backupInstanceId:
        '/subscriptions/04cf684a-d41f-4550-9f70-7708a3a2283b/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi',
      policy: { policy: 'latest' },
      drillStart: '2026-12-01T00:00:00Z',
      seed: 'examples',
    });
    expect(chosen).toBeTruthy();
  });
});
