/**
 * ARM's request throttling as Azure applies it to a subscription: a token bucket for reads (GET) and one for
 * writes (PUT, PATCH, POST, DELETE), each refilled at a steady rate (Azure: reads 250 per bucket refilled at 25
 * per second; writes 200 refilled at 10). Every answer says what is left (x-ms-ratelimit-remaining-subscription-
 * reads / -writes); a request that finds the bucket empty gets 429 with Retry-After, and is not carried out.
 */
export interface BucketConfig {
  bucket: number;
  refillPerSecond: number;
}

export interface ThrottleConfig {
  enabled: boolean;
  reads: BucketConfig;
  writes: BucketConfig;
}

export type ThrottleKind = 'reads' | 'writes';

class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly config: BucketConfig,
    now: number,
  ) {
    this.tokens = config.bucket;
    this.last = now;
  }

  take(now: number): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number } {
    this.tokens = Math.min(
      this.config.bucket,
      this.tokens + ((now - this.last) / 1000) * this.config.refillPerSecond,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.config.refillPerSecond)),
    };
  }
}

export class ArmThrottle {
  private readonly buckets: Record<ThrottleKind, Bucket>;
  /** 429s answered so far, by kind. */
  readonly throttled: Record<ThrottleKind, number> = { reads: 0, writes: 0 };

  constructor(
    readonly config: ThrottleConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = { reads: new Bucket(config.reads, now()), writes: new Bucket(config.writes, now()) };
  }

  static kindOf(method: string): ThrottleKind {
    return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'reads' : 'writes';
  }

  /** The headers to answer with, and whether the request may go on (else its 429 Retry-After). */
  take(method: string): { headers: Record<string, string>; retryAfterSeconds?: number } {
    if (!this.config.enabled) return { headers: {} };
    const kind = ArmThrottle.kindOf(method);
    const header = `x-ms-ratelimit-remaining-subscription-${kind}`;
    const r = this.buckets[kind].take(this.now());
    if (r.ok) return { headers: { [header]: String(r.remaining) } };
    this.throttled[kind]++;
    return {
      headers: { [header]: '0', 'Retry-After': String(r.retryAfterSeconds) },
      retryAfterSeconds: r.retryAfterSeconds,
    };
  }
}
