/**
 * Drill requests: validated against schemas/drill-request.schema.json (defaults filled in), then checked for
 * what a schema cannot say (ARM ids that parse, durations, the target not being the source). Pure.
 */
import { ValidationError } from '../errors';
import type { DrillRequest } from '../types/generated/drill-request';
import { assertValid, schemaRef } from '../validation';
import { parseArmId, parseBackupInstanceId } from '../dataprotection/armId';
import { parseIsoDuration } from './durations';
import type { DrillSettings } from './settings';

export type { DrillRequest };

type Req<T, K extends keyof T> = T & Required<Pick<T, K>>;

/** A request after validation: every defaulted field is present. */
export type NormalizedRequest = Req<
  DrillRequest,
  'recoveryPoint' | 'rehydration' | 'verify' | 'cleanup' | 'deadline'
> & {
  verify: Req<
    NonNullable<DrillRequest['verify']>,
    'statementTimeoutMs' | 'schemas' | 'tables' | 'assertions'
  >;
};

export const MAX_REQUEST_BYTES = 64 * 1024;

/** Validates a drill request (from HTTP, a queue message, a plan or a file); throws ValidationError. */
export function parseDrillRequest(input: unknown, what = 'drill request'): NormalizedRequest {
  const request = assertValid<DrillRequest>(
    schemaRef('drill-request.schema.json'),
    structuredClone(input),
    what,
  ) as NormalizedRequest;
  const errors: { pointer: string; message: string }[] = [];
  const check = (pointer: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      errors.push({ pointer, message: (err as Error).message });
    }
  };
  check('/backupInstanceId', () => parseBackupInstanceId(request.backupInstanceId));
  if (request.target.kind === 'database') {
    const target = request.target;
    check('/target/serverId', () => parseArmId(target.serverId, 'target server id'));
  } else if (hasCredentialParts(request.target.containerUrl)) {
    // A SAS token (query) or user info would be copied into reports, doctor evidence and alerts; the message
    // does not quote the URL for the same reason.
    errors.push({
      pointer: '/target/containerUrl',
      message:
        'must be the plain container URL (https://{account}.blob.core.windows.net/{container}), without a query string (a SAS token), fragment or user info: the app and the backup vault reach the container with their own identity (Storage Blob Data Contributor)',
    });
  }
  if (parseIsoDuration(request.deadline) === undefined || parseIsoDuration(request.deadline)! <= 0) {
    errors.push({
      pointer: '/deadline',
      message: 'must be a positive ISO 8601 duration such as PT12H or P3D',
    });
  }
  if (request.cleanup.keepFor !== undefined && !parseIsoDuration(request.cleanup.keepFor)) {
    errors.push({
      pointer: '/cleanup/keepFor',
      message: 'must be a positive ISO 8601 duration such as PT2H',
    });
  }
  if (request.recoveryPoint.before && Number.isNaN(Date.parse(request.recoveryPoint.before))) {
    errors.push({
      pointer: '/recoveryPoint/before',
      message: 'must be a date-time such as 2026-11-01T00:00:00Z',
    });
  }
  if (errors.length) throw new ValidationError(what, errors);
  return request;
}

/** A URL carrying a query, a fragment or user info (where a SAS token or a password would be). */
function hasCredentialParts(url: string): boolean {
  try {
    const u = new URL(url);
    return u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '' || /[?#]/.test(url);
  } catch {
    return false; // the schema's format check reports a value that is no URL
  }
}

/** What started a drill (recorded in its report). */
export interface DrillTrigger {
  kind: 'http' | 'queue' | 'timer' | 'cli' | 'test' | 'fleet' | 'alert';
  plan?: string;
  slot?: string;
  /** The fleet run that started this drill (kind fleet, or kind alert with a fleet plan). */
  fleetId?: string;
  /** The Azure Monitor alert that started this drill (kind alert): its id (essentials.alertId) and rule. */
  alertId?: string;
  alertRule?: string;
}

/** Where a drill restores from; a request without restoreFrom (and every drill before it existed) is primary. */
export type RestoreFrom = NonNullable<DrillRequest['restoreFrom']>;

export function restoreFromOf(request: { restoreFrom?: RestoreFrom | undefined }): RestoreFrom {
  return request.restoreFrom ?? 'primaryRegion';
}

/** The restoreDrill orchestration's input: small plain JSON, no secrets. */
export interface DrillInput {
  drillId: string;
  request: NormalizedRequest;
  trigger: DrillTrigger;
  settings: DrillSettings;
}
