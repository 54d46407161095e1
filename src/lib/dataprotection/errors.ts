/**
 * One error type for everything the Data Protection service can tell us went wrong: ARM CloudError bodies,
 * failed asynchronous operations, and backup job errorDetails. The user-facing part (code, message,
 * recommended actions, retryability) comes from the UserFacingError that Azure Backup puts in
 * error.additionalInfo[].info when it has one, because that is where its actionable text lives.
 */
import { AppError, type FailureInfo } from '../errors';
import type { ArmError, UserFacingError } from '../types/generated/dataprotection';

export interface DataProtectionErrorData {
  code: string;
  message: string;
  recommendedActions: string[];
  isRetryable: boolean;
  isUserError: boolean;
  httpStatus?: number;
  /** x-ms-request-id of the failing response, for support cases. */
  requestId?: string;
  correlationRequestId?: string;
  clientRequestId?: string;
  target?: string;
  innerCode?: string;
  /** Azure's non-localised detail (innerError.additionalInfo.DetailedNonLocalisedMessage). */
  detailedMessage?: string;
  activityId?: string;
  /** Seconds the service asked us to wait (429/503), when it said. */
  retryAfterSeconds?: number;
}

export class DataProtectionError extends AppError {
  readonly data: DataProtectionErrorData;

  constructor(data: DataProtectionErrorData) {
    super(data.code, describe(data), {
      isRetryable: data.isRetryable,
      isUserError: data.isUserError,
      recommendedActions: data.recommendedActions,
      ...(data.retryAfterSeconds !== undefined ? { retryAfterSeconds: data.retryAfterSeconds } : {}),
    });
    this.data = data;
  }

  /** As the drill carries it: the service's message with its detailed message beside it. */
  override toFailure(): FailureInfo {
    return failureFromErrorData(this.data);
  }

  override toJSON(): Record<string, unknown> {
    return { name: this.name, ...this.data };
  }
}

/** Azure's error data as the drill carries it (the detailed message kept beside the user-facing one). */
export function failureFromErrorData(d: DataProtectionErrorData): FailureInfo {
  return {
    code: d.code,
    message:
      d.detailedMessage && d.detailedMessage !== d.message
        ? `${d.message} (${d.detailedMessage})`
        : d.message,
    recommendedActions: d.recommendedActions,
    isRetryable: d.isRetryable,
    isUserError: d.isUserError,
    ...(d.retryAfterSeconds !== undefined ? { retryAfterSeconds: d.retryAfterSeconds } : {}),
  };
}

/** The token was refused (401) or could not be obtained: names the audience so the fix is obvious. */
export class AuthenticationError extends DataProtectionError {}

function describe(d: DataProtectionErrorData): string {
  const parts = [`${d.code}: ${d.message}`];
  if (d.detailedMessage && d.detailedMessage !== d.message) parts.push(`(${d.detailedMessage})`);
  if (d.recommendedActions.length) parts.push(`Recommended action: ${d.recommendedActions.join(' ')}`);
  return parts.join(' ');
}

export interface ResponseMeta {
  status?: number;
  headers?: { get(name: string): string | undefined };
}

function requestIds(meta: ResponseMeta): Partial<DataProtectionErrorData> {
  const h = meta.headers;
  const out: Partial<DataProtectionErrorData> = {};
  if (meta.status !== undefined) out.httpStatus = meta.status;
  const requestId = h?.get('x-ms-request-id');
  const correlationRequestId = h?.get('x-ms-correlation-request-id');
  const clientRequestId = h?.get('x-ms-client-request-id');
  if (requestId) out.requestId = requestId;
  if (correlationRequestId) out.correlationRequestId = correlationRequestId;
  if (clientRequestId) out.clientRequestId = clientRequestId;
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Azure Backup error codes that are the user's to fix without saying so in their name (the documented
 * Flexible Server and concurrency codes; reference/dataprotection/CONTRACT.md section 6).
 */
const USER_ERROR_CODES: ReadonlySet<string> = new Set([
  'PostgreSQLFlexOperationFailedUserError',
  'UserErrorMaxConcurrentOperationLimitReached',
]);

/**
 * Whether an Azure Backup error code is the user's to fix: every `UserError…` code (Azure Backup's own naming
 * rule), the codes ending in `UserError`, and the few listed above. Decided by the code, not by the
 * UserFacingError's isUserError field, which the service may omit or get wrong (its documented
 * UserErrorRestoreToLowerVersion answer says isUserError: false). Undefined: the code says nothing either way.
 */
export function isUserErrorCode(code: string | undefined): boolean | undefined {
  if (!code) return undefined;
  if (/^usererror/i.test(code) || /usererror$/i.test(code) || USER_ERROR_CODES.has(code)) return true;
  return undefined;
}

function retryableStatus(status: number | undefined): boolean {
  return (
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500 && status !== 501 && status !== 505)
  );
}

/** The UserFacingError inside an ARM error's additionalInfo, if any. */
export function userFacingInfo(error: ArmError | undefined): UserFacingError | undefined {
  for (const item of error?.additionalInfo ?? []) {
    if (item.type === 'UserFacingError' && isRecord(item.info)) return item.info;
  }
  return undefined;
}

function fromUserFacing(
  info: UserFacingError,
  fallback: { code?: string; message?: string },
): DataProtectionErrorData {
  const inner = isRecord(info.innerError) ? info.innerError : undefined;
  const innerAdditional = inner && isRecord(inner.additionalInfo) ? inner.additionalInfo : undefined;
  const props = isRecord(info.properties) ? info.properties : undefined;
  const code = str(info.code) ?? str(fallback.code) ?? 'UnknownError';
  const data: DataProtectionErrorData = {
    code,
    message: str(info.message) ?? str(fallback.message) ?? 'The service reported an error without a message.',
    recommendedActions: (info.recommendedAction ?? []).filter(
      (a): a is string => typeof a === 'string' && a !== '',
    ),
    isRetryable: info.isRetryable ?? false,
    // The code decides; the service's own field only for codes that say nothing.
    isUserError: isUserErrorCode(code) ?? info.isUserError ?? false,
  };
  const target = str(info.target);
  const innerCode = str(inner?.code);
  const detailed = str(innerAdditional?.DetailedNonLocalisedMessage);
  const activityId = str(props?.ActivityId);
  if (target) data.target = target;
  if (innerCode) data.innerCode = innerCode;
  if (detailed) data.detailedMessage = detailed;
  if (activityId) data.activityId = activityId;
  return data;
}

/** An ARM `error` object (CloudError.error or OperationResource.error). */
export function errorDataFromArmError(
  error: ArmError | undefined,
  meta: ResponseMeta = {},
): DataProtectionErrorData {
  const info = userFacingInfo(error);
  const data = info
    ? fromUserFacing(info, { code: error?.code, message: error?.message })
    : {
        code: str(error?.code) ?? (meta.status ? `HttpStatus${meta.status}` : 'UnknownError'),
        message: str(error?.message) ?? 'The service reported an error without a message.',
        recommendedActions: [],
        isRetryable: retryableStatus(meta.status),
        isUserError: isUserErrorCode(str(error?.code)) ?? false,
      };
  if (!info && str(error?.target)) data.target = error!.target!;
  // An HTTP status that is retryable by nature stays retryable whatever the body says.
  if (retryableStatus(meta.status)) data.isRetryable = true;
  return { ...data, ...requestIds(meta) };
}

/** A non-2xx response body. Tolerates bodies that are not CloudErrors (proxies, gateways). */
export function errorDataFromResponse(body: unknown, meta: ResponseMeta): DataProtectionErrorData {
  if (isRecord(body) && isRecord(body.error)) return errorDataFromArmError(body.error, meta);
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : undefined;
  return {
    code: meta.status ? `HttpStatus${meta.status}` : 'UnknownError',
    message: text ?? `The service answered HTTP ${meta.status ?? '?'} without an error body.`,
    recommendedActions: [],
    isRetryable: retryableStatus(meta.status),
    isUserError: false,
    ...requestIds(meta),
  };
}

/** Backup job errorDetails (UserFacingError[]): the first one is the cause, the rest add actions. */
export function errorDataFromJobErrorDetails(
  details: UserFacingError[] | null | undefined,
): DataProtectionErrorData {
  const list = details ?? [];
  const first = list[0];
  if (!first) {
    return {
      code: 'JobFailedWithoutDetails',
      message: 'The backup job failed and reported no error details.',
      recommendedActions: [
        'Open the job in the Azure portal (Backup center > Backup jobs) for more information.',
      ],
      isRetryable: false,
      isUserError: false,
    };
  }
  const data = fromUserFacing(first, {});
  for (const more of list.slice(1)) {
    for (const a of more.recommendedAction ?? [])
      if (!data.recommendedActions.includes(a)) data.recommendedActions.push(a);
  }
  return data;
}
