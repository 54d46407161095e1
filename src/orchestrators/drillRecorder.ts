/**
 * The drill's bookkeeping, kept apart from its flow (restoreDrill.ts): each phase timed from the orchestration
 * clock and shown in the custom status, activity calls counted, what the drill creates recorded before it is
 * created, the failure or cancellation that ended the flow, and the report built and saved. Deterministic.
 */
import type * as df from 'durable-functions';
import type { ActivityInput, ActivityName, ActivityOutput } from '../activities';
import type { FindRestoreJobInput } from '../activities/contracts';
import { ACTIVITIES } from '../activities/names';
import { parseIsoDuration } from '../lib/drill/durations';
import {
  buildReport,
  secondsBetween,
  verdictOf,
  type DrillRecord,
  type DrillReport,
  type PhaseName,
} from '../lib/drill/report';
import type { DrillInput } from '../lib/drill/request';
import type { DrillSettings } from '../lib/drill/settings';
import type { CreatedResource } from '../lib/drill/resources';
import { DrillFailure, failure, toFailure } from '../lib/errors';
import {
  callActivity,
  cancelledFailure,
  cancelTask,
  isCancelled,
  log,
  now,
  waitUntil,
  type CallOptions,
  type Ctx,
} from './helpers';

/** Time cleanup and the report may take after the deadline (they must still run). */
const FINAL_GRACE_MS = 2 * 3600 * 1000;

/** The drill's custom status: where it is. */
export interface DrillStatus {
  drillId: string;
  phase: PhaseName | 'done';
  phaseStartedAt: string;
  detail?: string;
  verdict?: DrillReport['verdict'];
}

export class DrillRecorder {
  readonly record: DrillRecord;
  /** What the drill created, in the order it was recorded (before being created). */
  readonly created: CreatedResource[] = [];
  /** What identifies this drill's restore in Azure, once it was triggered (to find its job after a failure). */
  restore: FindRestoreJobInput | undefined;
  /** Set when cleanup could not confirm that the restore job had ended: its result may appear later. */
  restoreMayStillRun = false;
  /** The drill's one cancel-event task, raced at every wait. */
  readonly cancel: df.Task;
  readonly deadline: Date;
  readonly settings: DrillSettings;
  private finalDeadline: Date | undefined;
  /** Where the saved report (JSON) is: alerts link to it. */
  private reportUrl: string | undefined;
  /** The index of a phase its body found failed without ending the flow (checks that found bad data). */
  private failedPhase: number | undefined;

  constructor(
    private readonly ctx: Ctx,
    input: DrillInput,
  ) {
    const startedAt = now(ctx);
    this.settings = input.settings;
    this.deadline = new Date(startedAt.getTime() + parseIsoDuration(input.request.deadline)!);
    this.cancel = cancelTask(ctx);
    this.record = {
      drillId: input.drillId,
      startedAt: startedAt.toISOString(),
      request: input.request,
      trigger: input.trigger,
      phases: [],
      restored: {},
      verification: [],
      cleanup: { policy: input.request.cleanup.policy, status: 'nothing', actions: [] },
      cancelled: false,
      stats: { activityCalls: 0, operationPolls: 0, jobPolls: 0 },
    };
  }

  status(phase: DrillStatus['phase'], detail?: string, verdict?: DrillReport['verdict']): void {
    this.ctx.df.setCustomStatus({
      drillId: this.record.drillId,
      phase,
      phaseStartedAt: now(this.ctx).toISOString(),
      ...(detail ? { detail } : {}),
      ...(verdict ? { verdict } : {}),
    } satisfies DrillStatus);
  }

  /** Records that the drill is about to create `resource`, so cleanup finds it whatever happens next. */
  willCreate(resource: CreatedResource): void {
    this.created.push(resource);
  }

  /** Forgets everything recorded: what the restore was to create turned out not to be the drill's. */
  forgetCreated(): void {
    this.created.splice(0, this.created.length);
  }

  /**
   * Calls an activity for the drill. Before the flow ends, retries stop at the drill's deadline and a cancel
   * request stops them; `final` calls (cleanup, report) must run anyway: a later deadline, no cancel.
   */
  *act<N extends ActivityName>(
    name: N,
    input: ActivityInput<N>,
    final = false,
    withinSeconds?: number,
  ): Generator<df.Task, ActivityOutput<N>, unknown> {
    this.record.stats.activityCalls++;
    const options: CallOptions = final
      ? { settings: this.settings, deadline: this.finalDeadlineFrom() }
      : { settings: this.settings, deadline: this.deadline, cancel: this.cancel };
    if (withinSeconds !== undefined)
      options.deadline = new Date(
        Math.min(options.deadline.getTime(), now(this.ctx).getTime() + withinSeconds * 1000),
      );
    return yield* callActivity(this.ctx, name, input, options);
  }

  /** A durable wait of the flow: a cancel request or the deadline ends it (and the phase) early. */
  *sleepUntil(until: Date, what: string): Generator<df.Task, void, unknown> {
    const outcome = yield* waitUntil(this.ctx, until, this.deadline, this.cancel);
    if (outcome === 'cancelled') throw new DrillFailure(cancelledFailure());
    if (outcome === 'deadline')
      throw new DrillFailure(failure('DeadlineExceeded', `the drill's deadline passed while ${what}`));
  }

  /** A durable wait that cancellation does not cut short (cleanup must finish). */
  *pause(seconds: number): Generator<df.Task, void, unknown> {
    yield* this.pauseFinal(seconds);
  }

  /** Like pause; false when the cleanup's own deadline came first. */
  *pauseFinal(seconds: number): Generator<df.Task, boolean, unknown> {
    const until = new Date(now(this.ctx).getTime() + seconds * 1000);
    return (yield* waitUntil(this.ctx, until, this.finalDeadlineFrom(), undefined)) === 'elapsed';
  }

  private finalDeadlineFrom(): Date {
    this.finalDeadline ??= new Date(
      Math.max(now(this.ctx).getTime(), this.deadline.getTime()) + FINAL_GRACE_MS,
    );
    return this.finalDeadline;
  }

  /**
   * Runs one phase: timed, shown in the custom status, recorded as succeeded, failed or cancelled. A failure
   * leaves as DrillFailure naming the phase; a body that called failPhase ends normally, recorded as failed. Every phase but cleanup stops once the drill is cancelled.
   */
  *phase<T>(name: PhaseName, body: () => Generator<df.Task, T, unknown>): Generator<df.Task, T, unknown> {
    const record = this.record;
    const entry = { name, status: 'running' as const, startedAt: now(this.ctx).toISOString() };
    const index = record.phases.push(entry) - 1;
    this.status(name);
    try {
      if (name !== 'cleanup' && isCancelled(this.cancel)) throw new DrillFailure(cancelledFailure());
      const value = yield* body();
      const endedAt = now(this.ctx).toISOString();
      const detail = record.phases[index]!.detail;
      record.phases[index] = {
        ...entry,
        status: this.failedPhase === index ? 'failed' : 'succeeded',
        endedAt,
        durationSeconds: secondsBetween(entry.startedAt, endedAt),
        ...(detail ? { detail } : {}),
      };
      return value;
    } catch (err) {
      const endedAt = now(this.ctx).toISOString();
      const info = toFailure(err);
      record.phases[index] = {
        ...entry,
        status: info.code === 'Cancelled' ? 'cancelled' : 'failed',
        endedAt,
        durationSeconds: secondsBetween(entry.startedAt, endedAt),
        detail: `${info.code}: ${info.message}`,
      };
      throw new DrillFailure(info, name);
    }
  }

  /** A detail line on the running phase (shown in the report). */
  detail(text: string): void {
    const current = this.record.phases.at(-1);
    if (current) current.detail = text;
  }

  /**
   * Marks the running phase failed, with `text` as its detail, without ending the flow: checks that found bad
   * data fail the verify phase (and the drill), and the drill still goes on to clean up and report.
   */
  failPhase(text: string): void {
    this.detail(text);
    this.failedPhase = this.record.phases.length - 1;
  }

  /** Records what ended the flow early: a cancellation, or a failure in the phase it happened in. */
  fail(err: unknown): void {
    const info = toFailure(err);
    const phase =
      err instanceof DrillFailure && err.phase ? err.phase : (this.record.phases.at(-1)?.name ?? 'resolve');
    if (info.code === 'Cancelled') this.record.cancelled = true;
    else this.record.failure = { ...info, phase };
    log(this.ctx, 'drill failed', { phase, code: info.code });
  }

  verdict(): DrillReport['verdict'] {
    return verdictOf(this.record);
  }

  /**
   * Builds the report and saves it (table row, JSON and HTML). A report that cannot be stored is still the
   * orchestration's output, and says so in its report phase.
   */
  *saveReport(): Generator<df.Task, DrillReport, unknown> {
    const record = this.record;
    const startedAt = now(this.ctx).toISOString();
    const entry = { name: 'report' as const, startedAt, endedAt: startedAt, durationSeconds: 0 };
    record.phases = [...record.phases.filter((p) => p.name !== 'report'), { ...entry, status: 'succeeded' }];
    // What the drill created goes into the report (names and URIs only), so a failed cleanup can be swept later.
    if (this.created.length) record.cleanup = { ...record.cleanup, resources: this.created };
    const built = buildReport(record, startedAt);
    try {
      const saved = yield* this.act(ACTIVITIES.saveReport, { report: built }, true);
      this.reportUrl = saved.blobUrl;
      // The store links the report into its instance's hash chain: the evidence is the store's.
      return saved.evidence ? { ...built, evidence: saved.evidence } : built;
    } catch (err) {
      const info = toFailure(err);
      record.phases[record.phases.length - 1] = {
        ...entry,
        status: 'failed',
        detail: `not stored: ${info.code}: ${info.message}`,
      };
      return buildReport(record, startedAt);
    }
  }

  /**
   * Once the verdict is saved: alerts handed over, dashboard rebuilt, metrics event (activity
   * publishDrillOutcome). Never fails the drill: the report is saved whatever happens here.
   */
  *publishOutcome(report: DrillReport): Generator<df.Task, void, unknown> {
    try {
      // Not through act(): the report is saved and hashed, so its stats must not change after it.
      const out = yield* callActivity(
        this.ctx,
        ACTIVITIES.publishDrillOutcome,
        { report, ...(this.reportUrl ? { reportUrl: this.reportUrl } : {}) },
        { settings: this.settings, deadline: this.finalDeadlineFrom() },
      );
      log(this.ctx, 'outcome published', { alerts: out.alerts.ids.length, metrics: out.metrics });
    } catch (err) {
      const info = toFailure(err);
      log(this.ctx, 'alerts, dashboard and metrics not published', {
        code: info.code,
        message: info.message,
      });
    }
  }

  done(report: DrillReport): DrillReport {
    this.status('done', undefined, report.verdict);
    return report;
  }
}
