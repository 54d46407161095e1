/**
 * Activities that talk to the Data Protection API: read the backup instance, choose a recovery point, start
 * the validation and the restore, poll an operation, read a job.
 */
import {
  datasourceKindOf,
  lastSegment,
  nameKey,
  parseBackupInstanceId,
  sameArmId,
  sameName,
} from '../lib/dataprotection/armId';
import {
  DataProtectionError,
  errorDataFromJobErrorDetails,
  failureFromErrorData,
} from '../lib/dataprotection/errors';
import { AppError, toFailure, type FailureInfo } from '../lib/errors';
import type { PollState } from '../lib/dataprotection/pollState';
import { parseJobDurationSeconds } from '../lib/drill/durations';
import {
  newestPointTime,
  noReplicatedPoint,
  selectRecoveryPoint,
  type PointSummary,
} from '../lib/drill/selection';
import type { BackupJobResource, RecoveryPointResource } from '../lib/types/generated/dataprotection';
import type {
  EndedJobsInput,
  EndedJobsOutput,
  FindRestoreJobInput,
  FoundRestoreJob,
  GetJobInput,
  JobSummary,
  PollInput,
  ResolveCrossRegionInput,
  ResolveCrossRegionOutput,
  ResolveInput,
  ResolvedInstance,
  SelectInput,
  SelectOutput,
  StartValidateInput,
  TriggerInput,
  TriggerOutput,
} from './contracts';
import type { RestoreAttempt } from '../lib/storage/reportStore';
import type { ActivityDeps } from './deps';

const TERMINAL_JOB = ['completed', 'succeeded', 'completedwithwarnings', 'failed', 'cancelled', 'canceled'];
const SUCCEEDED_JOB = ['completed', 'succeeded', 'completedwithwarnings'];

function pointSummary(rp: RecoveryPointResource, now: Date): PointSummary | undefined {
  const p = rp.properties;
  if (p.recoveryPointState && p.recoveryPointState.toLowerCase() !== 'completed') return undefined;
  const stores = new Set<'VaultStore' | 'ArchiveStore'>();
  for (const d of p.recoveryPointDataStoresDetails ?? []) {
    if (d.type === 'VaultStore') stores.add('VaultStore');
    if (d.type === 'ArchiveStore') {
      stores.add('ArchiveStore');
      if (
        d.rehydrationStatus === 'COMPLETED' &&
        d.rehydrationExpiryTime &&
        Date.parse(d.rehydrationExpiryTime) > now.getTime()
      )
        stores.add('VaultStore');
    }
  }
  // Points listed without data store details (the swagger examples) are vault points.
  if (stores.size === 0) stores.add('VaultStore');
  return {
    id: p.recoveryPointId ?? rp.name,
    time: new Date(p.recoveryPointTime).toISOString(),
    stores: [...stores],
  };
}

/** additionalDetails["Restore File Prefix"], whatever the spacing and casing of the key. */
function restoreFilePrefix(details: Record<string, string> | null | undefined): string | undefined {
  return Object.entries(details ?? {}).find(
    ([k]) => k.toLowerCase().replace(/\s+/g, '') === 'restorefileprefix',
  )?.[1];
}

/**
 * Bytes a job moved: real jobs leave extendedInfo.dataTransferredInBytes null and report the count in the
 * completed sub-task's additionalDetails.DataTransferredInBytes, as a string ("70384"); the number is used when
 * a service sends it.
 */
export function dataTransferredBytes(job: BackupJobResource): number | undefined {
  const info = job.properties.extendedInfo;
  if (typeof info?.dataTransferredInBytes === 'number') return info.dataTransferredInBytes;
  let total: number | undefined;
  for (const task of info?.subTasks ?? []) {
    const text = task.additionalDetails?.DataTransferredInBytes;
    if (text !== undefined && /^\s*\d+\s*$/.test(text)) total = (total ?? 0) + Number(text);
  }
  return total;
}

/**
 * A job's destination is this drill's: a restore as database reports the target database's ARM id; a restore
 * as files reports the bare container URL with the prefix in additionalDetails["Restore File Prefix"] (recorded
 * traffic), or container URL + prefix in one string.
 */
export function isOurDestination(
  info:
    | { recoveryDestination?: string | null; additionalDetails?: Record<string, string> | null }
    | null
    | undefined,
  destination: string,
): boolean {
  const reported = (info?.recoveryDestination ?? '').replace(/\/+$/, '');
  if (!reported) return false;
  if (sameArmId(reported, destination)) return true;
  const prefix = restoreFilePrefix(info?.additionalDetails);
  return !!prefix && sameArmId(`${reported}/${prefix}`, destination);
}

export function dataProtectionActivities(deps: ActivityDeps) {
  const dp = deps.dataProtection;
  const now = deps.now ?? (() => new Date());

  /** An earlier POST of this drill that Azure may still accept: until when to wait for it. */
  async function pendingAttempt(
    drillId: string,
    recorded?: RestoreAttempt,
  ): Promise<{ settleUntil: string; lastError?: FailureInfo } | undefined> {
    const last = recorded ?? (await deps.reports.lastRestoreAttempt(drillId));
    const settleMs = (deps.restoreSettleSeconds ?? 180) * 1000;
    if (!last || last.definite || now().getTime() >= last.at.getTime() + settleMs) return undefined;
    return {
      settleUntil: new Date(last.at.getTime() + settleMs).toISOString(),
      ...(last.error ? { lastError: last.error } : {}),
    };
  }

  /**
   * The job id of this drill's restore, if Azure has one (nothing older than the drill). A cross-region
   * restore's job is only in the paired region's cross-region job list, whose order is not documented: it is
   * asked for jobs since the drill's start ($filter, checked here again since a service may ignore it) and read
   * to its end, a bounded number of pages; the vault's own list is newest first and stops at the drill's start.
   * `unrecognised` is a cross-region restore job of the same backup instance and recovery point, started since
   * the drill began, whose destination does not show it is this drill's (it may be): posting another restore
   * could then start a second one.
   */
  async function findOurRestore(
    input: Pick<
      TriggerInput,
      'notBefore' | 'vaultId' | 'backupInstanceId' | 'destination' | 'crossRegion'
    > & {
      recoveryPointId: string;
    },
  ): Promise<{ jobId?: string; unrecognised?: string }> {
    const since = Date.parse(input.notBefore) - 60_000;
    const cr = input.crossRegion;
    const jobs = cr
      ? dp.listCrossRegionRestoreJobs(input.vaultId, cr, new Date(since))
      : dp.listJobs(input.vaultId);
    let unrecognised: string | undefined;
    for await (const job of jobs) {
      const p = job.properties;
      if (Date.parse(p.startTime) < since) {
        if (cr) continue;
        break;
      }
      if (p.operation.toLowerCase() !== 'restore') continue;
      if (!p.backupInstanceId || !sameArmId(p.backupInstanceId, input.backupInstanceId)) continue;
      const point = p.extendedInfo?.sourceRecoverPoint?.recoveryPointID;
      if (point && !sameName(point, input.recoveryPointId)) continue;
      if (isOurDestination(p.extendedInfo, input.destination)) return { jobId: lastSegment(job.name) };
      if (cr && p.operationCategory?.toLowerCase() === 'crossregionrestore')
        unrecognised ??= lastSegment(job.name);
    }
    return unrecognised ? { unrecognised } : {};
  }

  return {
    resolveBackupInstance: async (input: ResolveInput): Promise<ResolvedInstance> => {
      const ref = parseBackupInstanceId(input.backupInstanceId);
      const bi = await dp.getBackupInstance(ref.id);
      const datasourceId = bi.properties.dataSourceInfo.resourceID;
      const vault = await dp.getBackupVault(ref.vaultId);
      return {
        backupInstanceId: ref.id,
        vaultId: ref.vaultId,
        datasourceId,
        datasourceKind: datasourceKindOf(datasourceId),
        ...(bi.properties.protectionStatus?.status
          ? { protectionStatus: bi.properties.protectionStatus.status }
          : {}),
        ...(vault.location ? { location: vault.location } : {}),
      };
    },

    /** A cross-region drill's vault (cross-region restore, storage, paired regions) and target server location. */
    resolveCrossRegion: async (input: ResolveCrossRegionInput): Promise<ResolveCrossRegionOutput> => {
      const vault = await dp.getBackupVault(input.vaultId);
      const p = vault.properties;
      const state = p.featureSettings?.crossRegionRestoreSettings?.state;
      const server = input.targetServerId ? await dp.getServerResource(input.targetServerId) : undefined;
      return {
        vaultId: vault.id,
        ...(vault.location ? { vaultLocation: vault.location } : {}),
        ...(state ? { crossRegionRestoreState: state } : {}),
        storageTypes: (p.storageSettings ?? []).flatMap((x) => (x.type ? [x.type] : [])),
        ...(p.replicatedRegions ? { replicatedRegions: p.replicatedRegions } : {}),
        ...(server?.location ? { targetServerLocation: server.location } : {}),
      };
    },

    selectRecoveryPoint: async (input: SelectInput): Promise<SelectOutput> => {
      const drillStart = new Date(input.drillStart);
      const filter =
        input.policy.policy === 'latestBefore'
          ? { endDate: new Date(input.policy.before!) }
          : input.policy.policy === 'randomWithinWindow'
            ? {
                startDate: new Date(drillStart.getTime() - input.policy.windowDays! * 86_400_000),
                endDate: drillStart,
              }
            : {};
      const cr = input.crossRegion;
      // A cross-region drill chooses among the points replicated to the paired region, all of them: the
      // regional RPO needs the newest one whatever the policy (which filters them itself).
      const points = await summaries(
        cr
          ? dp.listSecondaryRecoveryPoints(input.backupInstanceId, cr)
          : dp.listRecoveryPoints(input.backupInstanceId, filter),
      );
      const selection = selectRecoveryPoint(points, input.policy, drillStart, input.seed);
      if (!cr || (!selection.ok && points.length > 0)) return selection;
      // The primary's newest point gives the replication lag (and, when the paired region has no point yet, the
      // time the refusal names); a primary that cannot be read (the outage a cross-region drill rehearses)
      // leaves it out rather than failing the drill.
      const primary = await summaries(dp.listRecoveryPoints(input.backupInstanceId)).catch((err: unknown) => {
        deps.log?.('primary recovery points could not be read: replication lag not measured', {
          error: toFailure(err).message,
        });
        return [];
      });
      if (!selection.ok) return noReplicatedPoint(newestPointTime(primary));
      // Points newer than the drill's start (a backup taken while the drill ran) are left out of both figures,
      // so that the regional RPO (drill start minus newest secondary) is never negative.
      const upToStart = (list: PointSummary[]) =>
        list.filter((p) => Date.parse(p.time) <= drillStart.getTime());
      const newestSecondaryTime = newestPointTime(upToStart(points));
      const newestPrimaryTime = newestPointTime(upToStart(primary));
      return {
        ...selection,
        regional: {
          ...(newestSecondaryTime ? { newestSecondaryTime } : {}),
          ...(newestPrimaryTime ? { newestPrimaryTime } : {}),
        },
      };
    },

    startValidateRestore: (input: StartValidateInput): Promise<PollState> => {
      if (input.crossRegion)
        return dp.validateCrossRegionRestore(input.backupInstanceId, input.crossRegion, input.body);
      return dp.validateRestore(input.backupInstanceId, { restoreRequestObject: input.body });
    },

    triggerRestore: async (input: TriggerInput): Promise<TriggerOutput> => {
      // Exactly one restore, through any crash: an earlier attempt's POST may have been accepted even though
      // its answer was lost, or may still be in flight. Every POST is recorded before it is sent, so with no
      // record this is the first attempt and nothing can have started: post at once, without scanning the
      // vault's jobs (that scan is a paged list whose cost grows with the vault's activity).
      const earlier = await deps.reports.lastRestoreAttempt(input.drillId);
      if (earlier) {
        // A retry: look for a restore job of this backup instance, recovery point and destination (which
        // carries this drill's id) started since the drill began.
        const { jobId: found, unrecognised } = await findOurRestore({
          ...input,
          recoveryPointId: input.body.recoveryPointId,
        });
        if (found) {
          deps.log?.('restore already started by an earlier attempt: reusing its job', {
            drillId: input.drillId,
            jobId: found,
          });
          return {
            state: {
              operation: 'restore',
              status: 'succeeded',
              retryAfterSeconds: 0,
              polls: 0,
              jobId: found,
            },
            reused: true,
          };
        }
        // None recognised. If an earlier attempt posted recently and Azure may still accept it, wait it out (on
        // a durable timer, in the orchestrator) instead of posting a second one.
        const pending = await pendingAttempt(input.drillId, earlier);
        if (pending) {
          deps.log?.('an earlier restore attempt may still be accepted: waiting before looking again', {
            drillId: input.drillId,
            settleUntil: pending.settleUntil,
          });
          return pending;
        }
        // Past the settle window, a cross-region restore job that may be this drill's but whose destination
        // still does not say so (a running job may not report it yet, hence the wait above): another POST could
        // start a second restore in the paired region, so the drill stops and names the job.
        if (unrecognised)
          throw new AppError(
            'RestoreNotConfirmed',
            `an earlier restore attempt may have started cross-region restore job ${unrecognised} (same backup instance and recovery point, started since the drill began), but its destination does not show it is this drill's, so no second restore is posted: check job ${unrecognised} in Backup center > Jobs (cross-region restore jobs of the paired region) and clean up what it restored by hand`,
            {
              recommendedActions: [
                `Open cross-region restore job ${unrecognised} in Backup center > Jobs (paired region): if it is this drill's, clean up what it restored by hand; then run the drill again.`,
              ],
            },
          );
      }
      const at = now();
      await deps.reports.recordRestoreAttempt(input.drillId, { at, definite: false });
      try {
        const state = input.crossRegion
          ? await dp.triggerCrossRegionRestore(input.backupInstanceId, input.crossRegion, input.body)
          : await dp.triggerRestore(input.backupInstanceId, input.body);
        return { state, reused: false };
      } catch (err) {
        // How it failed decides whether the next attempt must wait: a definite refusal (4xx, or 429/503 which
        // ARM does not process) cannot have started a restore; anything else may have.
        const status = err instanceof DataProtectionError ? err.data.httpStatus : undefined;
        const definite = status !== undefined && ((status < 500 && status !== 408) || status === 503);
        await deps.reports
          .recordRestoreAttempt(input.drillId, { at, error: toFailure(err), definite })
          .catch(() => undefined);
        throw err;
      }
    },

    pollOperation: (input: PollInput): Promise<PollState> => {
      return dp.pollOperation(input.state);
    },

    getJob: (input: GetJobInput): Promise<JobSummary> => jobSummary(input),

    /**
     * For a vault's job watcher: which of the watched jobs ended. One paged list of the vault's jobs (or of its
     * cross-region restore jobs in a paired region), newest first, stopped once every watched job was seen or
     * the list is older than the oldest of them; a job the list did not show (a page that failed to include it)
     * is read on its own.
     */
    endedRestoreJobs: async (input: EndedJobsInput): Promise<EndedJobsOutput> => {
      const want = new Map(input.jobs.map((j) => [nameKey(j.jobId), j]));
      const cr = input.crossRegion;
      // The list stops at jobs older than the oldest watched one (a job without a valid start: never; the
      // cross-region list, whose order is not documented: never).
      const starts = input.jobs.map((j) => Date.parse(j.startTime ?? ''));
      const oldest = cr || starts.some((t) => Number.isNaN(t)) ? 0 : Math.min(...starts);
      const seen = new Map<string, JobSummary>();
      // The cross-region list is asked only for jobs since the oldest watched one started (when every start is
      // known); the pages read are capped in the client.
      const crSince =
        cr && !starts.some((t) => Number.isNaN(t)) ? new Date(Math.min(...starts) - 60_000) : undefined;
      const jobs = cr
        ? dp.listCrossRegionRestoreJobs(input.vaultId, cr, crSince)
        : dp.listJobs(input.vaultId);
      for await (const job of jobs) {
        if (seen.size === want.size) break;
        if (oldest > 0 && Date.parse(job.properties.startTime) < oldest - 60_000) break;
        const id = nameKey(job.name);
        if (want.has(id)) seen.set(id, summarizeJob(job));
      }
      // Not in the list, or ended badly (the list may leave the error out): read on its own; one that cannot be
      // read is looked at again at the next interval.
      for (const [id, j] of want)
        if (!seen.has(id) || (seen.get(id)!.terminal && !seen.get(id)!.succeeded))
          await jobSummary({
            vaultId: input.vaultId,
            jobId: j.jobId,
            ...(cr ? { crossRegion: cr } : {}),
          }).then(
            (job) => seen.set(id, job),
            () => seen.delete(id),
          );
      return { ended: [...seen.values()].filter((j) => j.terminal) };
    },

    /** This drill's restore job, if Azure knows one (after a failure, before cleanup). */
    findRestoreJob: async (input: FindRestoreJobInput): Promise<FoundRestoreJob> => {
      const { jobId } = await findOurRestore(input);
      if (jobId)
        return {
          job: await jobSummary({
            vaultId: input.vaultId,
            jobId,
            ...(input.crossRegion ? { crossRegion: input.crossRegion } : {}),
          }),
        };
      const pending = await pendingAttempt(input.drillId);
      return { job: null, ...(pending ? { settleUntil: pending.settleUntil } : {}) };
    },
  };

  async function jobSummary(input: GetJobInput): Promise<JobSummary> {
    // A cross-region restore's job is read only through the paired region's cross-region job API.
    const job = input.crossRegion
      ? await dp.getCrossRegionRestoreJob(input.vaultId, input.crossRegion, input.jobId)
      : await dp.getJob(input.vaultId, input.jobId);
    return summarizeJob(job);
  }

  async function summaries(list: AsyncIterable<RecoveryPointResource>): Promise<PointSummary[]> {
    const points: PointSummary[] = [];
    for await (const rp of list) {
      const s = pointSummary(rp, now());
      if (s) points.push(s);
    }
    return points;
  }
}

/** What a drill needs of a backup job (from a GET or from a list: the same resource). */
export function summarizeJob(job: BackupJobResource): JobSummary {
  const p = job.properties;
  const status = p.status;
  const terminal = TERMINAL_JOB.includes(status.toLowerCase());
  const succeeded = SUCCEEDED_JOB.includes(status.toLowerCase());
  const sub = p.extendedInfo?.subTasks ?? [];
  const seconds = parseJobDurationSeconds(p.duration);
  const destination = p.extendedInfo?.recoveryDestination;
  const prefix = restoreFilePrefix(p.extendedInfo?.additionalDetails);
  const bytes = dataTransferredBytes(job);
  const error =
    terminal && !succeeded ? failureFromErrorData(errorDataFromJobErrorDetails(p.errorDetails)) : undefined;
  return {
    id: lastSegment(job.name),
    status,
    terminal,
    succeeded,
    startTime: p.startTime,
    ...(p.endTime ? { endTime: p.endTime } : {}),
    ...(p.duration ? { duration: p.duration } : {}),
    ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
    ...(sub.length ? { progress: sub.map((t) => `${t.taskName}: ${t.taskStatus}`).join(', ') } : {}),
    ...(destination ? { recoveryDestination: destination } : {}),
    ...(prefix ? { filePrefix: prefix } : {}),
    ...(bytes !== undefined ? { dataTransferredBytes: bytes } : {}),
    ...(error ? { error } : {}),
  };
}
