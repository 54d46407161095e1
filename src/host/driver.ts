/**
 * An in-process orchestration driver: runs orchestrators through durable-functions' own replay engine, the way
 * the Functions host does. Each episode replays the instance's history and yields decisions; the driver turns
 * new decisions into history (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated), runs the
 * activities (with a concurrency limit), fires durable timers on its clock, starts sub-orchestrations, delivers
 * raised events, and handles continueAsNew by starting a fresh history. Used by tests and by the standalone
 * host; orchestrators and activities are the very same functions Azure Functions registers.
 */
import type * as df from 'durable-functions';
import { AppError } from '../lib/errors';
import { EVENT_TYPE, events, runEpisode, type Decision, type HistoryEvent } from './replayEngine';
import { RealClock, type Clock } from './clock';
import type { InstanceSnapshot, InstanceStore } from './store';

export type ActivityFunction = (input: unknown) => Promise<unknown>;

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated';

export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  /** Events in the current generation's history. */
  historyLength: number;
  /** continueAsNew generations so far. */
  generation: number;
  parentInstanceId?: string;
}

/** Starting an instance whose id is taken by one that has not finished. */
export class InstanceExistsError extends AppError {
  constructor(instanceId: string, status: string) {
    super('InstanceExists', `instance ${instanceId} already exists and is ${status}`);
  }
}

export interface DriverOptions {
  orchestrators: Record<string, df.OrchestrationHandler>;
  activities: Record<string, ActivityFunction>;
  clock?: Clock;
  /** Activities running at once (the rest wait their turn). */
  activityConcurrency?: number;
  log?: (line: Record<string, unknown>) => void;
  /** Keeps each generation's full history, for tests that inspect it. */
  keepHistories?: boolean;
  /** Persists every instance after each change; resume() picks up what a killed process left. */
  store?: InstanceStore;
}

interface Instance {
  id: string;
  name: string;
  input: unknown;
  status: RuntimeStatus;
  output?: unknown;
  customStatus?: unknown;
  createdAt: number;
  updatedAt: number;
  history: HistoryEvent[];
  /** Decisions already turned into history in this generation. */
  decisionsSeen: number;
  /** The engine's task sequence: the id of the next activity/timer/sub-orchestration. */
  nextTaskId: number;
  generation: number;
  parent?: { instanceId: string; taskId: number; generation: number };
  inbox: HistoryEvent[];
  running: boolean;
  cancelTimers: Map<number, () => void>;
  waiters: ((s: InstanceStatus) => void)[];
}

const TERMINAL: RuntimeStatus[] = ['Completed', 'Failed', 'Terminated'];

/** How soon a failed save of an instance is tried again. */
const RESAVE_MS = 2_000;

export class OrchestrationDriver {
  private readonly instances = new Map<string, Instance>();
  private readonly clock: Clock;
  private readonly concurrency: number;
  private activeActivities = 0;
  private readonly activityQueue: (() => void)[] = [];
  private busy = 0;
  private idleQueued = false;
  /** Generations' histories (only with keepHistories). */
  readonly histories = new Map<string, HistoryEvent[][]>();
  /** Every custom status each instance set, in order, changes only (only with keepHistories). */
  readonly customStatuses = new Map<string, unknown[]>();
  /** Activity calls made, by name. */
  readonly activityCalls = new Map<string, number>();
  private readonly saving = new Map<string, Promise<void>>();
  /** Instances whose latest save failed (storage down): saved again every RESAVE_MS until it works. */
  private readonly unsaved = new Set<string>();
  private resaveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DriverOptions) {
    this.clock = options.clock ?? new RealClock();
    this.concurrency = options.activityConcurrency ?? 8;
  }

  private log(line: Record<string, unknown>): void {
    this.options.log?.({ time: new Date(this.clock.now()).toISOString(), source: 'driver', ...line });
  }

  // ---- client API ----

  async start(
    name: string,
    input: unknown,
    instanceId: string,
    parent?: Instance['parent'],
  ): Promise<string> {
    if (!this.options.orchestrators[name]) throw new Error(`no orchestrator named ${name}`);
    const existing = this.instances.get(instanceId);
    if (existing && !TERMINAL.includes(existing.status)) {
      // A parent starting a child that already runs for it (its decision replayed after a crash): adopt it.
      if (parent && existing.parent?.instanceId === parent.instanceId) {
        existing.parent = parent;
        this.log({ message: 'sub-orchestration adopted', instanceId, parentInstanceId: parent.instanceId });
        void this.persist(existing);
        return Promise.resolve(instanceId);
      }
      throw new InstanceExistsError(instanceId, existing.status);
    }
    const t = this.clock.now();
    const inst: Instance = {
      id: instanceId,
      name,
      input: JSON.parse(JSON.stringify(input ?? null)),
      status: 'Pending',
      createdAt: t,
      updatedAt: t,
      history: [],
      decisionsSeen: 0,
      nextTaskId: 0,
      generation: 0,
      ...(parent ? { parent } : {}),
      inbox: [events.executionStarted(new Date(t), name, input)],
      running: false,
      cancelTimers: new Map(),
      waiters: existing?.waiters ?? [],
    };
    this.instances.set(instanceId, inst);
    this.log({ message: 'instance started', instanceId, name });
    void this.persist(inst);
    this.schedule(inst);
    return Promise.resolve(instanceId);
  }

  getStatus(instanceId: string): InstanceStatus | undefined {
    const inst = this.instances.get(instanceId);
    return inst ? this.statusOf(inst) : undefined;
  }

  list(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => this.statusOf(i));
  }

  /** The current generation's history (engine events). */
  historyOf(instanceId: string): HistoryEvent[] {
    return this.instances.get(instanceId)?.history ?? [];
  }

  raiseEvent(instanceId: string, name: string, data: unknown): boolean {
    const inst = this.instances.get(instanceId);
    if (!inst || TERMINAL.includes(inst.status)) return false;
    inst.inbox.push(events.eventRaised(new Date(this.clock.now()), name, data));
    void this.persist(inst);
    this.schedule(inst);
    return true;
  }

  terminate(instanceId: string, reason: string): boolean {
    const inst = this.instances.get(instanceId);
    if (!inst || TERMINAL.includes(inst.status)) return false;
    this.finish(inst, 'Terminated', reason);
    return true;
  }

  /** Resolves when the instance reaches a terminal status. */
  waitForCompletion(instanceId: string, timeoutMs = 600_000): Promise<InstanceStatus> {
    const inst = this.instances.get(instanceId);
    if (!inst) return Promise.reject(new Error(`no instance ${instanceId}`));
    if (TERMINAL.includes(inst.status)) return Promise.resolve(this.statusOf(inst));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`instance ${instanceId} did not finish within ${timeoutMs} ms (status ${inst.status})`),
          ),
        timeoutMs,
      );
      inst.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  // ---- engine loop ----

  private statusOf(inst: Instance): InstanceStatus {
    return statusFromSnapshot(this.snapshot(inst));
  }

  private work<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    return fn().finally(() => {
      this.busy--;
      this.whenIdle();
    });
  }

  /**
   * Tells the clock once the driver has nothing to do (a fake clock then fires its next timer). One call per
   * quiet spell: two queued calls would fire two timers at once, the second jumping the clock past the work
   * the first one starts.
   */
  private whenIdle(): void {
    if (this.busy !== 0 || this.idleQueued) return;
    this.idleQueued = true;
    setImmediate(() => {
      this.idleQueued = false;
      if (this.busy === 0) this.clock.idle();
    });
  }

  private schedule(inst: Instance): void {
    if (inst.running || inst.inbox.length === 0 || TERMINAL.includes(inst.status)) return;
    inst.running = true;
    void this.work(() => this.episode(inst)).catch((err: unknown) => {
      this.log({ message: 'episode crashed', instanceId: inst.id, error: (err as Error).stack });
      this.finish(inst, 'Failed', `driver: ${(err as Error).message}`);
    });
  }

  private async episode(inst: Instance): Promise<void> {
    // Activities and sub-orchestrations start only once the history that schedules them is stored (an outbox,
    // as the Durable Task Framework commits history before it sends messages): a process killed in between
    // finds them in the history on resume and starts them then, and never finds a child its parent does not
    // know about.
    const effects: (() => void)[] = [];
    let saved: Promise<void> = Promise.resolve();
    try {
      const t = new Date(this.clock.now());
      for (const e of inst.history) e.IsPlayed = true;
      inst.history.push(events.orchestratorStarted(t), ...inst.inbox.splice(0));
      const fn = this.options.orchestrators[inst.name]!;
      const result = await runEpisode(fn, {
        instanceId: inst.id,
        name: inst.name,
        input: inst.input,
        history: inst.history,
        ...(inst.parent ? { parentInstanceId: inst.parent.instanceId } : {}),
        log: (message) => {
          // Orchestrators log JSON objects: merge them into the driver's structured line.
          let fields: Record<string, unknown> = { message };
          if (message.startsWith('{')) {
            try {
              fields = JSON.parse(message) as Record<string, unknown>;
            } catch {
              /* plain text */
            }
          }
          this.log({ ...fields, instanceId: inst.id });
        },
      });
      if (
        this.options.keepHistories &&
        JSON.stringify(result.customStatus) !== JSON.stringify(inst.customStatus)
      )
        this.customStatuses.set(inst.id, [...(this.customStatuses.get(inst.id) ?? []), result.customStatus]);
      inst.customStatus = result.customStatus;
      inst.updatedAt = this.clock.now();
      if (inst.status === 'Pending') inst.status = 'Running';
      const fresh = result.decisions.slice(inst.decisionsSeen);
      inst.decisionsSeen = result.decisions.length;
      let continueWith: { input: unknown } | undefined;
      for (const d of fresh) {
        if (d.kind === 'continueAsNew') continueWith = { input: d.input };
        else {
          const effect = this.apply(inst, d, t);
          if (effect) effects.push(effect);
        }
      }
      inst.history.push(events.orchestratorCompleted(t));
      if (result.error !== undefined) {
        this.finish(inst, 'Failed', result.error);
      } else if (continueWith) {
        this.continueAsNew(inst, continueWith.input);
      } else if (result.isDone) {
        inst.output = result.output;
        this.finish(inst, 'Completed');
      }
    } finally {
      inst.running = false;
      saved = this.persist(inst);
    }
    await saved;
    for (const effect of effects) effect();
    this.schedule(inst);
  }

  /** Records a decision in the history; returns what must happen once that history is stored. */
  private apply(
    inst: Instance,
    d: Exclude<Decision, { kind: 'continueAsNew' }>,
    t: Date,
  ): (() => void) | undefined {
    if (d.kind === 'waitForEvent') return undefined; // events are delivered by raiseEvent
    const id = inst.nextTaskId++;
    const generation = inst.generation;
    const deliver = (event: HistoryEvent): void => {
      const target = this.instances.get(inst.id);
      if (!target || target !== inst || inst.generation !== generation || TERMINAL.includes(inst.status))
        return;
      inst.inbox.push(event);
      this.schedule(inst);
    };
    switch (d.kind) {
      case 'activity': {
        inst.history.push(events.taskScheduled(t, id, d.name, d.input));
        return () =>
          void this.work(() => this.runActivity(d.name, d.input)).then((outcome) => {
            const now = new Date(this.clock.now());
            deliver(
              outcome.ok
                ? events.taskCompleted(now, id, outcome.value)
                : events.taskFailed(now, id, outcome.reason, outcome.details),
            );
          });
      }
      case 'timer': {
        inst.history.push(events.timerCreated(t, id, d.fireAt));
        // Timers are armed at once: they have no effect outside, and resume re-arms them from the history.
        if (d.canceled) return undefined;
        const cancel = this.clock.schedule(d.fireAt.getTime(), () => {
          inst.cancelTimers.delete(id);
          deliver(events.timerFired(new Date(this.clock.now()), id, d.fireAt));
          // A timer whose instance moved on starts no work: the clock must still hear the driver is idle.
          this.whenIdle();
        });
        inst.cancelTimers.set(id, cancel);
        return undefined;
      }
      case 'subOrchestration': {
        const childId = d.instanceId ?? `${inst.id}:${id}`;
        inst.history.push(events.subOrchestrationCreated(t, id, d.name, childId, d.input));
        return () =>
          void this.start(d.name, d.input, childId, { instanceId: inst.id, taskId: id, generation }).catch(
            (err: unknown) => {
              deliver(
                events.subOrchestrationFailed(new Date(this.clock.now()), id, (err as Error).message, ''),
              );
            },
          );
      }
    }
  }

  private continueAsNew(inst: Instance, input: unknown): void {
    for (const cancel of inst.cancelTimers.values()) cancel();
    inst.cancelTimers.clear();
    if (this.options.keepHistories)
      this.histories.set(inst.id, [...(this.histories.get(inst.id) ?? []), inst.history]);
    inst.generation++;
    inst.input = input;
    inst.history = [];
    inst.decisionsSeen = 0;
    inst.nextTaskId = 0;
    // Events raised to the old generation that it did not consume are carried over, as the host does.
    const carried = inst.inbox.filter((e) => e.EventType === EVENT_TYPE.EventRaised);
    inst.inbox = [events.executionStarted(new Date(this.clock.now()), inst.name, input), ...carried];
    this.log({ message: 'continued as new', instanceId: inst.id, generation: inst.generation });
  }

  private finish(inst: Instance, status: RuntimeStatus, error?: string): void {
    for (const cancel of inst.cancelTimers.values()) cancel();
    inst.cancelTimers.clear();
    inst.status = status;
    inst.updatedAt = this.clock.now();
    if (error !== undefined) inst.output = error;
    if (this.options.keepHistories)
      this.histories.set(inst.id, [...(this.histories.get(inst.id) ?? []), inst.history]);
    this.log({
      message: `instance ${status.toLowerCase()}`,
      instanceId: inst.id,
      ...(error ? { error } : {}),
    });
    const parent = inst.parent ? this.instances.get(inst.parent.instanceId) : undefined;
    if (
      parent &&
      inst.parent &&
      parent.generation === inst.parent.generation &&
      !TERMINAL.includes(parent.status)
    ) {
      const now = new Date(this.clock.now());
      parent.inbox.push(
        status === 'Completed'
          ? events.subOrchestrationCompleted(now, inst.parent.taskId, inst.output)
          : events.subOrchestrationFailed(
              now,
              inst.parent.taskId,
              `${inst.name} ${status.toLowerCase()}`,
              String(error ?? ''),
            ),
      );
      this.schedule(parent);
    }
    const snapshot = this.statusOf(inst);
    for (const w of inst.waiters.splice(0)) w(snapshot);
  }

  /** Hands a finished child's result to its parent (once; the parent's history tells if it already has it). */
  private notifyParent(parent: Instance, child: Instance): void {
    const link = child.parent!;
    if (parent.generation !== link.generation || TERMINAL.includes(parent.status)) return;
    const done = [...parent.history, ...parent.inbox].some(
      (e) =>
        (e.EventType === EVENT_TYPE.SubOrchestrationInstanceCompleted ||
          e.EventType === EVENT_TYPE.SubOrchestrationInstanceFailed) &&
        e.TaskScheduledId === link.taskId,
    );
    if (done) return;
    const now = new Date(this.clock.now());
    parent.inbox.push(
      child.status === 'Completed'
        ? events.subOrchestrationCompleted(now, link.taskId, child.output)
        : events.subOrchestrationFailed(
            now,
            link.taskId,
            `${child.name} ${child.status.toLowerCase()}`,
            typeof child.output === 'string' ? child.output : JSON.stringify(child.output ?? ''),
          ),
    );
    void this.persist(parent);
    this.schedule(parent);
  }

  // ---- persistence ----

  private snapshot(inst: Instance): InstanceSnapshot {
    return {
      id: inst.id,
      name: inst.name,
      status: inst.status,
      createdAt: inst.createdAt,
      updatedAt: inst.updatedAt,
      ...(inst.parent ? { parentInstanceId: inst.parent.instanceId, parent: inst.parent } : {}),
      input: inst.input,
      output: inst.output,
      customStatus: inst.customStatus,
      history: inst.history,
      inbox: inst.inbox,
      decisionsSeen: inst.decisionsSeen,
      nextTaskId: inst.nextTaskId,
      generation: inst.generation,
    };
  }

  /** Queues a save of the instance as it is now; resolves once it is stored (or the store failed, logged). */
  private persist(inst: Instance): Promise<void> {
    const store = this.options.store;
    if (!store) return Promise.resolve();
    // Taken now (the instance changes on): the small fields copied, the history's events shared (the store
    // serialises only those it has not written yet; the one field an episode changes later, IsPlayed, is set
    // again from the history's order whenever it is read back).
    const { history, ...rest } = this.snapshot(inst);
    const snap = { ...(JSON.parse(JSON.stringify(rest)) as InstanceSnapshot), history: [...history!] };
    const previous = this.saving.get(inst.id) ?? Promise.resolve();
    const next = previous
      .then(() => store.save(snap))
      .then(() => {
        // A newer save replaces a failed one: the store has the instance as it is now.
        if (this.unsaved.delete(inst.id)) this.log({ message: 'instance stored again', instanceId: inst.id });
      })
      .catch((err: unknown) => {
        this.log({
          message: 'could not persist instance',
          instanceId: inst.id,
          error: (err as Error).message,
        });
        // Nothing else may ever save it again (a finished instance changes no more): retry until it is stored,
        // or a restarted host would resume a stale state.
        this.unsaved.add(inst.id);
        this.scheduleResave();
      });
    this.saving.set(inst.id, next);
    return next;
  }

  private scheduleResave(): void {
    if (this.resaveTimer) return;
    this.resaveTimer = setTimeout(() => {
      this.resaveTimer = undefined;
      for (const id of this.unsaved) {
        const inst = this.instances.get(id);
        if (inst) void this.persist(inst);
        else this.unsaved.delete(id);
      }
    }, RESAVE_MS);
    this.resaveTimer.unref();
  }

  /** Waits for every pending write (before a clean shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.saving.values()]);
  }

  /**
   * Picks up the instances a previous process left running: their histories say what was scheduled and not
   * finished. Activities without a completion run again (at least once, as in Durable Functions; a completed
   * one never does), timers are re-armed at their time, finished children are handed to their parents.
   */
  async resume(): Promise<number> {
    const store = this.options.store;
    if (!store) return 0;
    const snaps = await store.loadActive();
    for (const s of snaps) this.instances.set(s.id, instanceFromSnapshot(s));
    for (const inst of [...this.instances.values()].filter((i) => snaps.some((s) => s.id === i.id))) {
      const seen = [...inst.history, ...inst.inbox];
      const completed = new Set(
        seen.filter((e) => e.TaskScheduledId !== undefined).map((e) => e.TaskScheduledId!),
      );
      const fired = new Set(seen.filter((e) => e.EventType === EVENT_TYPE.TimerFired).map((e) => e.TimerId!));
      for (const e of inst.history) {
        if (e.EventType === EVENT_TYPE.TaskScheduled && !completed.has(e.EventId)) {
          this.rerunActivity(inst, e.EventId, e.Name!, JSON.parse(e.Input ?? 'null'));
        } else if (e.EventType === EVENT_TYPE.TimerCreated && !fired.has(e.EventId)) {
          this.rearmTimer(inst, e.EventId, e.FireAt!);
        } else if (e.EventType === EVENT_TYPE.SubOrchestrationInstanceCreated && !completed.has(e.EventId)) {
          const child = this.instances.get(e.InstanceId!) ?? (await this.loadFinished(e.InstanceId!));
          if (child && TERMINAL.includes(child.status)) this.notifyParent(inst, child);
          // The parent recorded the child but the process stopped before the child was stored: start it now.
          if (!child)
            void this.start(e.Name!, JSON.parse(e.Input ?? 'null'), e.InstanceId!, {
              instanceId: inst.id,
              taskId: e.EventId,
              generation: inst.generation,
            });
        }
      }
      this.log({
        message: 'instance resumed',
        instanceId: inst.id,
        status: inst.status,
        historyLength: inst.history.length,
      });
      this.schedule(inst);
    }
    // Instances that only wait on timers start no work: a fake clock must still hear the driver is idle.
    this.whenIdle();
    return snaps.length;
  }

  private async loadFinished(id: string): Promise<Instance | undefined> {
    const s = await this.options.store?.load(id);
    return s ? instanceFromSnapshot(s) : undefined;
  }

  private rerunActivity(inst: Instance, id: number, name: string, input: unknown): void {
    const generation = inst.generation;
    void this.work(() => this.runActivity(name, input)).then((outcome) => {
      if (inst.generation !== generation || TERMINAL.includes(inst.status)) return;
      const now = new Date(this.clock.now());
      inst.inbox.push(
        outcome.ok
          ? events.taskCompleted(now, id, outcome.value)
          : events.taskFailed(now, id, outcome.reason, outcome.details),
      );
      void this.persist(inst);
      this.schedule(inst);
    });
  }

  private rearmTimer(inst: Instance, id: number, fireAt: Date): void {
    const generation = inst.generation;
    const cancel = this.clock.schedule(fireAt.getTime(), () => {
      inst.cancelTimers.delete(id);
      if (inst.generation === generation && !TERMINAL.includes(inst.status)) {
        inst.inbox.push(events.timerFired(new Date(this.clock.now()), id, fireAt));
        void this.persist(inst);
        this.schedule(inst);
      }
      this.whenIdle();
    });
    inst.cancelTimers.set(id, cancel);
  }

  /** Status from memory, or (for an instance finished before this process started) from the store. */
  async getStatusAsync(instanceId: string): Promise<InstanceStatus | undefined> {
    const mem = this.getStatus(instanceId);
    if (mem) return mem;
    const s = await this.options.store?.load(instanceId);
    return s ? statusFromSnapshot(s) : undefined;
  }

  private async runActivity(
    name: string,
    input: unknown,
  ): Promise<{ ok: true; value: unknown } | { ok: false; reason: string; details: string }> {
    const fn = this.options.activities[name];
    if (!fn) return { ok: false, reason: `no activity named ${name}`, details: '' };
    this.activityCalls.set(name, (this.activityCalls.get(name) ?? 0) + 1);
    if (this.activeActivities >= this.concurrency) await new Promise<void>((r) => this.activityQueue.push(r));
    this.activeActivities++;
    try {
      return { ok: true, value: await fn(input) };
    } catch (err) {
      return {
        ok: false,
        reason: (err as Error).message ?? String(err),
        details: (err as Error).stack ?? '',
      };
    } finally {
      this.activeActivities--;
      this.activityQueue.shift()?.();
    }
  }
}

/** The one conversion from an instance's snapshot (in memory or stored) to its status. */
function statusFromSnapshot(s: InstanceSnapshot): InstanceStatus {
  return {
    instanceId: s.id,
    name: s.name,
    runtimeStatus: s.status as RuntimeStatus,
    input: s.input,
    output: s.output,
    customStatus: s.customStatus,
    createdTime: new Date(s.createdAt).toISOString(),
    lastUpdatedTime: new Date(s.updatedAt).toISOString(),
    historyLength: Array.isArray(s.history) ? s.history.length : 0,
    generation: Number(s.generation ?? 0),
    ...(s.parentInstanceId ? { parentInstanceId: s.parentInstanceId } : {}),
  };
}

/** History events read back from JSON: dates are dates again. */
function reviveEvents(events: unknown): HistoryEvent[] {
  return ((events as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
    ...(e as unknown as HistoryEvent),
    Timestamp: new Date(e.Timestamp as string),
    ...(e.FireAt ? { FireAt: new Date(e.FireAt as string) } : {}),
  }));
}

/** An instance as a previous process stored it. */
function instanceFromSnapshot(s: InstanceSnapshot): Instance {
  return {
    id: s.id,
    name: s.name,
    input: s.input,
    status: s.status as RuntimeStatus,
    output: s.output,
    customStatus: s.customStatus,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    history: reviveEvents(s.history),
    decisionsSeen: Number(s.decisionsSeen ?? 0),
    nextTaskId: Number(s.nextTaskId ?? 0),
    generation: Number(s.generation ?? 0),
    ...(s.parent ? { parent: s.parent as Instance['parent'] } : {}),
    inbox: reviveEvents(s.inbox),
    running: false,
    cancelTimers: new Map(),
    waiters: [],
  };
}
