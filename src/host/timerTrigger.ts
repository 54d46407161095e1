/**
 * Timer triggers in the standalone host: NCRONTAB schedules with seconds, %SETTING% resolved from the app's
 * settings as the Functions host does, in the configured time zone. A schedule that is not NCRONTAB is logged
 * and the timer not started (the Functions host refuses to index such a function).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { CronExpressionParser } from 'cron-parser';
import type { TimerFunctionDefinition } from '../functions/definitions';
import { logFailure } from './invocation';

export interface TimerTriggerOptions {
  /** Resolves %NAME% in the schedule. */
  setting: (name: string) => string | undefined;
  timeZone: string;
  context: (def: TimerFunctionDefinition) => InvocationContext;
  log: (line: Record<string, unknown>) => void;
}

/** Starts the timer of `def`; returns the function that stops it (undefined when it could not start). */
export function startTimerTrigger(
  def: TimerFunctionDefinition,
  options: TimerTriggerOptions,
): (() => void) | undefined {
  const { log } = options;
  const schedule = def.options.schedule.replace(
    /%([^%]+)%/g,
    (_, name: string) => options.setting(name) ?? '',
  );
  let expr;
  try {
    expr = CronExpressionParser.parse(schedule, { tz: options.timeZone });
  } catch (err) {
    log({
      level: 'error',
      function: def.name,
      message: `timer schedule "${schedule}" is not NCRONTAB: ${(err as Error).message}`,
    });
    return undefined;
  }
  let handle: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = (): void => {
    if (stopped) return;
    const at = expr.next().toDate();
    const last = new Date();
    handle = setTimeout(
      () => {
        const timer: Timer = {
          isPastDue: Date.now() - at.getTime() > 1000,
          schedule: { adjustForDST: true },
          scheduleStatus: {
            last: last.toISOString(),
            next: at.toISOString(),
            lastUpdated: new Date().toISOString(),
          },
        };
        Promise.resolve(def.options.handler(timer, options.context(def)))
          .catch(logFailure(log, def.name, 'timer function failed'))
          .finally(next);
      },
      Math.max(0, at.getTime() - Date.now()),
    );
  };
  next();
  return () => {
    stopped = true;
    if (handle) clearTimeout(handle);
  };
}
