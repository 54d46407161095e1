/**
 * The HTTP pipeline for ARM calls, built from @azure/core-rest-pipeline policies:
 *   origin guard (Serialize) -> user agent, client request id -> retry (Retry) -> bearer token (Sign).
 * The guard runs before anything else so that a request to a foreign origin never reaches the token policy
 * or the network: tokens go only to the configured ARM endpoint (docs/design.md, "Safety").
 * Retries (inside one activity call) follow ARM's guidance: 429/503 wait for Retry-After (or
 * x-ms-retry-after-ms), other 5xx, 408 and network errors back off exponentially. A restore POST is not
 * replayed after a network error or a 5xx, because Azure may have accepted it (the drill resolves that).
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  retryPolicy,
  setClientRequestIdPolicy,
  userAgentPolicy,
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
  type RetryStrategy,
} from '@azure/core-rest-pipeline';
import { AppError } from '../errors';
import type { ArmGovernor } from './governor';

export const USER_AGENT_PREFIX = 'pg-restore-drill/0.1.0';

export class ForeignOriginError extends AppError {
  constructor(url: string, allowedOrigin: string) {
    super(
      'ForeignOriginRefused',
      `Refused to send a request to ${safeOrigin(url)}: it is not the configured Data Protection endpoint ${allowedOrigin}, and ARM tokens are sent to that origin only. If the service really lives there, set DATAPROTECTION_ENDPOINT to it.`,
    );
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return JSON.stringify(url);
  }
}

export function isSameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export function originGuardPolicy(allowedOrigin: string): PipelinePolicy {
  return {
    name: 'armOriginGuardPolicy',
    sendRequest(request, next) {
      if (!isSameOrigin(request.url, allowedOrigin))
        return Promise.reject(new ForeignOriginError(request.url, allowedOrigin));
      return next(request);
    },
  };
}

export interface RetryOptions {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  /** A Retry-After longer than this is not waited out in-process: the error surfaces (retryable) instead. */
  maxRetryAfterInMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxRetries: 5,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 30_000,
  maxRetryAfterInMs: 120_000,
};

/** Requests that must not be replayed blindly (the restore trigger). */
const notReplayable = new WeakSet<PipelineRequest>();
export function markNotReplayable(request: PipelineRequest): void {
  notReplayable.add(request);
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

/** Milliseconds the server asked us to wait, from x-ms-retry-after-ms, retry-after-ms or Retry-After. */
export function serverRetryAfterMs(response: PipelineResponse, now = Date.now()): number | undefined {
  for (const name of ['x-ms-retry-after-ms', 'retry-after-ms']) {
    const v = response.headers.get(name);
    if (v !== undefined && /^\d+$/.test(v.trim())) return Number(v.trim());
  }
  const v = response.headers.get('retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

export function armRetryStrategy(options: Required<RetryOptions>): RetryStrategy {
  const backoff = (retryCount: number): number => {
    const exp = Math.min(options.maxRetryDelayInMs, options.retryDelayInMs * 2 ** retryCount);
    return Math.round(exp * (0.8 + Math.random() * 0.4)); // jitter, so many drills do not retry in step
  };
  return {
    name: 'armRetryStrategy',
    retry({ retryCount, response, responseError }) {
      const request = response?.request ?? responseError?.request;
      const replayable = !(request && notReplayable.has(request));
      if (response) {
        if (response.status === 429 || response.status === 503) {
          const ms = serverRetryAfterMs(response);
          // 429 and 503-with-Retry-After mean "not processed": safe to send again, even for a restore POST.
          if (ms !== undefined)
            return ms <= options.maxRetryAfterInMs ? { retryAfterInMs: ms } : { skipStrategy: true };
          if (response.status === 429) return { retryAfterInMs: backoff(retryCount) };
        }
        if (replayable && isRetryableStatus(response.status)) return { retryAfterInMs: backoff(retryCount) };
        return { skipStrategy: true };
      }
      const code = (responseError as { code?: string } | undefined)?.code;
      if (responseError && replayable && code && NETWORK_ERROR_CODES.has(code)) {
        return { retryAfterInMs: backoff(retryCount) };
      }
      return responseError ? { errorToThrow: responseError } : { skipStrategy: true };
    },
  };
}

export interface ArmPipelineOptions {
  endpoint: string;
  audience: string;
  credential: TokenCredential;
  retry?: RetryOptions;
  httpClient?: HttpClient;
  /** The subscription budget every attempt takes a token from (src/lib/dataprotection/governor.ts). */
  governor?: ArmGovernor;
}

export function createArmPipeline(options: ArmPipelineOptions): {
  pipeline: Pipeline;
  httpClient: HttpClient;
} {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const pipeline = createEmptyPipeline();
  pipeline.addPolicy(originGuardPolicy(options.endpoint), { phase: 'Serialize' });
  pipeline.addPolicy(userAgentPolicy({ userAgentPrefix: USER_AGENT_PREFIX }));
  pipeline.addPolicy(setClientRequestIdPolicy());
  pipeline.addPolicy(retryPolicy([armRetryStrategy(retry)], { maxRetries: retry.maxRetries }), {
    phase: 'Retry',
  });
  // After the retry policy: every attempt, retries included, spends from the subscription's budget.
  if (options.governor) pipeline.addPolicy(options.governor.policy(), { afterPhase: 'Retry' });
  pipeline.addPolicy(
    bearerTokenAuthenticationPolicy({
      credential: options.credential,
      scopes: `${options.audience}/.default`,
    }),
    { phase: 'Sign' },
  );
  return { pipeline, httpClient: options.httpClient ?? createDefaultHttpClient() };
}
