/**
 * The ARM governor: one request budget per subscription for reads and one for writes, shared by every drill and
 * fleet of the process (a pipeline policy takes a token before each attempt, retries included). ARM refills a
 * subscription's reads at about 25 per second (bucket of 250) and writes at 10 (bucket of 200); the defaults
 * here stay well under that, so a fleet leaves room for everyone else using the subscription. What ARM says
 * wins over our own count: a 429's Retry-After pauses the whole subscription's bucket (not only the request
 * that got it), and an x-ms-ratelimit-remaining-subscription-* header at or below the low mark empties the
 * bucket, so the next request waits for a refill.
 *
 * The budget is process memory: in Azure each scaled-out instance keeps its own, so the subscription's total is
 * (instances x rate); set the rates for the instance count you allow (docs/deploy.md).
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { serverRetryAfterMs } from './pipeline';

export interface BudgetRates {
  readsPerSecond: number;
  readBurst: number;
  writesPerSecond: number;
  writeBurst: number;
  /** Remaining requests (ARM's header) at or below which the governor slows down. */
  lowWatermark: number;
}

export const DEFAULT_RATES: BudgetRates = {
  readsPerSecond: 10,
  readBurst: 50,
  writesPerSecond: 2,
  writeBurst: 10,
  lowWatermark: 25,
};

export type RequestKind = 'reads' | 'writes';

/** The abort signal a pipeline request carries. */
type Signal = NonNullable<PipelineRequest['abortSignal']>;

class Bucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  /** Takes a token now (0) or says how long to wait before trying again. */
  take(now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  drain(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }
}

export interface GovernorStats {
  /** Requests that had to wait for a token, and how long they waited in all. */
  waited: number;
  waitedMs: number;
  /** 429s ARM answered (each paused its subscription's bucket). */
  throttled: number;
}

export class ArmGovernor {
  private readonly buckets = new Map<string, Bucket>();
  readonly stats: GovernorStats = { waited: 0, waitedMs: 0, throttled: 0 };

  constructor(
    readonly rates: BudgetRates = DEFAULT_RATES,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: Signal) => Promise<void> = abortableSleep,
  ) {}

  static kindOf(method: string): RequestKind {
    return ['GET', 'HEAD'].includes(method.toUpperCase()) ? 'reads' : 'writes';
  }

  private bucket(subscription: string, kind: RequestKind): Bucket {
    const key = `${subscription.toLowerCase()}|${kind}`;
    let b = this.buckets.get(key);
    if (!b) {
      b =
        kind === 'reads'
          ? new Bucket(this.rates.readsPerSecond, this.rates.readBurst, this.now())
          : new Bucket(this.rates.writesPerSecond, this.rates.writeBurst, this.now());
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Waits until the subscription's budget has a token for this request (or the signal aborts). */
  async acquire(subscription: string, kind: RequestKind, signal?: Signal): Promise<void> {
    const b = this.bucket(subscription, kind);
    let waited = 0;
    for (;;) {
      const wait = b.take(this.now());
      if (wait === 0) break;
      waited += wait;
      await this.sleep(wait, signal);
    }
    if (waited) {
      this.stats.waited++;
      this.stats.waitedMs += waited;
    }
  }

  /** What ARM said about the subscription's budget in this answer. */
  observe(subscription: string, kind: RequestKind, response: PipelineResponse): void {
    const b = this.bucket(subscription, kind);
    if (response.status === 429) {
      this.stats.throttled++;
      b.pause(this.now() + (serverRetryAfterMs(response) ?? 1000));
      return;
    }
    const left = response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
    if (left !== undefined && /^\d+$/.test(left.trim()) && Number(left) <= this.rates.lowWatermark)
      b.drain(this.now());
  }

  /** The pipeline policy: a token before each attempt, ARM's answer observed after it. */
  policy(): PipelinePolicy {
    return {
      name: 'armGovernorPolicy',
      sendRequest: async (request, next) => {
        const subscription = /^\/subscriptions\/([^/]+)/i.exec(new URL(request.url).pathname)?.[1] ?? '-';
        const kind = ArmGovernor.kindOf(request.method);
        await this.acquire(subscription, kind, request.abortSignal);
        const response = await next(request);
        this.observe(subscription, kind, response);
        return response;
      },
    };
  }
}

function abortableSleep(ms: number, signal?: Signal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted while waiting for the ARM budget'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted while waiting for the ARM budget'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One governor per process and set of rates: every client of the process shares it. */
const shared = new Map<string, ArmGovernor>();
export function sharedGovernor(rates: BudgetRates = DEFAULT_RATES): ArmGovernor {
  const key = JSON.stringify(rates);
  let g = shared.get(key);
  if (!g) shared.set(key, (g = new ArmGovernor(rates)));
  return g;
}
