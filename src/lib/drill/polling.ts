/** How often to poll. Pure. */

export interface JobPollSettings {
  /** First interval. */
  initialSeconds: number;
  /** Each interval is the previous one times this. */
  factor: number;
  /** Intervals never exceed this, so completion is noticed within it. */
  maxSeconds: number;
}

/**
 * The backup job has no Retry-After: poll at initial, initial*factor, ... up to the cap. A one-hour job then
 * costs about 40 requests at the defaults instead of 360 for a fixed 10-second poll.
 */
export function jobPollDelaySeconds(pollsSoFar: number, s: JobPollSettings): number {
  return Math.min(s.maxSeconds, s.initialSeconds * Math.pow(s.factor, pollsSoFar));
}

/** Retry-After as the service gave it, kept within sane bounds (ARM: 10 s to 10 min; emulators answer faster). */
export function retryAfterDelaySeconds(retryAfterSeconds: number): number {
  return Math.min(600, Math.max(1, retryAfterSeconds));
}

/**
 * The wait before the next poll of an asynchronous operation: the service's Retry-After when it sent one;
 * otherwise (the normal case: recorded Azure CLI traffic shows none) the operation's own schedule, initial,
 * initial*factor, ... up to the cap, counted in polls of this operation. A validation that ends in a few
 * seconds is then noticed in seconds, not after ARM's generic 60 s.
 */
export function operationPollDelaySeconds(
  retryAfterSeconds: number | undefined,
  pollsSoFar: number,
  s: JobPollSettings,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterDelaySeconds(retryAfterSeconds);
  return jobPollDelaySeconds(pollsSoFar, s);
}

/** The longest a single durable timer may wait; longer waits are chains of timers. */
export const MAX_TIMER_MS = 3 * 24 * 3600 * 1000;
