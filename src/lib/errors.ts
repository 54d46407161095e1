/**
 * The app's one error model (docs/design.md, "Errors").
 *
 * Every error the app raises is an AppError: a stable `code`, a message that says what to do, and two declared
 * properties the orchestrators act on: `isRetryable` (try the same call again later) and `isUserError` (the
 * request or the environment must change). Errors cross process and replay boundaries as plain JSON, because
 * an activity's error class does not survive the trip to the orchestrator: `toFailure` turns anything thrown
 * into FailureInfo, and that is the only conversion in the app. Every failure carries a recommended action:
 * its own, or the catalog's for its code (recommendedActions.ts).
 */
import { actionsOrDefault } from './recommendedActions';

/** An error as plain data: what activities return and orchestrators record. */
export interface FailureInfo {
  code: string;
  message: string;
  recommendedActions: string[];
  isRetryable: boolean;
  isUserError: boolean;
  /** Seconds the service asked us to wait before retrying, when it said. */
  retryAfterSeconds?: number;
}

/** What an activity hands back to its orchestrator: its value, or its failure as data. */
export type ActivityResult<T> = { ok: true; value: T } | { ok: false; error: FailureInfo };

/** A failure as data; without recommended actions of its own it gets the catalog's for its code. */
export function failure(code: string, message: string, extra: Partial<FailureInfo> = {}): FailureInfo {
  return {
    code,
    message,
    isRetryable: false,
    isUserError: false,
    ...extra,
    recommendedActions: actionsOrDefault(code, extra.recommendedActions ?? []),
  };
}

export interface AppErrorOptions {
  /** The same call may succeed later (throttling, a server error, the network). Default false. */
  isRetryable?: boolean;
  /** The request or the environment must change. Default: not retryable. */
  isUserError?: boolean;
  recommendedActions?: string[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly isRetryable: boolean;
  readonly isUserError: boolean;
  readonly recommendedActions: string[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
    this.isUserError = options.isUserError ?? !this.isRetryable;
    this.recommendedActions = options.recommendedActions ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** This error as data (subclasses with richer data override it). */
  toFailure(): FailureInfo {
    return failure(this.code, this.message, {
      isRetryable: this.isRetryable,
      isUserError: this.isUserError,
      recommendedActions: this.recommendedActions,
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
    });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, ...this.toFailure() };
  }
}

export interface FieldError {
  /** JSON pointer of the offending field, '' for the document itself. */
  pointer: string;
  message: string;
}

/** Bad input at the edge: names every bad field by JSON pointer. */
export class ValidationError extends AppError {
  readonly errors: FieldError[];

  constructor(what: string, errors: FieldError[]) {
    const lines = errors.map((e) => `  ${e.pointer || '(root)'}: ${e.message}`).join('\n');
    super('InvalidInput', `${what} is invalid:\n${lines}`, { isUserError: true });
    this.errors = errors;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errors: this.errors };
  }
}

/** Configuration that cannot work; raised at start, before any drill runs. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('InvalidConfiguration', message, { isUserError: true });
  }
}

/**
 * Thrown inside an orchestrator to end the current phase with a known failure (the failure is already data,
 * from an activity or a sub-orchestration); `phase` says where it happened once it is known.
 */
export class DrillFailure extends AppError {
  constructor(
    readonly info: FailureInfo,
    readonly phase?: string,
  ) {
    super(info.code, info.message, {
      isRetryable: info.isRetryable,
      isUserError: info.isUserError,
      recommendedActions: info.recommendedActions,
      ...(info.retryAfterSeconds !== undefined ? { retryAfterSeconds: info.retryAfterSeconds } : {}),
    });
  }

  override toFailure(): FailureInfo {
    return this.info;
  }
}

/** What toFailure reports for an error it does not recognise. */
export interface UnknownErrorFallback {
  code: string;
  isRetryable: boolean;
  /** Said before the error's own message ("activity x failed unexpectedly"). */
  context?: string;
}

const UNEXPECTED: UnknownErrorFallback = { code: 'UnexpectedError', isRetryable: false };

/**
 * Anything thrown, as FailureInfo. AppErrors describe themselves; node-postgres errors (SQLSTATE codes) and
 * Node's network errors (E… codes) are recognised by their code; anything else gets the fallback. Messages
 * are the errors' own: no error of the app quotes a secret.
 */
/** Node's TLS certificate errors (the server's certificate could not be verified). */
const TLS_CERT_ERROR =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

export function toFailure(err: unknown, fallback: UnknownErrorFallback = UNEXPECTED): FailureInfo {
  if (err instanceof AppError) {
    const info = err.toFailure();
    return { ...info, recommendedActions: actionsOrDefault(info.code, info.recommendedActions) };
  }
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && TLS_CERT_ERROR.test(code))
    return failure(
      'TlsVerificationFailed',
      `the server's TLS certificate could not be verified: ${message} (${code})`,
      {
        isUserError: true,
      },
    );
  // Node's network errors first: EPIPE is five capitals too, but no SQLSTATE class starts with E.
  if (code && /^E[A-Z]+$/.test(code)) return failure('NetworkError', message, { isRetryable: true });
  // node-postgres: 28xxx authentication, 3D000 no such database, 08xxx connection problems.
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    return failure(`PostgreSQL${code}`, message, {
      // 08: connection; 57P01/02/03: the server shutting down or starting; 53300: too many connections.
      isRetryable: code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code),
      isUserError: code.startsWith('28') || code === '3D000',
    });
  }
  // Azure Storage (blobs of a files restore, the report store): the SDK's RestError with the service's error
  // code (x-ms-error-code), kept as Storage{code} so the catalog can say who must grant or create what.
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && (err as { name?: unknown }).name === 'RestError') {
    const transient = status === 408 || status === 429 || status >= 500;
    return failure(code && /^[A-Za-z]+$/.test(code) ? `Storage${code}` : `StorageHttp${status}`, message, {
      isRetryable: transient,
      isUserError: !transient && status >= 400,
    });
  }
  // node-postgres reports a connection lost mid-query without a code.
  if (/^Connection terminated|connection (?:is )?(?:closed|ended)/i.test(message))
    return failure('NetworkError', message, { isRetryable: true });
  return failure(fallback.code, fallback.context ? `${fallback.context}: ${message}` : message, {
    isRetryable: fallback.isRetryable,
  });
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
