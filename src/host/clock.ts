/**
 * Time for the driver's durable timers. RealClock waits with setTimeout; FakeClock (tests) jumps straight to
 * the next timer whenever the driver has nothing else to do, so a drill that waits for days runs in
 * milliseconds while the orchestrator sees the same timestamps it would in production.
 */
export interface Clock {
  now(): number;
  /** Calls `fire` at `at` (ms since epoch); returns a cancel function. */
  schedule(at: number, fire: () => void): () => void;
  /** Called by the driver when it has no running work: a fake clock may advance now. */
  idle(): void;
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  schedule(at: number, fire: () => void): () => void {
    // setTimeout's maximum is about 24.8 days; re-arm for longer waits.
    const MAX = 2 ** 31 - 1;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at - Date.now();
      if (delay > MAX) handle = setTimeout(arm, MAX);
      else handle = setTimeout(fire, Math.max(0, delay));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  }
  idle(): void {}
}

export class FakeClock implements Clock {
  private current: number;
  private timers: { at: number; fire: () => void; seq: number }[] = [];
  private seq = 0;
  /** Every time the clock jumped, for tests. */
  readonly jumps: number[] = [];

  constructor(start: Date | number = Date.parse('2026-01-05T09:00:00Z')) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.current;
  }
  schedule(at: number, fire: () => void): () => void {
    const timer = { at, fire, seq: this.seq++ };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
  idle(): void {
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers.shift()!;
    if (next.at > this.current) {
      this.jumps.push(next.at - this.current);
      this.current = next.at;
    }
    // Let the driver finish its bookkeeping before the timer fires.
    setImmediate(next.fire);
  }
  /** Moves time on by `ms` without firing anything (e.g. to age data). */
  advance(ms: number): void {
    this.current += ms;
  }
}
