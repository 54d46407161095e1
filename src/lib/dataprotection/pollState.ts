/**
 * Asynchronous ARM operations as plain-JSON state. The state is all an orchestrator needs to carry between
 * polls (it lives in orchestration history), and every transition is a pure function of the previous state
 * and one HTTP response, so it can be tested without a network and replayed without surprises.
 *
 * ARM rules followed (reference/dataprotection/CONTRACT.md section 4):
 *  - from a 201/202, poll Azure-AsyncOperation when present, else Location; a 200 completes at once. A URL
 *    on another origin than ARM's is never called (it would carry the token): when Azure-AsyncOperation is
 *    foreign and Location is ARM's, Location is followed instead; when neither is ARM's, the client refuses;
 *  - Retry-After is seconds or an HTTP date, kept when the service sent one; when it sent none (the normal
 *    case in real traffic) the state says so, and the orchestrator polls on its own short growing schedule
 *    (src/lib/drill/polling.ts) rather than a fixed 60 s;
 *  - operation status is a free string compared case-insensitively: only Succeeded, Failed and Canceled are
 *    terminal (Azure Backup's own sample answers "Inprogress");
 *  - the job id is the last path segment of properties.jobId: same-region restores give a full ARM id whose
 *    casing varies by stamp (".../resourcegroups/.../BackupVaults/..."), cross-region ones and the examples a
 *    bare GUID (jobGuidOf); a restore that succeeded without one is finished by reading Location, which the
 *    2026-06-01 swagger names as the final state (final-state-via: location);
 *  - endTime "0001-01-01T00:00:00Z" (.NET's zero date, sent while running) means "not set" (operationEndTime).
 */
import type { OperationJobExtendedInfo, OperationResource } from '../types/generated/dataprotection';
import { isValid, schemaRef } from '../validation';
import { AppError } from '../errors';

import { errorDataFromArmError, type DataProtectionErrorData } from './errors';

export type OperationStatus = 'running' | 'succeeded' | 'failed' | 'canceled';

export interface PollState {
  /**
   * What was started, for messages: 'validateRestore' or 'restore', or their cross-region counterparts
   * 'validateCrossRegionRestore' and 'crossRegionRestore' (whose jobId is a bare GUID).
   */
  operation: string;
  status: OperationStatus;
  /** The status string exactly as the service last sent it. */
  serviceStatus?: string;
  /** The URL to GET next while running. */
  pollUrl?: string;
  /** Which protocol pollUrl speaks. */
  pollKind?: 'azureAsyncOperation' | 'location';
  /** The Location URL, kept to fetch the final result when the status body lacks it. */
  locationUrl?: string;
  /**
   * Seconds to wait before the next poll, as the last response's Retry-After said; absent when it said nothing
   * (the poller then follows DrillSettings.operationPoll).
   */
  retryAfterSeconds?: number;
  /** Backup job id (GUID) once known. */
  jobId?: string;
  /** When the service says the operation ended (terminal states only; never its "not set" zero date). */
  endTime?: string;
  error?: DataProtectionErrorData;
  /** Number of poll responses applied so far. */
  polls: number;
}

export interface HeaderReader {
  get(name: string): string | undefined;
}

/** The service answered a poll in a way the protocol does not allow (the client adds the response's ids). */
export class PollProtocolError extends AppError {
  constructor(message: string) {
    super('PollProtocolError', message, { isUserError: false });
  }
}

/** Retry-After as seconds: an integer, or an HTTP date relative to `now`; undefined when absent or bad. */
export function parseRetryAfterSeconds(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
  return undefined;
}

/** `retryAfterSeconds` when the service gave one: the field is left out otherwise. */
function retryAfter(headers: HeaderReader, now: Date): { retryAfterSeconds?: number } {
  const seconds = parseRetryAfterSeconds(headers.get('retry-after'), now);
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}

export function mapOperationStatus(status: string): OperationStatus {
  switch (status.trim().toLowerCase()) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    default:
      return 'running';
  }
}

export function isTerminal(state: PollState): boolean {
  return state.status !== 'running';
}

/**
 * An operation's endTime, or undefined when it is absent, not a time, or .NET's zero date
 * ("0001-01-01T00:00:00Z"), which Azure Backup sends while the operation runs.
 */
export function operationEndTime(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at) || new Date(at).getUTCFullYear() <= 1) return undefined;
  return value;
}

/** .../providers/Microsoft.DataProtection/backupVaults/{vault}/backupJobs/{name}, in any casing. */
const BACKUP_JOB_ID =
  /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.dataprotection\/backupvaults\/[^/]+\/backupjobs\/([^/]+)\/?$/i;

/**
 * The job's name (its GUID) from OperationJobExtendedInfo.jobId, "Name or Arm Id of the job": a bare GUID
 * (cross-region restores, the examples), or a full ARM id in whatever casing the stamp writes
 * (".../resourcegroups/.../BackupVaults/.../backupJobs/{guid}" as well as the canonical one). A path that is not a
 * backup job's id is a protocol error, not a job. (The subscription is not checked to be a GUID: the official
 * examples sanitise it to "xxxxxxxx-…".)
 */
export function jobGuidOf(jobId: string): string {
  const value = jobId.trim();
  if (!value.includes('/')) return value;
  const m = BACKUP_JOB_ID.exec(value);
  if (!m)
    throw new PollProtocolError(
      `the operation's jobId "${jobId}" is neither a job name nor the ARM id of a backup job`,
    );
  return m[1]!;
}

function jobIdFrom(info: unknown): string | undefined {
  if (!isValid(schemaRef('dataprotection.schema.json', 'OperationJobExtendedInfo'), info)) return undefined;
  const jobId = (info as OperationJobExtendedInfo).jobId;
  return jobId ? jobGuidOf(jobId) : undefined;
}

/**
 * State from the first response of a POST that starts an operation. `ownOrigin` says which URLs may be called
 * (the client's: ARM's own origin): a foreign Azure-AsyncOperation gives way to an own Location, and a foreign
 * Location is not kept. When neither header is usable the state names the foreign URL, which the client refuses.
 */
export function startPollState(
  operation: string,
  response: { status: number; headers: HeaderReader; body: unknown },
  now: Date,
  ownOrigin: (url: string) => boolean = () => true,
): PollState {
  const { status, headers, body } = response;
  if (status === 200 || status === 204) {
    const jobId = jobIdFrom(body);
    return { operation, status: 'succeeded', retryAfterSeconds: 0, polls: 0, ...(jobId ? { jobId } : {}) };
  }
  if (status !== 201 && status !== 202) {
    throw new PollProtocolError(
      `${operation}: unexpected HTTP ${status} for the start of an asynchronous operation`,
    );
  }
  const asyncHeader = headers.get('azure-asyncoperation');
  const locationHeader = headers.get('location');
  const asyncUrl = asyncHeader !== undefined && ownOrigin(asyncHeader) ? asyncHeader : undefined;
  const locationUrl = locationHeader !== undefined && ownOrigin(locationHeader) ? locationHeader : undefined;
  const pollUrl = asyncUrl ?? locationUrl ?? asyncHeader ?? locationHeader;
  if (!pollUrl) {
    throw new PollProtocolError(
      `${operation}: the service answered ${status} without an Azure-AsyncOperation or Location header, so the operation cannot be followed`,
    );
  }
  return {
    operation,
    status: 'running',
    pollUrl,
    pollKind:
      asyncUrl !== undefined || (locationUrl === undefined && asyncHeader !== undefined)
        ? 'azureAsyncOperation'
        : 'location',
    ...(locationUrl ? { locationUrl } : {}),
    ...retryAfter(headers, now),
    polls: 0,
  };
}

/** State after one successful (2xx) poll response. Error responses are the caller's to raise. */
export function nextPollState(
  state: PollState,
  response: { status: number; headers: HeaderReader; body: unknown },
  now: Date,
): PollState {
  const base: PollState = { ...state, polls: state.polls + 1 };
  // A Retry-After of an earlier response does not carry over to a response without one.
  delete base.retryAfterSeconds;
  Object.assign(base, retryAfter(response.headers, now));

  if (state.pollKind === 'location') {
    if (response.status === 202) return { ...base, status: 'running' };
    const jobId = jobIdFrom(response.body) ?? state.jobId;
    const done: PollState = { ...base, status: 'succeeded', retryAfterSeconds: 0 };
    delete done.pollUrl;
    delete done.pollKind;
    return jobId ? { ...done, jobId } : done;
  }

  if (!isValid(schemaRef('dataprotection.schema.json', 'OperationResource'), response.body)) {
    throw new PollProtocolError(`${state.operation}: the operation status response has no "status" string`);
  }
  const op = response.body as OperationResource;
  const status = mapOperationStatus(op.status);
  const next: PollState = { ...base, status, serviceStatus: op.status };
  if (status === 'running') return next;

  delete next.pollUrl;
  delete next.pollKind;
  next.retryAfterSeconds = 0;
  const endTime = operationEndTime(op.endTime);
  if (endTime) next.endTime = endTime;
  if (status === 'succeeded') {
    const jobId = jobIdFrom(op.properties);
    if (jobId) return { ...next, jobId };
    // A restore always has a job; when the status body does not carry it, the Location URL gives the
    // final OperationJobExtendedInfo (final-state-via: location).
    if ((state.operation === 'restore' || state.operation === 'crossRegionRestore') && state.locationUrl) {
      return { ...next, status: 'running', pollUrl: state.locationUrl, pollKind: 'location' };
    }
    return next;
  }
  const error = errorDataFromArmError(op.error);
  if (!op.error) {
    error.code = status === 'canceled' ? 'OperationCanceled' : 'OperationFailed';
    error.message = `The ${state.operation} operation ended with status ${op.status} and no error details.`;
  }
  return { ...next, error };
}
