/**
 * The ARM governor: one request budget per subscription for reads and one for writes, shared by every drill and
 * fleet (a pipeline policy takes a token before each attempt, retries included). ARM refills a subscription's
 * reads at about 25 per second (bucket of 250) and writes at 10 (bucket of 200); the defaults here stay well
 * under that, so a fleet leaves room for everyone else using the subscription. What ARM says wins over our own
 * count: a 429's Retry-After pauses the whole subscription's bucket (not only the request that got it), and an
 * x-ms-ratelimit-remaining-subscription-* header (reads, writes, or the provider's resource-requests) at or below
 * the low mark empties the bucket, so the next request waits for a refill.
 *
 * Where the budget lives: with a BudgetStore (src/lib/storage/armBudget.ts: one table row per subscription and
 * kind) the bucket is shared by every process using the same storage account, so scaled-out instances in Azure
 * and a restarted host keep to one budget; each process leases a few tokens at a time, so the store sees a
 * fraction of the requests. Without one (or while the store cannot be reached) the bucket is process memory.
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

/** A token bucket as stored: tokens at `at` (ms since the epoch), and a pause ARM asked for. */
export interface BucketState {
  tokens: number;
  at: number;
  pausedUntil: number;
}

export interface BucketRate {
  perSecond: number;
  burst: number;
}

export const fullBucket = (rate: BucketRate, now: number): BucketState => ({
  tokens: rate.burst,
  at: now,
  pausedUntil: 0,
});

/**
 * Takes up to `want` tokens from a bucket at `now`. Pure: the new state, how many were granted and, when none
 * were, how long until `want` can be.
 */
export function takeTokens(
  state: BucketState,
  rate: BucketRate,
  want: number,
  now: number,
): { state: BucketState; granted: number; waitMs: number } {
  if (now < state.pausedUntil) return { state, granted: 0, waitMs: state.pausedUntil - now };
  const tokens = Math.min(rate.burst, state.tokens + (Math.max(0, now - state.at) / 1000) * rate.perSecond);
  const granted = Math.min(want, Math.floor(tokens));
  // None now: wait until the whole request can be granted (a lease of several tokens then costs one round trip).
  const waitMs = granted > 0 ? 0 : Math.ceil(((Math.min(want, rate.burst) - tokens) / rate.perSecond) * 1000);
  // Time never runs backwards for a bucket: a stale `now` (a retried write) or a process whose clock is behind
  // must not credit the same stretch of time twice.
  return { state: { ...state, tokens: tokens - granted, at: Math.max(state.at, now) }, granted, waitMs };
}

/** A pause ARM asked for (429 Retry-After): nothing is granted before `until`. */
export const pauseBucket = (state: BucketState, until: number): BucketState => ({
  ...state,
  pausedUntil: Math.max(state.pausedUntil, until),
});

/** ARM says the subscription is nearly out: no tokens left, refills from now. */
export function drainBucket(state: BucketState, rate: BucketRate, now: number): BucketState {
  const { state: settled } = takeTokens({ ...state, pausedUntil: 0 }, rate, 0, now);
  return { ...settled, tokens: Math.min(settled.tokens, 0), pausedUntil: state.pausedUntil };
}

/** Where buckets shared between processes live. Every method resolves; a store that fails rejects. */
export interface BudgetStore {
  /** Takes up to `want` tokens from the bucket `key` (created full at `rate` if new). */
  take(
    key: BucketKey,
    rate: BucketRate,
    want: number,
    now: number,
  ): Promise<{ granted: number; waitMs: number }>;
  pause(key: BucketKey, rate: BucketRate, until: number, now: number): Promise<void>;
  drain(key: BucketKey, rate: BucketRate, now: number): Promise<void>;
}

export interface BucketKey {
  subscription: string;
  kind: RequestKind;
}

export interface GovernorStats {
  /** Requests that had to wait for a token, and how long they waited in all. */
  waited: number;
  waitedMs: number;
  /** 429s ARM answered (each paused its subscription's bucket). */
  throttled: number;
  /** Round trips to the shared store, and the times it failed (the process then used its own bucket). */
  storeCalls: number;
  storeFailures: number;
}

/** Tokens a process leases from the shared store at once, and how long a lease stays usable. */
const LEASE_SECONDS = 0.5;
const LEASE_TTL_MS = 5_000;
/** After the store fails, the process keeps to its own bucket this long before trying the store again. */
const STORE_RETRY_MS = 30_000;

/** One subscription-and-kind budget as this process sees it. */
class Budget {
  /** The process's own bucket: the whole budget without a store, the fallback while the store is down. */
  local: BucketState;
  /** Tokens leased from the store and not used yet, usable until `leaseExpires`. */
  leased = 0;
  leaseExpires = 0;
  /** Nothing is sent before this (a pause or an empty bucket, as last heard). */
  blockedUntil = 0;
  /** The store round trip in flight: every waiter of the process shares it. */
  refill: Promise<void> | undefined;

  constructor(
    readonly key: BucketKey,
    readonly rate: BucketRate,
    now: number,
  ) {
    this.local = fullBucket(rate, now);
  }
}

export class ArmGovernor {
  private readonly budgets = new Map<string, Budget>();
  private storeDownUntil = 0;
  readonly stats: GovernorStats = { waited: 0, waitedMs: 0, throttled: 0, storeCalls: 0, storeFailures: 0 };

  constructor(
    readonly rates: BudgetRates = DEFAULT_RATES,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number, signal?: Signal) => Promise<void> = abortableSleep,
    private readonly store?: BudgetStore,
    private readonly onStoreError?: (err: unknown) => void,
  ) {}

  static kindOf(method: string): RequestKind {
    return ['GET', 'HEAD'].includes(method.toUpperCase()) ? 'reads' : 'writes';
  }

  private budget(subscription: string, kind: RequestKind): Budget {
    const key = `${subscription.toLowerCase()}|${kind}`;
    let b = this.budgets.get(key);
    if (!b) {
      const rate =
        kind === 'reads'
          ? { perSecond: this.rates.readsPerSecond, burst: this.rates.readBurst }
          : { perSecond: this.rates.writesPerSecond, burst: this.rates.writeBurst };
      b = new Budget({ subscription: subscription.toLowerCase(), kind }, rate, this.now());
      this.budgets.set(key, b);
    }
    return b;
  }

  private useStore(): boolean {
    return this.store !== undefined && this.now() >= this.storeDownUntil;
  }

  private storeFailed(err: unknown): void {
    this.stats.storeFailures++;
    this.storeDownUntil = this.now() + STORE_RETRY_MS;
    // The process's own buckets start empty, refilling at the rate: N instances falling back at once must not
    // each send a full burst.
    for (const b of this.budgets.values()) {
      b.local = drainBucket(b.local, b.rate, this.now());
      b.leased = 0;
    }
    this.onStoreError?.(err);
  }

  /** One lease from the store for every waiter of this process (a failed store falls back to process memory). */
  private leaseFromStore(b: Budget): Promise<void> {
    b.refill ??= (async () => {
      const now = this.now();
      const want = Math.max(1, Math.min(b.rate.burst, Math.ceil(b.rate.perSecond * LEASE_SECONDS)));
      try {
        this.stats.storeCalls++;
        const { granted, waitMs } = await this.store!.take(b.key, b.rate, want, now);
        b.leased = granted;
        b.leaseExpires = this.now() + LEASE_TTL_MS;
        if (granted === 0) b.blockedUntil = Math.max(b.blockedUntil, now + waitMs);
      } catch (err) {
        this.storeFailed(err);
      }
    })().finally(() => {
      b.refill = undefined;
    });
    return b.refill;
  }

  /** Takes a token now (0) or says how long to wait; may first lease from the store. */
  private async tryTake(b: Budget, signal?: Signal): Promise<number> {
    const now = this.now();
    if (now < b.blockedUntil) return b.blockedUntil - now;
    if (!this.useStore()) {
      const t = takeTokens(b.local, b.rate, 1, now);
      b.local = t.state;
      return t.waitMs;
    }
    if (b.leased > 0 && now < b.leaseExpires) {
      b.leased--;
      return 0;
    }
    await untilAborted(this.leaseFromStore(b), signal);
    if (b.leased > 0 || !this.useStore()) return this.tryTake(b, signal);
    return Math.max(1, b.blockedUntil - this.now());
  }

  /** Waits until the subscription's budget has a token for this request (or the signal aborts). */
  async acquire(subscription: string, kind: RequestKind, signal?: Signal): Promise<void> {
    const b = this.budget(subscription, kind);
    let waited = 0;
    for (;;) {
      if (signal?.aborted) throw new Error('aborted while waiting for the ARM budget');
      const wait = await this.tryTake(b, signal);
      if (wait === 0) break;
      waited += wait;
      await this.sleep(wait, signal);
    }
    if (waited) {
      this.stats.waited++;
      this.stats.waitedMs += waited;
    }
  }

  /** What ARM said about the subscription's budget in this answer (shared through the store when there is one). */
  async observe(subscription: string, kind: RequestKind, response: PipelineResponse): Promise<void> {
    const b = this.budget(subscription, kind);
    const now = this.now();
    if (response.status === 429) {
      this.stats.throttled++;
      const until = now + (serverRetryAfterMs(response) ?? 1000);
      b.blockedUntil = Math.max(b.blockedUntil, until);
      b.local = pauseBucket(b.local, until);
      b.leased = 0;
      if (this.useStore())
        await this.store!.pause(b.key, b.rate, until, now).catch((err: unknown) => this.storeFailed(err));
      return;
    }
    if (remainingOf(response) <= this.rates.lowWatermark) {
      b.local = drainBucket(b.local, b.rate, now);
      b.leased = 0;
      if (this.useStore())
        await this.store!.drain(b.key, b.rate, now).catch((err: unknown) => this.storeFailed(err));
    }
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
        await this.observe(subscription, kind, response);
        return response;
      },
    };
  }
}

/**
 * The fewest requests ARM says are left in this answer, over the headers it may send: the subscription's reads or
 * writes, and the resource provider's own budget, x-ms-ratelimit-remaining-subscription-resource-requests, which
 * Data Protection job and Location GETs report in the low hundreds (recorded traffic: 157-198, against about a
 * thousand for the -reads budget), so it is the one that runs out first. Infinity when none is given.
 */
export function remainingOf(response: Pick<PipelineResponse, 'headers'>): number {
  let least = Number.POSITIVE_INFINITY;
  for (const name of [
    'x-ms-ratelimit-remaining-subscription-reads',
    'x-ms-ratelimit-remaining-subscription-writes',
    'x-ms-ratelimit-remaining-subscription-resource-requests',
  ]) {
    const value = response.headers.get(name)?.trim();
    if (value !== undefined && /^\d+$/.test(value)) least = Math.min(least, Number(value));
  }
  return least;
}

/** `work`, or a rejection as soon as the signal aborts (the work itself goes on for the others sharing it). */
function untilAborted<T>(work: Promise<T>, signal?: Signal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted while waiting for the ARM budget'));
    const onAbort = () => reject(new Error('aborted while waiting for the ARM budget'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
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
export function sharedGovernor(
  rates: BudgetRates = DEFAULT_RATES,
  store?: { id: string; store: BudgetStore; onError?: (err: unknown) => void },
): ArmGovernor {
  const key = `${JSON.stringify(rates)}|${store?.id ?? ''}`;
  let g = shared.get(key);
  if (!g)
    shared.set(key, (g = new ArmGovernor(rates, Date.now, abortableSleep, store?.store, store?.onError)));
  return g;
}
