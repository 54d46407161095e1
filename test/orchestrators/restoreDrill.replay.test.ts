/**
 * The orchestrators on durable-functions' own replay engine, with scripted activity results and a fake clock
 * (timers fire at once, the orchestration sees exact times). Each scenario's history is recorded by the driver
 * and, for the happy path, replayed again in a single episode to prove the orchestrator is deterministic.
 */
import { formatReport } from '../../src/cli/format';
import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../src/activities/contracts';
import { FakeClock } from '../../src/host/clock';
import { OrchestrationDriver } from '../../src/host/driver';
import { EVENT_TYPE, runEpisode } from '../../src/host/replayEngine';
import { ACTIVITIES } from '../../src/activities/names';
import type { PollState } from '../../src/lib/dataprotection/pollState';
import { childInstanceId } from '../../src/lib/drill/instanceIds';
import type { DrillReport } from '../../src/lib/drill/report';
import { parseDrillRequest } from '../../src/lib/drill/request';
import type { DrillSettings } from '../../src/lib/drill/settings';
import { orchestratorFunctions } from '../../src/orchestrators';
import { CANCEL_EVENT, ORCHESTRATORS } from '../../src/orchestrators/names';
import { fail, ok, scriptedHandlers, type ActivityScript } from '../support/scripted';

const SUB = '11111111-2222-4333-8444-555555555555';
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v`;
const BI = `${VAULT}/backupInstances/srv-db-1`;
const SRC_DB = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/srv/databases/db`;
const TARGET = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/tgt`;
const START = Date.parse('2026-01-05T09:00:00Z');

const SETTINGS: DrillSettings = {
  jobPoll: { initialSeconds: 10, factor: 1.5, maxSeconds: 120 },
  pollsPerGeneration: 50,
  activityRetry: { maxAttempts: 3, firstDelaySeconds: 5, maxDelaySeconds: 60 },
};

const running = (operation: string, retryAfterSeconds = 30): PollState => ({
  operation,
  status: 'running',
  pollUrl: 'https://arm.local/op',
  pollKind: 'azureAsyncOperation',
  retryAfterSeconds,
  polls: 0,
});
const job = (status: string, extra: Partial<JobSummary> = {}): JobSummary => ({
  id: 'job-1',
  status,
  terminal: ['Completed', 'Failed'].includes(status),
  succeeded: status === 'Completed',
  startTime: new Date(START).toISOString(),
  duration: '00:20:00',
  ...extra,
});

function rig(script: ActivityScript = {}, clock = new FakeClock(START)) {
  const defaults: ActivityScript = {
    [ACTIVITIES.resolveBackupInstance]: () =>
      ok({
        backupInstanceId: BI,
        vaultId: VAULT,
        datasourceId: SRC_DB,
        datasourceKind: 'singleServerDatabase',
        protectionStatus: 'ProtectionConfigured',
        location: 'westus',
      }),
    [ACTIVITIES.selectRecoveryPoint]: () =>
      ok({
        ok: true,
        point: { id: 'rp-1', time: new Date(START - 6 * 3600_000).toISOString(), stores: ['VaultStore'] },
        dataStore: 'VaultStore',
        candidates: 3,
      }),
    [ACTIVITIES.startValidateRestore]: () => ok(running('validateRestore')),
    [ACTIVITIES.triggerRestore]: () => ok({ state: running('restore', 10), reused: false }),
    [ACTIVITIES.pollOperation]: (input: { state: PollState }) =>
      ok({
        ...input.state,
        status: 'succeeded',
        polls: input.state.polls + 1,
        ...(input.state.operation === 'restore' ? { jobId: 'job-1' } : {}),
      }),
    [ACTIVITIES.getJob]: (_: unknown, n: number) => ok(n < 4 ? job('InProgress') : job('Completed')),
    // After a failure, the drill looks for its restore job before cleaning up: none by default.
    [ACTIVITIES.findRestoreJob]: () => ok({ job: null }),
    [ACTIVITIES.verifyRestore]: () =>
      ok([{ check: 'connect', database: 'db', status: 'passed', message: 'connected' }]),
    [ACTIVITIES.cleanupDrill]: (input) =>
      ok(
        input.resources.map((r) => ({
          actions: [
            {
              resource: r.kind === 'blobs' ? r.prefix : r.name,
              action: `drop ${r.kind}`,
              status: 'done' as const,
            },
          ],
          retryable: false,
        })),
      ),
    [ACTIVITIES.saveReport]: () => ok({ table: 'DrillReports', blobUrl: 'x', htmlUrl: 'y' }),
    [ACTIVITIES.publishDrillOutcome]: () => ok({ alerts: { ids: [] }, metrics: 'logged' as const }),
    [ACTIVITIES.listRestoredFiles]: () =>
      ok([{ name: 'pgdrill-x_db.dump', bytes: 10, database: 'db', dumpServerVersion: '15.4' }]),
    [ACTIVITIES.loadDump]: (input) =>
      ok({
        database: 'db',
        scratchDatabase: input.scratchDatabase,
        dumpVersion: '15.4',
        serverVersion: '16.1',
        seconds: 3,
      }),
  };
  const { handlers, calls, counts } = scriptedHandlers(script, defaults, () => clock.now());
  const driver = new OrchestrationDriver({
    orchestrators: orchestratorFunctions,
    activities: handlers,
    clock,
    keepHistories: true,
  });
  const run = async (
    request: Record<string, unknown> = {},
    drillId = 'drill-1',
    settings = SETTINGS,
  ): Promise<DrillReport> => {
    const parsed = parseDrillRequest({
      backupInstanceId: BI,
      target: { kind: 'database', serverId: TARGET, secretUri: 'https://kv.vault.azure.net/secrets/s' },
      ...request,
    });
    await driver.start(
      ORCHESTRATORS.restoreDrill,
      { drillId, request: parsed, trigger: { kind: 'test' }, settings },
      drillId,
    );
    const s = await driver.waitForCompletion(drillId, 30_000);
    expect(s.runtimeStatus, String(s.output)).toBe('Completed');
    return s.output as DrillReport;
  };
  return { driver, clock, calls, counts, run };
}

/**
 * Replays each recorded history of drill-1 (the drill and its polling children) in one episode: the same
 * activities, children and timers are scheduled in the same order, and the drill's output is the same report.
 */
async function expectSameReplay(driver: OrchestrationDriver, report: DrillReport): Promise<void> {
  for (const id of [
    'drill-1',
    childInstanceId('drill-1', 'validate'),
    childInstanceId('drill-1', 'restore'),
    childInstanceId('drill-1', 'job'),
  ]) {
    const [history] = driver.histories.get(id)!;
    const status = driver.getStatus(id)!;
    const replay = await runEpisode(
      orchestratorFunctions[status.name as keyof typeof orchestratorFunctions],
      {
        instanceId: id,
        name: status.name,
        input: status.input,
        history: history!.map((e) => ({ ...e, IsPlayed: true })),
        log: () => undefined,
      },
    );
    // What the history recorded as scheduled, in order: activities and children by name and input,
    // timers by due time.
    const recorded = history!.flatMap((e): Record<string, unknown>[] => {
      const ev = e as unknown as { Name?: string; Input?: string; FireAt?: Date; InstanceId?: string };
      if (e.EventType === EVENT_TYPE.TaskScheduled)
        return [{ kind: 'activity', name: ev.Name, input: JSON.parse(ev.Input!) as unknown }];
      if (e.EventType === EVENT_TYPE.TimerCreated)
        return [{ kind: 'timer', fireAt: new Date(ev.FireAt!).toISOString() }];
      if (e.EventType === EVENT_TYPE.SubOrchestrationInstanceCreated)
        return [
          {
            kind: 'subOrchestration',
            name: ev.Name,
            instanceId: ev.InstanceId,
            input: JSON.parse(ev.Input!) as unknown,
          },
        ];
      return [];
    });
    const replayed = replay.decisions.flatMap((d): Record<string, unknown>[] => {
      if (d.kind === 'activity') return [{ kind: d.kind, name: d.name, input: d.input }];
      if (d.kind === 'timer') return [{ kind: d.kind, fireAt: d.fireAt.toISOString() }];
      if (d.kind === 'subOrchestration')
        return [{ kind: d.kind, name: d.name, instanceId: d.instanceId, input: d.input }];
      return [];
    });
    expect(replay.isDone, id).toBe(true);
    expect(recorded.length, id).toBeGreaterThan(0);
    expect(replayed, id).toEqual(recorded);
    if (id === 'drill-1') expect(replay.output).toEqual(report);
  }
}

const phase = (r: DrillReport, name: string) => r.phases.find((p) => p.name === name)!;

describe('restoreDrill on the replay engine', () => {
  it("RTO on Azure's clock: the job's own start to end plus load and verify; the detection lag beside it", async () => {
    const jobStart = new Date(START + 40_000).toISOString();
    const jobEnd = new Date(START + 60_000).toISOString();
    const { run } = rig({
      [ACTIVITIES.getJob]: (_: unknown, n: number) =>
        ok(
          n < 4
            ? job('InProgress', { startTime: jobStart })
            : job('Completed', { startTime: jobStart, endTime: jobEnd }),
        ),
    });
    const report = await run({ targets: { rtoMinutes: 1 } });
    expect(report.verdict).toBe('passed');
    const restoreSeen = phase(report, 'restore').endedAt!;
    expect(report.rtoBasis).toBe('azureJob');
    expect(report.rtoSeconds).toBe(20 + phase(report, 'verify').durationSeconds!);
    expect(report.detectionLagSeconds).toBe((Date.parse(restoreSeen) - Date.parse(jobEnd)) / 1000);
    expect(report.detectionLagSeconds).toBeGreaterThan(0);
    // The lag is not in the RTO the target is judged on.
    expect(report.objectives!.rto).toEqual({
      targetSeconds: 60,
      actualSeconds: report.rtoSeconds,
      met: true,
    });
  });

  it('a missed target fails a drill that restored and verified: TargetMissed, saying which and by how much', async () => {
    const { run } = rig();
    // RTO is 57.5 s and RPO 6 h (the happy path below): a 30 s RTO target is missed, a 24 h RPO target met.
    const report = await run({ targets: { rtoMinutes: 0.5, rpoHours: 24 } });
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({ phase: 'verify', code: 'TargetMissed', isUserError: false });
    expect(report.failure!.message).toBe('the restore worked, but RTO 57.5 s, over its target of 30.0 s');
    expect(report.failure!.recommendedActions![0]).toMatch(/informational/);
    expect(report.objectives!.rto!.met).toBe(false);
    expect(report.objectives!.rpo!.met).toBe(true);
    // Every phase itself succeeded: the verdict is the target's.
    expect(report.phases.every((p) => p.status === 'succeeded')).toBe(true);
    // What the CLI and the demo print: each target, measured against it, and the failure with its action.
    const text = formatReport(report);
    expect(text).toContain('drill drill-1: FAILED');
    expect(text).toContain('targets    RTO 57.5 s against 30.0 s: MISSED   RPO 6.0 h against 24.0 h: met');
    expect(text).toContain('failure    TargetMissed in verify: the restore worked, but RTO 57.5 s');
    // Both missed: both named.
    const both = await rig().run({ targets: { rtoMinutes: 0.5, rpoHours: 1 } });
    expect(both.failure!.message).toMatch(
      /RTO 57\.5 s, over its target of 30\.0 s; RPO 6\.0 h, over its target of 60\.0 min/,
    );
  });

  it('informational targets: reported as missed, the drill still passes', async () => {
    const { run } = rig();
    const report = await run({ targets: { rtoMinutes: 0.5, informational: true } });
    expect(report.verdict).toBe('passed');
    expect(report.failure).toBeUndefined();
    expect(report.objectives!.rto).toEqual({ targetSeconds: 30, actualSeconds: 57.5, met: false });
    expect(formatReport(report)).toContain(
      'targets    RTO 57.5 s against 30.0 s: MISSED   (informational: they do not decide the verdict)',
    );
  });

  it('a failed check fails the verify phase too (not "succeeded" beside it); cleanup and report still run', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.verifyRestore]: () =>
        ok([
          { check: 'connect', database: 'db', status: 'passed', message: 'connected' },
          {
            check: 'table public.orders',
            database: 'db',
            status: 'failed',
            expected: '>= 500',
            actual: 12,
            message: '12 row(s) counted in public.orders; minimum 500',
          },
        ]),
    });
    const report = await run();
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({ phase: 'verify', code: 'VerificationFailed' });
    expect(phase(report, 'verify')).toMatchObject({ status: 'failed', detail: '1 of 2 check(s) failed' });
    expect(phase(report, 'verify').durationSeconds).toBeGreaterThanOrEqual(0);
    expect(report.phases.map((p) => [p.name, p.status]).slice(-2)).toEqual([
      ['cleanup', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(counts.get(ACTIVITIES.cleanupDrill)).toBe(1);
  });

  it('happy path: every phase timed from the orchestration clock; RTO and RPO exact', async () => {
    const { run, calls, driver } = rig();
    const report = await run({ targets: { rtoMinutes: 10, rpoHours: 24 } });
    expect(report.verdict).toBe('passed');
    expect(report.phases.map((p) => [p.name, p.status])).toEqual([
      ['resolve', 'succeeded'],
      ['select', 'succeeded'],
      ['prepare', 'succeeded'],
      ['validate', 'succeeded'],
      ['restore', 'succeeded'],
      ['verify', 'succeeded'],
      ['cleanup', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    // validate waits one Retry-After (30 s); the restore waits 10 s, then polls the job at 0, 10, 15, 22.5 s.
    expect(phase(report, 'validate').durationSeconds).toBe(30);
    expect(phase(report, 'restore').durationSeconds).toBe(10 + 10 + 15 + 22.5);
    expect(report.rpoSeconds).toBe(6 * 3600);
    expect(report.rtoSeconds).toBe(57.5);
    // No end time from Azure for the job: RTO falls back to the drill's own clock.
    expect(report.rtoBasis).toBe('drillClock');
    expect(report.objectives).toEqual({
      rto: { targetSeconds: 600, actualSeconds: 57.5, met: true },
      rpo: { targetSeconds: 86400, actualSeconds: 21600, met: true },
    });
    expect(report.job).toMatchObject({
      id: 'job-1',
      status: 'Completed',
      azureDurationSeconds: 1200,
      polls: 4,
    });
    // The restore body the trigger got: a new database named after the drill, on the target server.
    const trigger = calls.find((c) => c.name === ACTIVITIES.triggerRestore)!.input;
    expect(trigger.body.restoreTargetInfo.datasourceInfo.resourceID).toMatch(
      new RegExp(`^${TARGET}/databases/pgdrill_`),
    );
    expect(trigger.body).toMatchObject({
      objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
      recoveryPointId: 'rp-1',
      sourceDataStoreType: 'VaultStore',
    });
    // Cleanup gets what was recorded: the restored database, and the verification login (recorded first).
    expect(calls.find((c) => c.name === ACTIVITIES.cleanupDrill)!.input.resources).toEqual([
      expect.objectContaining({ kind: 'database', serverId: TARGET }),
      expect.objectContaining({ kind: 'role', name: expect.stringMatching(/^pgdrill_ro_/) }),
    ]);
    expect(calls.find((c) => c.name === ACTIVITIES.verifyRestore)!.input.role).toMatch(/^pgdrill_ro_/);
    expect(driver.getStatus('drill-1')!.customStatus).toMatchObject({ phase: 'done', verdict: 'passed' });
  });

  it('replaying the recorded history in one episode reproduces the same decisions and output', async () => {
    const { run, driver } = rig();
    const report = await run();
    await expectSameReplay(driver, report);
  });

  it('validation failure: the mapped Azure error, no restore, nothing to clean', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.pollOperation]: (input: { state: PollState }) =>
        ok({
          ...input.state,
          status: 'failed',
          error: {
            code: 'UserErrorRestoreToLowerVersion',
            message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
            recommendedActions: [
              'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
            ],
            isRetryable: false,
            isUserError: false,
          },
        }),
    });
    const report = await run();
    expect(report.verdict).toBe('failed');
    expect(report.failure).toEqual({
      phase: 'validate',
      code: 'UserErrorRestoreToLowerVersion',
      message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
      recommendedActions: [
        'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
      ],
      isUserError: false,
      isRetryable: false,
    });
    expect(counts.get(ACTIVITIES.triggerRestore)).toBeUndefined();
    expect(counts.get(ACTIVITIES.cleanupDrill)).toBeUndefined();
    expect(report.cleanup.status).toBe('nothing');
    expect(phase(report, 'validate')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('UserErrorRestoreToLowerVersion'),
    });
  });

  it('restore operation failure: failed in restore, and the recorded database is cleaned up', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.pollOperation]: (input: { state: PollState }) =>
        ok(
          input.state.operation === 'restore'
            ? {
                ...input.state,
                status: 'failed',
                error: {
                  code: 'UserErrorMSIMissingPermissions',
                  message: 'no access',
                  recommendedActions: ['grant Reader'],
                  isRetryable: false,
                  isUserError: true,
                },
              }
            : { ...input.state, status: 'succeeded' },
        ),
    });
    const report = await run();
    expect(report.failure).toMatchObject({ phase: 'restore', code: 'UserErrorMSIMissingPermissions' });
    expect(counts.get(ACTIVITIES.cleanupDrill)).toBe(1);
    expect(report.cleanup.status).toBe('done');
  });

  it('a restore refused because the name is taken does not drop the database it found', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.pollOperation]: (input: { state: PollState }) =>
        ok(
          input.state.operation === 'restore'
            ? {
                ...input.state,
                status: 'failed',
                error: {
                  code: 'UserErrorDatabaseNameAlreadyInUse',
                  message: 'taken',
                  recommendedActions: [],
                  isRetryable: false,
                  isUserError: true,
                },
              }
            : { ...input.state, status: 'succeeded' },
        ),
    });
    const report = await run();
    expect(report.failure?.code).toBe('UserErrorDatabaseNameAlreadyInUse');
    expect(counts.get(ACTIVITIES.cleanupDrill)).toBeUndefined();
  });

  it('job failure: the job error from errorDetails, cleanup still runs', async () => {
    const { run } = rig({
      [ACTIVITIES.getJob]: (_: unknown, n: number) =>
        ok(
          n < 2
            ? job('InProgress')
            : job('Failed', {
                error: {
                  code: 'UserErrorRestoreFailed',
                  message: 'pg_restore failed',
                  recommendedActions: ['check space'],
                  isRetryable: true,
                  isUserError: false,
                },
              }),
        ),
    });
    const report = await run();
    expect(report.failure).toMatchObject({
      phase: 'restore',
      code: 'UserErrorRestoreFailed',
      recommendedActions: ['check space'],
    });
    expect(report.job?.status).toBe('Failed');
    expect(report.cleanup.status).toBe('done');
  });

  it('retryable activity failures are retried on durable timers; user errors are not', async () => {
    const { run, calls } = rig({
      [ACTIVITIES.resolveBackupInstance]: (_: unknown, n: number) =>
        n < 3
          ? fail('ServiceUnavailable', { isRetryable: true, isUserError: false })
          : ok({
              backupInstanceId: BI,
              vaultId: VAULT,
              datasourceId: SRC_DB,
              datasourceKind: 'singleServerDatabase',
            }),
    });
    const report = await run();
    expect(report.verdict).toBe('passed');
    const resolves = calls
      .filter((c) => c.name === ACTIVITIES.resolveBackupInstance)
      .map((c) => (c.at - START) / 1000);
    expect(resolves).toEqual([0, 5, 15]); // 5 s, then 10 s
    const { run: run2, counts } = rig({ [ACTIVITIES.resolveBackupInstance]: () => fail('ResourceNotFound') });
    const r2 = await run2();
    expect(r2.failure).toMatchObject({ phase: 'resolve', code: 'ResourceNotFound' });
    expect(counts.get(ACTIVITIES.resolveBackupInstance)).toBe(1);
  });

  it('a trigger whose earlier attempt may still be accepted posts nothing, waits until it settles, then looks again', async () => {
    const { run, calls } = rig({
      [ACTIVITIES.triggerRestore]: (_input, n) =>
        n === 1
          ? ok({ settleUntil: new Date(START + 30 * 60_000).toISOString() })
          : ok({ state: running('restore', 10), reused: false }),
    });
    const report = await run();
    expect(report.verdict).toBe('passed');
    const triggers = calls.filter((c) => c.name === ACTIVITIES.triggerRestore);
    expect(triggers.map((c) => c.at - START)).toEqual([30_000, 30 * 60_000]);
    // The same attempt both times: same drill, body and destination.
    expect(triggers[1]!.input.destination).toBe(triggers[0]!.input.destination);
    expect(triggers[1]!.input.drillId).toBe('drill-1');
  });

  it('a drill that fails while its restore job still runs waits for the job to end before cleaning up', async () => {
    const { run, calls } = rig({
      [ACTIVITIES.getJob]: () => fail('AuthorizationFailed'),
      [ACTIVITIES.findRestoreJob]: (_input, n) => ok({ job: n < 3 ? job('InProgress') : job('Completed') }),
    });
    const report = await run();
    expect(report.failure).toMatchObject({ phase: 'restore', code: 'AuthorizationFailed' });
    const finds = calls.filter((c) => c.name === ACTIVITIES.findRestoreJob);
    const cleanup = calls.find((c) => c.name === ACTIVITIES.cleanupDrill)!;
    expect(finds).toHaveLength(3);
    expect(cleanup.at).toBeGreaterThanOrEqual(finds.at(-1)!.at);
    expect(finds[1]!.at - finds[0]!.at).toBe(10_000); // the job poll interval
    expect(report.job).toMatchObject({ status: 'Completed' });
    expect(report.cleanup.status).toBe('done');
  });

  it('when the restore job cannot be seen after a failure, the cleanup says so and stays open for the sweeper', async () => {
    const { run } = rig({
      [ACTIVITIES.getJob]: () => fail('AuthorizationFailed'),
      [ACTIVITIES.findRestoreJob]: () => fail('AuthorizationFailed'),
    });
    const report = await run();
    expect(report.cleanup.status).toBe('partial');
    expect(report.cleanup.actions.at(-1)).toMatchObject({ action: 'await restore job', status: 'failed' });
  });

  it('deadline: a job still running at the deadline fails the drill at that time and cleans up', async () => {
    const { run } = rig({ [ACTIVITIES.getJob]: () => ok(job('InProgress')) });
    const report = await run({ deadline: 'PT2H' });
    expect(report.failure).toMatchObject({ phase: 'restore', code: 'DeadlineExceeded' });
    expect(Date.parse(phase(report, 'restore').endedAt!) - START).toBe(2 * 3600_000);
    expect(report.cleanup.status).toBe('done');
  });

  it('cancellation during job monitoring: cancelled verdict, the child stops too, cleanup runs', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.getJob]: (_: unknown, n: number) => {
        if (n === 3) {
          // What POST /api/drills/{id}/cancel does: raise the cancel event to the drill and its children.
          for (const id of ['drill-1', childInstanceId('drill-1', 'job')])
            ref.driver!.raiseEvent(id, CANCEL_EVENT, { reason: 'operator' });
        }
        return ok(job('InProgress'));
      },
    });
    ref.driver = r.driver;
    const report = await r.run();
    expect(report.verdict).toBe('cancelled');
    expect(report.failure).toBeUndefined();
    expect(phase(report, 'restore').status).toBe('cancelled');
    expect(report.cleanup.status).toBe('done');
    const child = await r.driver.waitForCompletion(childInstanceId('drill-1', 'job'));
    expect(child.output).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
    expect(r.counts.get(ACTIVITIES.getJob)).toBe(3);
  });

  it('archived point: rehydration request, long job waits in timers of at most 3 days', async () => {
    const r = rig({
      [ACTIVITIES.selectRecoveryPoint]: () =>
        ok({
          ok: true,
          point: {
            id: 'rp-old',
            time: new Date(START - 200 * 86400_000).toISOString(),
            stores: ['ArchiveStore'],
          },
          dataStore: 'ArchiveStore',
          candidates: 1,
        }),
      // Rehydration takes about 2 days before the restore completes.
      [ACTIVITIES.getJob]: () =>
        ok(
          r.clock.now() - START < 2 * 86400_000
            ? job('InProgress', { progress: 'Rehydrate recovery point: InProgress' })
            : job('Completed'),
        ),
    });
    const report = await r.run(
      {
        deadline: 'P7D',
        rehydration: { priority: 'High', retentionDays: 15 },
        cleanup: { policy: 'keep', keepFor: 'P7D' },
      },
      'drill-1',
      { ...SETTINGS, jobPoll: { initialSeconds: 60, factor: 2, maxSeconds: 4 * 86400 } },
    );
    const body = r.calls.find((c) => c.name === ACTIVITIES.triggerRestore)!.input.body;
    expect(body).toMatchObject({
      objectType: 'AzureBackupRestoreWithRehydrationRequest',
      sourceDataStoreType: 'ArchiveStore',
      rehydrationPriority: 'High',
      rehydrationRetentionDuration: 'P15D',
    });
    expect(report.verdict).toBe('passed');
    expect(report.recoveryPoint).toMatchObject({ dataStore: 'ArchiveStore' });
    // keep P7D: first the report with cleanup deferred, then a chain of timers, then cleanup and the final report.
    expect(report.cleanup).toMatchObject({ policy: 'keep', status: 'done', keepUntil: expect.any(String) });
    expect(r.counts.get(ACTIVITIES.saveReport)).toBe(2);
    expect(r.clock.jumps.every((ms) => ms <= 3 * 86400_000)).toBe(true);
    const cleanupAt = r.calls.find((c) => c.name === ACTIVITIES.cleanupDrill)!.at;
    expect(cleanupAt).toBe(Date.parse(report.cleanup.keepUntil!));
  });

  it('files target with load: list, load each dump into a recorded scratch database, verify it', async () => {
    const { run, calls } = rig();
    const report = await run({
      target: {
        kind: 'files',
        containerUrl: 'https://st.blob.core.windows.net/c',
        load: { host: 'drill.example', secretUri: 'https://kv.vault.azure.net/secrets/d' },
      },
    });
    expect(report.verdict).toBe('passed');
    expect(report.phases.map((p) => p.name)).toContain('load');
    const scratch = calls.find((c) => c.name === ACTIVITIES.loadDump)!.input.scratchDatabase;
    expect(calls.find((c) => c.name === ACTIVITIES.verifyRestore)!.input.targets).toEqual([
      expect.objectContaining({
        database: 'db',
        connectDatabase: scratch,
        host: 'drill.example',
        port: 5432,
      }),
    ]);
    expect(
      calls.find((c) => c.name === ACTIVITIES.cleanupDrill)!.input.resources.map((r: any) => r.kind),
    ).toEqual(['blobs', 'scratchDatabase', 'role']);
  });

  it('a Flexible Server with a database target is refused in prepare, before Azure is called', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.resolveBackupInstance]: () =>
        ok({
          backupInstanceId: BI,
          vaultId: VAULT,
          datasourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/f1`,
          datasourceKind: 'flexibleServer',
        }),
    });
    const report = await run();
    expect(report.failure).toMatchObject({ phase: 'prepare', code: 'RestoreAsDatabaseNotSupported' });
    expect(counts.get(ACTIVITIES.startValidateRestore)).toBeUndefined();
  });
});

const FILES = {
  target: {
    kind: 'files',
    containerUrl: 'https://st.blob.core.windows.net/c',
    load: { host: 'drill.example', secretUri: 'https://kv.vault.azure.net/secrets/d' },
  },
};

/** What POST /api/drills/{id}/cancel does: the cancel event to the drill and to each of its children. */
function cancelAll(driver: OrchestrationDriver, drillId = 'drill-1'): void {
  for (const id of [
    drillId,
    ...(['validate', 'restore', 'job'] as const).map((p) => childInstanceId(drillId, p)),
  ])
    if (driver.list().some((i) => i.instanceId === id && i.runtimeStatus === 'Running'))
      driver.raiseEvent(id, CANCEL_EVENT, { reason: 'operator' });
}

const kinds = (calls: { name: string; input: any }[]) =>
  calls.find((c) => c.name === ACTIVITIES.cleanupDrill)?.input.resources.map((r: any) => r.kind);

describe('restoreDrill failure paths on the replay engine', () => {
  it('a polling child that fails outright: SubOrchestrationFailed in validate, no restore triggered', async () => {
    // A poll answer without a state: the child's own code throws, and the child fails as a whole.
    const { run, counts } = rig({ [ACTIVITIES.pollOperation]: () => ok(null as unknown as PollState) });
    const report = await run();
    expect(report.failure).toMatchObject({ phase: 'validate', code: 'SubOrchestrationFailed' });
    expect(report.failure!.message).toMatch(/^trackOperation failed: /);
    expect(counts.get(ACTIVITIES.triggerRestore)).toBeUndefined();
    expect(report.cleanup.status).toBe('nothing');
  });

  it('an operation that ends Failed without an error: OperationFailed naming the operation', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.pollOperation]: (input) => ok({ ...input.state, status: 'failed', polls: 1 }),
    });
    const report = await run();
    expect(report.failure).toMatchObject({
      phase: 'validate',
      code: 'OperationFailed',
      message: 'the validateRestore operation ended failed',
    });
    expect(counts.get(ACTIVITIES.triggerRestore)).toBeUndefined();
  });

  it('an activity that throws (a worker crash) is retried, then reported as ActivityFailed with its message', async () => {
    const { run, calls } = rig({
      [ACTIVITIES.resolveBackupInstance]: () => {
        throw new Error('worker lost');
      },
    });
    const report = await run();
    expect(report.failure).toMatchObject({ phase: 'resolve', code: 'ActivityFailed', isRetryable: true });
    // The worker's stack trace (which the engine appends) stays out of the report.
    expect(report.failure!.message).toBe('activity resolveBackupInstance failed unexpectedly: worker lost');
    expect(JSON.stringify(report)).not.toMatch(/ at |\.ts:\d+/);
    const at = calls
      .filter((c) => c.name === ACTIVITIES.resolveBackupInstance)
      .map((c) => (c.at - START) / 1000);
    expect(at).toEqual([0, 5, 15]); // maxAttempts 3: 5 s, then 10 s
  });

  it('the deadline during a retry wait: DeadlineExceeded at the deadline, not after the wait', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.selectRecoveryPoint]: () =>
        fail('ServiceUnavailable', { isRetryable: true, isUserError: false, retryAfterSeconds: 7200 }),
    });
    const report = await run({ deadline: 'PT1H' });
    expect(report.failure).toMatchObject({
      phase: 'select',
      code: 'DeadlineExceeded',
      message: "the drill's deadline passed while retrying selectRecoveryPoint",
    });
    expect(Date.parse(phase(report, 'select').endedAt!) - START).toBe(3600_000);
    expect(counts.get(ACTIVITIES.selectRecoveryPoint)).toBe(1);
  });

  it('the deadline while an operation is tracked: DeadlineExceeded in validate at the deadline', async () => {
    const { run, counts } = rig({
      [ACTIVITIES.pollOperation]: (input) => ok({ ...input.state, polls: input.state.polls + 1 }),
    });
    const report = await run({ deadline: 'PT1H' });
    expect(report.failure).toMatchObject({
      phase: 'validate',
      code: 'DeadlineExceeded',
      message: "the validateRestore operation was still running at the drill's deadline",
    });
    expect(Date.parse(phase(report, 'validate').endedAt!) - START).toBe(3600_000);
    expect(counts.get(ACTIVITIES.pollOperation)).toBe(120); // every 30 s (Retry-After), the last one at the deadline
    expect(counts.get(ACTIVITIES.triggerRestore)).toBeUndefined();
  });

  it('cancellation during validation: cancelled in validate, the child stops, nothing restored', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.pollOperation]: (input, n) => {
        if (n === 2) cancelAll(ref.driver!);
        return ok({ ...input.state, polls: input.state.polls + 1 });
      },
    });
    ref.driver = r.driver;
    const report = await r.run();
    expect(report.verdict).toBe('cancelled');
    expect(phase(report, 'validate').status).toBe('cancelled');
    expect(r.counts.get(ACTIVITIES.pollOperation)).toBe(2);
    expect(r.counts.get(ACTIVITIES.triggerRestore)).toBeUndefined();
    expect(report.cleanup.status).toBe('nothing');
    const child = await r.driver.waitForCompletion(childInstanceId('drill-1', 'validate'));
    expect(child.output).toMatchObject({ ok: false, error: { code: 'Cancelled' } });
  });

  it('cancellation during a retry wait: the wait ends at once, no further attempt', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.resolveBackupInstance]: () => {
        cancelAll(ref.driver!);
        return fail('ServiceUnavailable', { isRetryable: true, isUserError: false, retryAfterSeconds: 600 });
      },
    });
    ref.driver = r.driver;
    const report = await r.run();
    expect(report.verdict).toBe('cancelled');
    expect(phase(report, 'resolve')).toMatchObject({ status: 'cancelled', durationSeconds: 0 });
    expect(r.counts.get(ACTIVITIES.resolveBackupInstance)).toBe(1);
  });

  it('cancellation during a load: no verification, and the scratch database is cleaned up with the files', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.loadDump]: (input) => {
        cancelAll(ref.driver!);
        return ok({
          database: 'db',
          scratchDatabase: input.scratchDatabase,
          dumpVersion: '15.4',
          serverVersion: '16.1',
          seconds: 3,
        });
      },
    });
    ref.driver = r.driver;
    const report = await r.run(FILES);
    expect(report.verdict).toBe('cancelled');
    expect(r.counts.get(ACTIVITIES.verifyRestore)).toBeUndefined();
    expect(phase(report, 'verify').status).toBe('cancelled');
    expect(kinds(r.calls)).toEqual(['blobs', 'scratchDatabase']);
    expect(report.cleanup.status).toBe('done');
  });

  it('cancellation during verification (while it retries): cancelled in verify, its login cleaned up too', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.verifyRestore]: () => {
        cancelAll(ref.driver!);
        return fail('NetworkError', { isRetryable: true, isUserError: false });
      },
    });
    ref.driver = r.driver;
    const report = await r.run();
    expect(report.verdict).toBe('cancelled');
    expect(phase(report, 'verify').status).toBe('cancelled');
    expect(r.counts.get(ACTIVITIES.verifyRestore)).toBe(1);
    expect(kinds(r.calls)).toEqual(['database', 'role']);
  });

  it('cancellation during the keep period: cleanup at once, the verdict stays what the drill proved', async () => {
    const ref: { driver?: OrchestrationDriver } = {};
    const r = rig({
      [ACTIVITIES.saveReport]: (_input, n) => {
        if (n === 1) cancelAll(ref.driver!);
        return ok({ table: 'DrillReports', blobUrl: 'x', htmlUrl: 'y' });
      },
    });
    ref.driver = r.driver;
    const report = await r.run({ cleanup: { policy: 'keep', keepFor: 'PT8H' } });
    expect(report.verdict).toBe('passed');
    const firstSave = r.calls.find((c) => c.name === ACTIVITIES.saveReport)!.at;
    const cleanup = r.calls.find((c) => c.name === ACTIVITIES.cleanupDrill)!.at;
    expect(cleanup).toBe(firstSave); // not 8 hours later
    expect(Date.parse(report.cleanup.keepUntil!) - firstSave).toBe(8 * 3600_000);
    expect(report.cleanup.status).toBe('done');
    expect(r.counts.get(ACTIVITIES.saveReport)).toBe(2);
  });

  it('a cleanup that fails after the keep period: retried, then the second report says failed for the sweeper', async () => {
    const r = rig({
      [ACTIVITIES.cleanupDrill]: (input) =>
        ok(
          input.resources.map((res) => ({
            actions: [
              {
                resource: res.kind === 'blobs' ? res.prefix : res.name,
                action: 'drop',
                status: 'failed' as const,
                message: 'NetworkError: server unreachable',
              },
            ],
            retryable: true,
          })),
        ),
    });
    const report = await r.run({ cleanup: { policy: 'keep', keepFor: 'PT1H' } });
    expect(report.verdict).toBe('passed');
    const saves = r.calls.filter((c) => c.name === ACTIVITIES.saveReport);
    expect(saves.map((c) => c.input.report.cleanup.status)).toEqual(['deferred', 'failed']);
    // Cleanup tried at the end of the keep period, then 3 retries (durable timers of 5, 10, 20 s).
    const cleanups = r.calls.filter((c) => c.name === ACTIVITIES.cleanupDrill).map((c) => c.at);
    expect(cleanups).toHaveLength(4);
    expect(cleanups[0]).toBe(Date.parse(report.cleanup.keepUntil!));
    expect(cleanups.slice(1).map((t, i) => (t - cleanups[i]!) / 1000)).toEqual([5, 10, 20]);
    expect(report.cleanup.resources!.map((x) => x.kind)).toEqual(['database', 'role']);
  });
});

describe('polling sub-orchestrations', () => {
  it('monitorJob keeps its history bounded over 1,000 polls (continueAsNew) and returns once', async () => {
    const clock = new FakeClock(START);
    let polls = 0;
    const { handlers } = scriptedHandlers(
      { [ACTIVITIES.getJob]: () => ok(++polls <= 1000 ? job('InProgress') : job('Completed')) },
      {},
      () => clock.now(),
    );
    const driver = new OrchestrationDriver({
      orchestrators: orchestratorFunctions,
      activities: handlers,
      clock,
      keepHistories: true,
    });
    await driver.start(
      ORCHESTRATORS.monitorJob,
      {
        vaultId: VAULT,
        jobId: 'job-1',
        deadline: new Date(START + 365 * 86400_000).toISOString(),
        settings: { ...SETTINGS, jobPoll: { initialSeconds: 10, factor: 1, maxSeconds: 10 } },
      },
      'm',
    );
    const status = await driver.waitForCompletion('m', 60_000);
    expect(status.output).toMatchObject({ ok: true, polls: 1001, job: { status: 'Completed' } });
    const generations = driver.histories.get('m')!;
    expect(generations.length).toBe(21);
    const longest = Math.max(...generations.map((h) => h.length));
    expect(longest).toBeLessThanOrEqual(50 * 8 + 10);
    console.log(
      `monitorJob: 1001 polls, ${generations.length} generations, longest history ${longest} events`,
    );
  });

  it('a one-hour job: far fewer polls than a fixed 10-second poller, completion seen within the cap', async () => {
    const clock = new FakeClock(START);
    const pollTimes: number[] = [];
    const { handlers } = scriptedHandlers(
      {
        [ACTIVITIES.getJob]: () => {
          pollTimes.push(clock.now());
          return ok(clock.now() - START < 3600_000 ? job('InProgress') : job('Completed'));
        },
      },
      {},
      () => clock.now(),
    );
    const driver = new OrchestrationDriver({
      orchestrators: orchestratorFunctions,
      activities: handlers,
      clock,
    });
    await driver.start(
      ORCHESTRATORS.monitorJob,
      {
        vaultId: VAULT,
        jobId: 'job-1',
        deadline: new Date(START + 86400_000).toISOString(),
        settings: SETTINGS,
      },
      'h',
    );
    await driver.waitForCompletion('h');
    const fixed = 3600 / 10 + 1;
    expect(pollTimes.length).toBeLessThan(fixed / 5);
    expect(pollTimes.at(-1)! - (START + 3600_000)).toBeLessThanOrEqual(120_000);
    console.log(
      `one-hour job: ${pollTimes.length} polls (fixed 10 s poller: ${fixed}), noticed ${(pollTimes.at(-1)! - START - 3600_000) / 1000} s after completion`,
    );
  });

  it('trackOperation honours Retry-After and also stays bounded', async () => {
    const clock = new FakeClock(START);
    const at: number[] = [];
    let n = 0;
    const { handlers } = scriptedHandlers(
      {
        [ACTIVITIES.pollOperation]: (input) => {
          at.push(clock.now());
          n++;
          return ok({
            ...input.state,
            polls: input.state.polls + 1,
            retryAfterSeconds: 45,
            ...(n >= 120 ? { status: 'succeeded' as const } : {}),
          });
        },
      },
      {},
      () => clock.now(),
    );
    const driver = new OrchestrationDriver({
      orchestrators: orchestratorFunctions,
      activities: handlers,
      clock,
      keepHistories: true,
    });
    await driver.start(
      ORCHESTRATORS.trackOperation,
      {
        state: running('restore', 20),
        deadline: new Date(START + 86400_000).toISOString(),
        settings: SETTINGS,
      },
      't',
    );
    const s = await driver.waitForCompletion('t');
    expect(s.output).toMatchObject({ ok: true, polls: 120 });
    expect(at[0]! - START).toBe(20_000);
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual(Array(119).fill(45_000));
    expect(driver.histories.get('t')!.length).toBe(3);
  });
});

describe('operation polling without Retry-After (issue 14 item 5.4)', () => {
  /** A validation that runs `runningPolls` polls; `retryAfter(n)` is the Retry-After of the n-th answer, if any. */
  function pollingRig(runningPolls: number, retryAfter: (n: number) => number | undefined = () => undefined) {
    const noRetryAfter = (s: PollState): PollState => {
      const copy = { ...s };
      delete copy.retryAfterSeconds;
      return copy;
    };
    return rig({
      [ACTIVITIES.startValidateRestore]: () => ok(noRetryAfter(running('validateRestore'))),
      [ACTIVITIES.pollOperation]: (input: { state: PollState }, n: number) => {
        const s = input.state;
        if (s.operation !== 'validateRestore')
          return ok({ ...s, status: 'succeeded', polls: s.polls + 1, jobId: 'job-1' });
        const ra = retryAfter(n);
        return ok({
          ...noRetryAfter(s),
          polls: s.polls + 1,
          status: n <= runningPolls ? 'running' : 'succeeded',
          ...(ra !== undefined ? { retryAfterSeconds: ra } : {}),
        });
      },
    });
  }
  /** Seconds between the start of validation and each validation poll, and between polls. */
  function validateDelays(calls: { name: string; input: any; at: number }[]): number[] {
    const start = calls.find((c) => c.name === ACTIVITIES.startValidateRestore)!.at;
    const polls = calls
      .filter((c) => c.name === ACTIVITIES.pollOperation && c.input.state.operation === 'validateRestore')
      .map((c) => c.at);
    return polls.map((at, i) => (at - (i === 0 ? start : polls[i - 1]!)) / 1000);
  }

  it('polls at 1 s doubling to the 30 s cap, not after a fixed 60 s', async () => {
    const r = pollingRig(7);
    const report = await r.run({}, 'drill-1', {
      ...SETTINGS,
      operationPoll: { initialSeconds: 1, factor: 2, maxSeconds: 30 },
    });
    expect(report.verdict).toBe('passed');
    expect(validateDelays(r.calls)).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it('the schedule is the setting (DRILL_OPERATION_POLL_*); drills started before it existed get 1 s to 30 s', async () => {
    const set = pollingRig(3);
    await set.run({}, 'drill-1', {
      ...SETTINGS,
      operationPoll: { initialSeconds: 3, factor: 2, maxSeconds: 5 },
    });
    expect(validateDelays(set.calls)).toEqual([3, 5, 5, 5]);
    const old = pollingRig(3);
    await old.run({}, 'drill-1', SETTINGS); // settings without operationPoll, as in older histories
    expect(validateDelays(old.calls)).toEqual([1, 2, 4, 8]);
  });

  it('a Retry-After the service does send is honoured for the next wait', async () => {
    const r = pollingRig(3, (n) => (n === 2 ? 45 : undefined));
    await r.run({}, 'drill-1', {
      ...SETTINGS,
      operationPoll: { initialSeconds: 1, factor: 2, maxSeconds: 30 },
    });
    expect(validateDelays(r.calls)).toEqual([1, 2, 45, 8]);
  });
});

describe('cross-region drills on the replay engine (issue 14)', () => {
  const REGIONS = { sourceRegion: 'westus', targetRegion: 'eastus' };
  const hours = (h: number) => new Date(START - h * 3600_000).toISOString();
  const crrFacts =
    (extra: Record<string, unknown> = {}) =>
    () =>
      ok({
        vaultId: VAULT,
        vaultLocation: 'westus',
        crossRegionRestoreState: 'Enabled',
        storageTypes: ['GeoRedundant'],
        replicatedRegions: ['eastus'],
        targetServerLocation: 'eastus',
        ...extra,
      });
  const crrRig = (script: ActivityScript = {}) =>
    rig({
      [ACTIVITIES.resolveCrossRegion]: crrFacts(),
      [ACTIVITIES.selectRecoveryPoint]: () =>
        ok({
          ok: true,
          point: { id: 'rp-2', time: hours(8), stores: ['VaultStore'] },
          dataStore: 'VaultStore',
          candidates: 2,
          regional: { newestSecondaryTime: hours(8), newestPrimaryTime: hours(2) },
        }),
      [ACTIVITIES.triggerRestore]: () => ok({ state: running('crossRegionRestore', 10), reused: false }),
      [ACTIVITIES.pollOperation]: (input: { state: PollState }) =>
        ok({
          ...input.state,
          status: 'succeeded',
          polls: input.state.polls + 1,
          ...(input.state.operation === 'crossRegionRestore'
            ? { jobId: '2c026b3e-f635-442a-8f16-1ceddd410c9f' }
            : {}),
        }),
      ...script,
    });
  const restoreCalls = [
    ACTIVITIES.selectRecoveryPoint,
    ACTIVITIES.startValidateRestore,
    ACTIVITIES.triggerRestore,
    ACTIVITIES.getJob,
  ];

  it('restores in the paired region: every Azure call names both regions, the job is watched in that region, the report has lag and regional RPO', async () => {
    const { run, calls, driver } = crrRig({
      // The watcher is not listing: the drill polls its job itself (through the cross-region job API).
      [ACTIVITIES.watchRestoreJob]: () => ok({ watcherId: 'w', healthy: false }),
    });
    const settings: DrillSettings = {
      ...SETTINGS,
      apiVersion: '2023-11-01',
      jobWatch: { intervalSeconds: 30, backstopSeconds: 300 },
    };
    const report = await run({ restoreFrom: 'secondaryRegion' }, 'drill-1', settings);
    expect(report.verdict).toBe('passed');
    expect(calls.find((c) => c.name === ACTIVITIES.resolveCrossRegion)!.input).toMatchObject({
      vaultId: VAULT,
      targetServerId: TARGET,
    });
    for (const name of restoreCalls)
      for (const c of calls.filter((x) => x.name === name))
        expect(c.input.crossRegion, name).toEqual(REGIONS);
    // The job is handed to the watcher of the paired region's cross-region jobs, not to the vault's own one.
    const watch = calls.filter((c) => c.name === ACTIVITIES.watchRestoreJob);
    expect(watch.length).toBeGreaterThan(0);
    for (const c of watch) expect(c.input.crossRegion).toEqual(REGIONS);
    const body = calls.find((c) => c.name === ACTIVITIES.triggerRestore)!.input.body;
    expect(body.restoreTargetInfo.restoreLocation).toBe('eastus');
    expect(body).not.toHaveProperty('sourceResourceId'); // 2023-11-01 does not define it
    expect(report.crossRegion).toEqual({
      sourceRegion: 'westus',
      restoreRegion: 'eastus',
      recoveryPointTime: hours(8),
      newestSecondaryPointTime: hours(8),
      newestPrimaryPointTime: hours(2),
      replicationLagSeconds: 6 * 3600,
      regionalRpoSeconds: 8 * 3600,
    });
    expect(report.rpoSeconds).toBe(8 * 3600);
    // The bare GUID the cross-region operation gives is the job the drill follows.
    expect(calls.find((c) => c.name === ACTIVITIES.getJob)!.input.jobId).toBe(
      '2c026b3e-f635-442a-8f16-1ceddd410c9f',
    );
    await expectSameReplay(driver, report);
  });

  it('a vault without cross-region restore is refused in resolve: nothing selected, validated or restored', async () => {
    const { run, counts } = crrRig({
      [ACTIVITIES.resolveCrossRegion]: crrFacts({ crossRegionRestoreState: 'Disabled' }),
    });
    const report = await run({ restoreFrom: 'secondaryRegion' });
    expect(report.failure).toMatchObject({
      phase: 'resolve',
      code: 'CrossRegionRestoreNotEnabled',
      isUserError: true,
    });
    expect(report.failure!.recommendedActions![0]).toMatch(/Cross Region Restore/);
    for (const name of restoreCalls) expect(counts.get(name), name).toBeUndefined();
    expect(report.crossRegion).toBeUndefined();
  });

  it('a target outside the paired region is refused in resolve, naming the field', async () => {
    const { run, counts } = crrRig({
      [ACTIVITIES.resolveCrossRegion]: crrFacts({ targetServerLocation: 'westus' }),
    });
    const report = await run({ restoreFrom: 'secondaryRegion' });
    expect(report.failure).toMatchObject({ phase: 'resolve', code: 'TargetNotInPairedRegion' });
    expect(report.failure!.message).toContain('target.serverId');
    for (const name of restoreCalls) expect(counts.get(name), name).toBeUndefined();
  });

  it('api-version 2021-07-01 is refused before any call, with the fix', async () => {
    const { run, counts } = crrRig();
    const report = await run({ restoreFrom: 'secondaryRegion' }, 'drill-1', {
      ...SETTINGS,
      apiVersion: '2021-07-01',
    });
    expect(report.failure).toMatchObject({ phase: 'resolve', code: 'CrossRegionRestoreNotInApiVersion' });
    expect(report.failure!.message).toContain(
      'set DATAPROTECTION_API_VERSION to 2023-11-01 or later (2026-06-01)',
    );
    for (const name of [ACTIVITIES.resolveBackupInstance, ACTIVITIES.resolveCrossRegion, ...restoreCalls])
      expect(counts.get(name), name).toBeUndefined();
  });

  it('a same-region drill makes no cross-region call and its activity inputs carry no crossRegion (replay safety)', async () => {
    const { run, calls } = rig();
    const report = await run({ restoreFrom: 'primaryRegion' });
    expect(report.verdict).toBe('passed');
    expect(report.crossRegion).toBeUndefined();
    expect(calls.some((c) => c.name === ACTIVITIES.resolveCrossRegion)).toBe(false);
    for (const c of calls) expect(c.input, c.name).not.toHaveProperty('crossRegion');
  });
});
