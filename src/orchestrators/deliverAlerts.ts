/**
 * deliverAlerts: sends alerts to their destinations (webhooks, Event Grid), each delivery on its own, and
 * retries the ones that failed in a way that may pass (a timeout, 429, 5xx) on durable timers, doubling the
 * wait up to the configured maximum: a chat service that is down for an hour still gets the alert, and a
 * restart of the app loses nothing. Runs apart from the drill, so a slow destination never holds a drill.
 * Deterministic: the attempts are activities.
 */
import type * as df from 'durable-functions';
import type { DeliverAlertsInput } from '../activities/outcome';
import { ACTIVITIES } from '../activities/names';
import { failure, type ActivityResult, type FailureInfo } from '../lib/errors';
import { log, now, type Ctx } from './helpers';

export interface DeliveryResult {
  alertId: string;
  destination: string;
  status: 'delivered' | 'failed';
  attempts: number;
  httpStatus?: number;
  error?: Pick<FailureInfo, 'code' | 'message'>;
}

export function* deliverAlerts(ctx: Ctx): Generator<df.Task, DeliveryResult[], unknown> {
  const { deliveries, retry } = ctx.df.getInput<DeliverAlertsInput>();
  const results: DeliveryResult[] = deliveries.map((d) => ({
    alertId: d.alert.id,
    destination: d.destination.name,
    status: 'failed',
    attempts: 0,
  }));
  let pending = deliveries.map((_, i) => i);
  for (let attempt = 1; pending.length; attempt++) {
    ctx.df.setCustomStatus({ attempt, pending: pending.length, of: deliveries.length });
    const tasks = pending.map((i) => ctx.df.callActivity(ACTIVITIES.sendAlert, deliveries[i]));
    // Every attempt to its end (Task.all would stop at the first that threw, a worker crash, and a retry of the
    // others while they still run would send twice). A Task.any only over tasks not yet done: one built around a
    // completed task never resolves from it.
    for (let running = tasks; running.length; running = running.filter((t) => !t.isCompleted))
      yield ctx.df.Task.any(running);
    const retryNext: number[] = [];
    let waitSeconds = Math.min(retry.maxDelaySeconds, retry.firstDelaySeconds * 2 ** (attempt - 1));
    tasks.forEach((task, k) => {
      const i = pending[k]!;
      const r = results[i]!;
      r.attempts = attempt;
      const result: ActivityResult<{ status: number }> = task.isFaulted
        ? {
            ok: false,
            error: failure('ActivityFailed', 'the delivery attempt failed unexpectedly', {
              isRetryable: true,
            }),
          }
        : (task.result as ActivityResult<{ status: number }>);
      if (result.ok) {
        r.status = 'delivered';
        r.httpStatus = result.value.status;
        delete r.error;
        return;
      }
      r.error = { code: result.error.code, message: result.error.message };
      if (result.error.isRetryable && attempt < retry.maxAttempts) {
        retryNext.push(i);
        waitSeconds = Math.max(
          waitSeconds,
          Math.min(retry.maxDelaySeconds, result.error.retryAfterSeconds ?? 0),
        );
      } else
        log(ctx, 'alert not delivered', {
          alert: r.alertId,
          destination: r.destination,
          code: r.error.code,
          attempts: attempt,
        });
    });
    pending = retryNext;
    if (pending.length) {
      log(ctx, 'retrying alert deliveries', { pending: pending.length, attempt, delaySeconds: waitSeconds });
      yield ctx.df.createTimer(new Date(now(ctx).getTime() + waitSeconds * 1000));
    }
  }
  ctx.df.setCustomStatus({ done: true });
  return results;
}
