/**
 * Scripted activities for replay tests and benchmarks, typed by the real activities: a script's input is the
 * activity's own input type and its result must be that activity's own output (wrapped as ActivityResult), so
 * a stub that drifts from the activity it stands for does not compile.
 */
import {
  ACTIVITIES,
  type ActivityHandler,
  type ActivityInput,
  type ActivityName,
  type ActivityOutput,
} from '../../src/activities';
import type { ActivityResult, FailureInfo } from '../../src/lib/errors';

export type ScriptedActivity<N extends ActivityName> = (
  input: ActivityInput<N> & { drillId?: string; deadline?: string },
  call: number,
) => ActivityResult<ActivityOutput<N>> | Promise<ActivityResult<ActivityOutput<N>>>;

export type ActivityScript = { [N in ActivityName]?: ScriptedActivity<N> };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: string, extra: Partial<FailureInfo> = {}): { ok: false; error: FailureInfo } {
  return {
    ok: false,
    error: {
      code,
      message: `${code} happened`,
      recommendedActions: [`fix ${code}`],
      isRetryable: false,
      isUserError: true,
      ...extra,
    },
  };
}

export interface ScriptedCall {
  name: ActivityName;
  input: any;
  at: number;
}

/**
 * Handlers for the driver: `script` first, then `defaults`. Every call is recorded with the time `now()`
 * gives, and counted per activity (the count is the second argument of a script).
 */
export function scriptedHandlers(
  script: ActivityScript,
  defaults: ActivityScript,
  now: () => number,
): {
  handlers: Record<ActivityName, ActivityHandler>;
  calls: ScriptedCall[];
  counts: Map<ActivityName, number>;
} {
  const calls: ScriptedCall[] = [];
  const counts = new Map<ActivityName, number>();
  const handlers = {} as Record<ActivityName, ActivityHandler>;
  for (const name of Object.values(ACTIVITIES)) {
    handlers[name] = async (input: unknown) => {
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      calls.push({ name, input, at: now() });
      const fn = (script[name] ?? defaults[name]) as ((i: unknown, n: number) => unknown) | undefined;
      if (!fn) throw new Error(`no script for activity ${name}`);
      return (await fn(input, n)) as ActivityResult<unknown>;
    };
  }
  return { handlers, calls, counts };
}
