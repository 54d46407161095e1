/**
 * Waiting for a state, not for a time: poll `probe` until it returns something other than undefined (or
 * false), within a generous bound (a probe that throws ends the wait, unless told to retry); past the bound, fail saying what was awaited and what was last seen.
 * The bound is a backstop for a broken system, never the expected duration: tests must pass on a busy machine.
 */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** What is awaited, for the failure message. */
  what: string;
  /** Backstop (default 60 s). */
  timeoutMs?: number;
  everyMs?: number;
  /** Extra detail for the failure message (a log tail, the last state). */
  detail?: () => string;
  /** Keep polling when the probe throws (a process restarting); by default a throw fails the wait at once. */
  retryErrors?: boolean;
}

export async function waitUntil<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const t0 = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (!options.retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `waited ${timeoutMs} ms for ${options.what}` +
          (lastError ? `; last error: ${(lastError as Error).message}` : '') +
          (options.detail ? `\n${options.detail()}` : ''),
      );
    await sleep(options.everyMs ?? 100);
  }
}
