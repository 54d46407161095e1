/**
 * Expected failures travel as plain data with a stable code (activity error classes do not survive the trip
 * to the orchestrator). Pure.
 */
export interface FailureInfo {
  code: string;
  message: string;
  recommendedActions: string[];
  isRetryable: boolean;
  isUserError: boolean;
  /** Seconds the service asked us to wait before retrying, when it said. */
  retryAfterSeconds?: number;
}

export type ActivityResult<T> = { ok: true; value: T } | { ok: false; error: FailureInfo };

export function failure(code: string, message: string, extra: Partial<FailureInfo> = {}): FailureInfo {
  return { code, message, recommendedActions: [], isRetryable: false, isUserError: false, ...extra };
}

/** Thrown inside an orchestrator to end the current phase with a known failure. */
export class DrillFailure extends Error {
  constructor(
    readonly info: FailureInfo,
    readonly phase?: string,
  ) {
    super(`${info.code}: ${info.message}`);
  }
}
