/**
 * restoreDrill: one restore drill, phase by phase (docs/design.md, "A drill, phase by phase"): resolve,
 * select, prepare, validate, restore, load, verify, cleanup, report. This file is the flow and only the flow:
 * what to restore is decided by pure planners (src/lib/drill/restorePlan.ts, cleanupPlan.ts), and timing,
 * custom status, what was created and the report are kept by DrillRecorder. Cleanup runs whatever happened
 * before it: success, failure, deadline or cancellation. Deterministic: everything else happens in activities.
 */
import type * as df from 'durable-functions';
import type { ResourceCleanup, RestoredFile } from '../activities/contracts';
import { ACTIVITIES } from '../activities/names';
import type { PollState } from '../lib/dataprotection/pollState';
import { cleanupFailedAction, cleanupStatus, planCleanup } from '../lib/drill/cleanupPlan';
import type { DrillReport } from '../lib/drill/report';
import type { DrillInput } from '../lib/drill/request';
import type { VerifyTarget } from '../lib/drill/resources';
import { NEGATIVE_CONTROL_CHECK } from '../lib/drill/negativeControl';
import {
  planNegativeControl,
  planRestore,
  planSandboxRoles,
  planScratchLoad,
} from '../lib/drill/restorePlan';
import { assertCrossRegionApiVersion, decideCrossRegion } from '../lib/dataprotection/crossRegion';
import { FULL_REQUEST_API_VERSION } from '../lib/dataprotection/requests';
import { DrillFailure, failure, toFailure } from '../lib/errors';
import { DrillRecorder } from './drillRecorder';
import { awaitRestoreJob, follow, watchJob } from './drillChildren';
import { log, now, waitUntil, type Ctx } from './helpers';

export type { DrillStatus } from './drillRecorder';

/** Waits for an earlier restore attempt that may still be accepted, before the drill gives up. */
const MAX_SETTLE_ROUNDS = 3;

/** Retries of a cleanup that failed in a way that may pass, before the sweeper takes over. */
const CLEANUP_RETRIES = 3;

export function* restoreDrill(ctx: Ctx): Generator<df.Task, DrillReport, unknown> {
  const input = ctx.df.getInput<DrillInput>();
  const drill = new DrillRecorder(ctx, input);
  try {
    yield* restoreAndVerify(ctx, drill, input);
  } catch (err) {
    drill.fail(err);
    // A restore Azure accepted may still be running: cleaning up before it ends would miss what it creates.
    yield* awaitRestoreJob(ctx, drill);
  }

  // 8. cleanup (after failures, deadlines and cancellation too), then 9. report
  const { policy, keepFor } = input.request.cleanup;
  const decision = planCleanup({
    policy,
    ...(keepFor ? { keepFor } : {}),
    verdict: drill.verdict(),
    created: drill.created,
  });
  let keepUntil: Date | undefined;
  if (decision.kind === 'nothing') drill.record.cleanup = { policy, status: 'nothing', actions: [] };
  else if (decision.kind === 'keep')
    drill.record.cleanup = { policy, status: 'skipped', actions: decision.actions };
  else if (decision.kind === 'defer') {
    keepUntil = new Date(now(ctx).getTime() + decision.keepForMs);
    drill.record.cleanup = { policy, status: 'deferred', keepUntil: keepUntil.toISOString(), actions: [] };
  } else yield* cleanUp(drill, input);

  let report = yield* drill.saveReport();
  // Alerts, dashboard and metrics as soon as the verdict is known (not after a keep period).
  if (input.settings.publishOutcome) yield* drill.publishOutcome(report);
  if (keepUntil) {
    // Keep the restored data for the time asked (a cancel request ends the wait), then clean up and save again.
    drill.status('cleanup', `keeping restored data until ${keepUntil.toISOString()}`);
    const outcome = yield* waitUntil(ctx, keepUntil, new Date(keepUntil.getTime() + 1), drill.cancel);
    log(ctx, 'keep period over', { outcome });
    yield* cleanUp(drill, input, keepUntil);
    report = yield* drill.saveReport();
  }
  return drill.done(report);
}

/** Phases 1 to 7. A failure or cancellation leaves as a DrillFailure naming its phase. */
function* restoreAndVerify(
  ctx: Ctx,
  drill: DrillRecorder,
  input: DrillInput,
): Generator<df.Task, void, unknown> {
  const { request, drillId } = input;
  const record = drill.record;

  // 1. resolve. A cross-region drill (restoreFrom: secondaryRegion) is also refused here, before any restore
  // operation, when it cannot work: an api-version without the cross-region operations, a vault without
  // cross-region restore, a target outside the paired region. Only such drills make the extra call.
  const { instance, crossRegion } = yield* drill.phase('resolve', function* () {
    const secondary = request.restoreFrom === 'secondaryRegion';
    if (secondary) assertCrossRegionApiVersion(input.settings.apiVersion ?? FULL_REQUEST_API_VERSION);
    const bi = yield* drill.act(ACTIVITIES.resolveBackupInstance, {
      backupInstanceId: request.backupInstanceId,
    });
    record.datasource = {
      kind: bi.datasourceKind,
      id: bi.datasourceId,
      ...(bi.protectionStatus ? { protectionStatus: bi.protectionStatus } : {}),
    };
    if (!secondary) return { instance: bi, crossRegion: undefined };
    const target = request.target;
    const facts = yield* drill.act(ACTIVITIES.resolveCrossRegion, {
      vaultId: bi.vaultId,
      ...(target.kind === 'database' ? { targetServerId: target.serverId } : {}),
    });
    const regions = decideCrossRegion(
      facts,
      {
        kind: target.kind,
        ...(target.restoreLocation ? { restoreLocation: target.restoreLocation } : {}),
      },
      { alert: input.trigger.kind === 'alert' },
    );
    record.crossRegion = { sourceRegion: regions.sourceRegion, restoreRegion: regions.targetRegion };
    return { instance: bi, crossRegion: regions };
  });
  // Spread into the inputs of the activities that speak the cross-region API (nothing for other drills, so
  // their inputs, and the histories of drills in flight, stay as they were).
  const regional = crossRegion ? { crossRegion } : {};

  // 2. select
  const selection = yield* drill.phase('select', function* () {
    const sel = yield* drill.act(ACTIVITIES.selectRecoveryPoint, {
      backupInstanceId: request.backupInstanceId,
      policy: request.recoveryPoint,
      drillStart: record.startedAt,
      seed: drillId,
      ...regional,
    });
    if (!sel.ok)
      throw new DrillFailure(
        failure(sel.code, sel.message, {
          isUserError: true,
          recommendedActions: ['Check the recovery point policy, or take a backup first.'],
        }),
      );
    record.recoveryPoint = {
      id: sel.point.id,
      time: sel.point.time,
      dataStore: sel.dataStore,
      policy: request.recoveryPoint.policy,
      candidates: sel.candidates,
    };
    if (record.crossRegion) {
      const newest = sel.regional ?? {};
      record.crossRegion = {
        ...record.crossRegion,
        recoveryPointTime: sel.point.time,
        ...(newest.newestSecondaryTime ? { newestSecondaryPointTime: newest.newestSecondaryTime } : {}),
        ...(newest.newestPrimaryTime ? { newestPrimaryPointTime: newest.newestPrimaryTime } : {}),
      };
    }
    return sel;
  });

  // 3. prepare: the whole restore is decided before Azure is called (and refused here if it cannot work)
  // eslint-disable-next-line require-yield -- a pure phase: timed like the others, nothing to wait for
  const plan = yield* drill.phase('prepare', function* () {
    return planRestore({
      drillId,
      request,
      instance,
      // A cross-region restore is restored in the paired region (restoreTargetInfo.restoreLocation), named as
      // the location-scoped URL names it.
      ...(crossRegion ? { restoreRegion: crossRegion.targetRegion } : {}),
      recoveryPointId: selection.point.id,
      dataStore: selection.dataStore,
      ...(input.settings.apiVersion ? { apiVersion: input.settings.apiVersion } : {}),
    });
  });

  // 4. validate
  yield* drill.phase('validate', function* () {
    const started = yield* drill.act(ACTIVITIES.startValidateRestore, {
      backupInstanceId: request.backupInstanceId,
      body: plan.body,
      ...regional,
    });
    yield* follow(ctx, drill, started, 'validate');
  });

  // 5. restore: what it creates is recorded before it is created
  drill.willCreate(plan.creates);
  const job = yield* drill.phase('restore', function* () {
    record.triggeredAt = now(ctx).toISOString();
    const trigger = {
      drillId,
      backupInstanceId: request.backupInstanceId,
      vaultId: instance.vaultId,
      body: plan.body,
      notBefore: record.startedAt,
      destination: plan.destination,
      ...regional,
    };
    drill.restore = { ...trigger, recoveryPointId: plan.body.recoveryPointId };
    let trig = yield* drill.act(ACTIVITIES.triggerRestore, trigger);
    // An earlier attempt may still be accepted (a crash or a lost answer): wait until it shows or cannot; after
    // a few such rounds without a restore, the last attempt's error is the drill's.
    for (let round = 1; 'settleUntil' in trig; round++) {
      if (round > MAX_SETTLE_ROUNDS)
        throw new DrillFailure(
          trig.lastError ??
            failure(
              'RestoreNotConfirmed',
              'restore attempts were made but Azure shows no restore job for them',
            ),
        );
      drill.status(
        'restore',
        'an earlier restore attempt may still be accepted: waiting before looking again',
      );
      yield* drill.sleepUntil(new Date(trig.settleUntil), 'waiting for an earlier restore attempt');
      trig = yield* drill.act(ACTIVITIES.triggerRestore, trigger);
    }
    let op: PollState;
    try {
      op = yield* follow(ctx, drill, trig.state, 'restore');
    } catch (err) {
      // FailIfExists: a database that already existed is not ours to drop.
      if (toFailure(err).code === 'UserErrorDatabaseNameAlreadyInUse') drill.forgetCreated();
      throw err;
    }
    if (!op.jobId)
      throw new DrillFailure(failure('NoJobId', 'the restore operation succeeded without a backup job id'));
    drill.status('restore', `job ${op.jobId}`);
    return yield* watchJob(ctx, drill, instance.vaultId, op.jobId, plan, crossRegion);
  });
  log(ctx, 'restore job finished', { jobId: job.id, status: job.status });

  // 6. load (restore as files)
  const verifyTargets: VerifyTarget[] = [...plan.verifyTargets];
  let files: RestoredFile[] = [];
  const target = request.target;
  if (target.kind === 'files') {
    files = yield* drill.phase('load', function* () {
      const found = yield* drill.act(ACTIVITIES.listRestoredFiles, {
        containerUrl: target.containerUrl,
        filePrefix: plan.filePrefix!,
      });
      if (found.length === 0)
        throw new DrillFailure(
          failure(
            'NoRestoredFiles',
            `the restore job completed but no file starting with ${plan.filePrefix} is in ${target.containerUrl}`,
          ),
        );
      const blobs = drill.created.find((c) => c.kind === 'blobs');
      if (blobs?.kind === 'blobs') blobs.names = found.map((f) => f.name);
      record.restored.files = found.map((f) => ({ name: f.name, database: f.database, bytes: f.bytes }));
      if (!target.load) return found;
      record.restored.loaded = [];
      for (const file of found) {
        const scratch = planScratchLoad(drillId, target.load, file.database);
        drill.willCreate(scratch.creates);
        const loaded = yield* drill.act(ACTIVITIES.loadDump, {
          containerUrl: target.containerUrl,
          file,
          load: target.load,
          scratchDatabase: scratch.creates.name,
        });
        record.restored.loaded.push(loaded);
        verifyTargets.push(scratch.verifyTarget);
      }
      return found;
    });
  }

  // 7. verify
  yield* drill.phase('verify', function* () {
    // Drills started before these options existed carry neither (their histories replay unchanged).
    const driftMode = request.verify.schemaDrift ?? 'off';
    if (verifyTargets.length === 0) {
      record.verification.push({
        check: 'files restored',
        status: 'passed',
        message: `${files.length} dump file(s) restored; no drill server named in target.load, so the data was not loaded or checked`,
      });
      const notLoaded =
        'not applicable: the restored files were not loaded (no target.load), so there is no database';
      if (driftMode !== 'off')
        record.verification.push({ check: 'schema', status: 'skipped', message: notLoaded });
      if (request.verify.negativeControl)
        record.verification.push({ check: NEGATIVE_CONTROL_CHECK, status: 'skipped', message: notLoaded });
    } else {
      const dumpServerVersion = files[0]?.dumpServerVersion;
      // The negative control's empty database and the read-only login verification creates on each server are
      // recorded first, like everything else.
      const control = request.verify.negativeControl
        ? planNegativeControl(drillId, verifyTargets[0]!)
        : undefined;
      if (control) drill.willCreate(control.creates);
      const roles = planSandboxRoles(
        drillId,
        control ? [...verifyTargets, control.verifyTarget] : verifyTargets,
      );
      for (const role of roles) drill.willCreate(role);
      const out = yield* drill.act(ACTIVITIES.verifyRestore, {
        targets: verifyTargets,
        role: roles[0]!.name,
        spec: request.verify,
        recoveryPointTime: selection.point.time,
        ...(dumpServerVersion ? { dumpServerVersion } : {}),
        ...(driftMode !== 'off'
          ? {
              schemaDrift: {
                mode: driftMode,
                backupInstanceId: request.backupInstanceId,
                drillId,
                startedAt: record.startedAt,
              },
            }
          : {}),
        ...(control ? { negativeControl: control.verifyTarget } : {}),
      });
      const result = Array.isArray(out) ? { checks: out, fingerprints: [] } : out;
      record.verification.push(...result.checks);
      if (result.fingerprints.length) record.schemaFingerprints = result.fingerprints;
    }
    record.verifiedAt = now(ctx).toISOString();
    const bad = record.verification.filter((c) => c.status === 'failed' || c.status === 'error');
    // A check that failed fails the phase too (the report must not say verify succeeded beside it); the drill
    // still goes on to clean up.
    if (bad.length) drill.failPhase(`${bad.length} of ${record.verification.length} check(s) failed`);
  });
}

/**
 * Cleans up what the drill recorded creating. Resources whose cleanup failed in a way that may pass (a server
 * or storage briefly unreachable) are retried on durable timers; what still fails is left to the sweeper.
 */
function* cleanUp(
  drill: DrillRecorder,
  input: DrillInput,
  keepUntil?: Date,
): Generator<df.Task, void, unknown> {
  const policy = input.request.cleanup.policy;
  try {
    yield* drill.phase('cleanup', function* () {
      const resources = drill.created;
      const outcome: ResourceCleanup[] = [];
      let pending = resources.map((_, i) => i);
      for (let round = 0; ; round++) {
        const out = yield* drill.act(
          ACTIVITIES.cleanupDrill,
          { drillId: input.drillId, resources: pending.map((i) => resources[i]!) },
          true,
        );
        pending.forEach((index, k) => (outcome[index] = out[k]!));
        pending = pending.filter((index) => outcome[index]!.retryable);
        if (pending.length === 0 || round >= CLEANUP_RETRIES) break;
        drill.detail(`retrying the cleanup of ${pending.length} resource(s)`);
        yield* drill.pause(drill.settings.activityRetry.firstDelaySeconds * 2 ** round);
      }
      const actions = outcome.flatMap((o) => o.actions);
      if (drill.restoreMayStillRun)
        actions.push({
          resource: 'restore job',
          action: 'await restore job',
          status: 'failed',
          message:
            'could not confirm that the restore job had ended: what it creates later is left to the sweeper',
        });
      drill.record.cleanup = { ...drill.record.cleanup, policy, status: cleanupStatus(actions), actions };
    });
  } catch (err) {
    drill.record.cleanup = {
      policy,
      status: 'failed',
      ...(keepUntil ? { keepUntil: keepUntil.toISOString() } : {}),
      actions: [cleanupFailedAction(toFailure(err).message)],
    };
  }
}
