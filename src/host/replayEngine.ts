/**
 * The one module that reaches into durable-functions internals (pinned at ~3.5 in package.json): its replay
 * engine (Orchestrator, history event classes, replay schema V3). The driver feeds it a history and gets the
 * orchestrator's decisions back, exactly as the Functions host does. durable-functions ships no types for
 * these deep imports, so their shapes are declared here.
 */
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- untyped deep imports, confined to this module */
import type * as df from 'durable-functions';

const lib = 'durable-functions/lib/src';
const { Orchestrator } = require(`${lib}/orchestrations/Orchestrator`);
const { ReplaySchema } = require(`${lib}/orchestrations/ReplaySchema`);
const { DurableOrchestrationInput, DummyOrchestrationContext } = require(`${lib}/util/testingUtils`);
const { HistoryEventOptions } = require(`${lib}/history/HistoryEventOptions`);
const { OrchestratorStartedEvent } = require(`${lib}/history/OrchestratorStartedEvent`);
const { OrchestratorCompletedEvent } = require(`${lib}/history/OrchestratorCompletedEvent`);
const { ExecutionStartedEvent } = require(`${lib}/history/ExecutionStartedEvent`);
const { TaskScheduledEvent } = require(`${lib}/history/TaskScheduledEvent`);
const { TaskCompletedEvent } = require(`${lib}/history/TaskCompletedEvent`);
const { TaskFailedEvent } = require(`${lib}/history/TaskFailedEvent`);
const { TimerCreatedEvent } = require(`${lib}/history/TimerCreatedEvent`);
const { TimerFiredEvent } = require(`${lib}/history/TimerFiredEvent`);
const { SubOrchestrationInstanceCreatedEvent } = require(
  `${lib}/history/SubOrchestrationInstanceCreatedEvent`,
);
const { SubOrchestrationInstanceCompletedEvent } = require(
  `${lib}/history/SubOrchestrationInstanceCompletedEvent`,
);
const { SubOrchestrationInstanceFailedEvent } = require(`${lib}/history/SubOrchestrationInstanceFailedEvent`);
const { EventRaisedEvent } = require(`${lib}/history/EventRaisedEvent`);
const { HistoryEventType } = require(`${lib}/history/HistoryEventType`);
const { ActionType } = require(`${lib}/actions/ActionType`);

/** A history event as the engine reads it (PascalCase fields, as the host sends them). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date;
  Name?: string;
  Input?: string;
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: Date;
  InstanceId?: string;
  Reason?: string;
  Details?: string;
}

export const EVENT_TYPE = HistoryEventType as Record<string, number> & Record<number, string>;

/** Decisions the orchestrator made, flattened in scheduling order (compound Task.all/any actions opened). */
export type Decision =
  | { kind: 'activity'; name: string; input: unknown }
  | { kind: 'timer'; fireAt: Date; canceled: boolean }
  | { kind: 'subOrchestration'; name: string; instanceId?: string; input: unknown }
  | { kind: 'waitForEvent'; name: string }
  | { kind: 'continueAsNew'; input: unknown };

export interface StepResult {
  isDone: boolean;
  /** Every decision of this execution so far (the engine re-emits earlier ones on replay). */
  decisions: Decision[];
  output?: unknown;
  customStatus?: unknown;
  /** Set when the orchestrator threw. */
  error?: string;
}

function decodeInput(input: unknown): unknown {
  // The engine JSON-encodes string inputs and leaves objects as they are; the host serialises both.
  if (typeof input === 'string') return JSON.parse(input);
  return input === undefined ? undefined : JSON.parse(JSON.stringify(input));
}

interface RawAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: Date;
  isCanceled?: boolean;
  instanceId?: string;
  externalEventName?: string;
  compoundActions?: RawAction[];
}

/**
 * The episode's actions as a flat list of decisions. A task awaited again inside a later Task.any/all (a
 * throttled fan-out waiting on what still runs) reappears in that compound action as the same action object:
 * it was scheduled when first yielded, so it is not a new decision. Waits for an event are the exception: they
 * schedule nothing, and the stored instances of earlier versions counted each repetition (the cancel event
 * awaited in every wait), so counting them as before keeps a stored instance's decision count valid across an
 * upgrade.
 */
function flatten(actions: RawAction[], out: Decision[], seen = new Set<RawAction>()): void {
  for (const a of actions) {
    if (seen.has(a) && a.actionType !== ActionType.WaitForExternalEvent) continue;
    seen.add(a);
    switch (a.actionType) {
      case ActionType.CallActivity:
        out.push({ kind: 'activity', name: a.functionName!, input: decodeInput(a.input) });
        break;
      case ActionType.CreateTimer:
        out.push({ kind: 'timer', fireAt: new Date(a.fireAt!), canceled: a.isCanceled === true });
        break;
      case ActionType.CallSubOrchestrator:
        out.push({
          kind: 'subOrchestration',
          name: a.functionName!,
          ...(a.instanceId ? { instanceId: a.instanceId } : {}),
          input: decodeInput(a.input),
        });
        break;
      case ActionType.WaitForExternalEvent:
        out.push({ kind: 'waitForEvent', name: a.externalEventName! });
        break;
      case ActionType.ContinueAsNew:
        out.push({ kind: 'continueAsNew', input: decodeInput(a.input) });
        break;
      case ActionType.WhenAll:
      case ActionType.WhenAny:
        flatten(a.compoundActions ?? [], out, seen);
        break;
      default:
        throw new Error(
          `the in-process driver does not support action type ${ActionType[a.actionType] ?? a.actionType} (use callActivity, createTimer, callSubOrchestrator, waitForExternalEvent, Task.all/any, continueAsNew)`,
        );
    }
  }
}

/** Runs one orchestrator episode over `history` (replaying what it has seen, deciding what comes next). */
export async function runEpisode(
  fn: df.OrchestrationHandler,
  args: {
    instanceId: string;
    name: string;
    input: unknown;
    history: HistoryEvent[];
    parentInstanceId?: string;
    log: (message: string) => void;
  },
): Promise<StepResult> {
  const listener = new Orchestrator(fn).listen();
  const trigger = new DurableOrchestrationInput(
    args.instanceId,
    args.history,
    args.input,
    '3.00:00:00',
    '6.00:00:00',
    30000,
    ReplaySchema.V3,
    false,
    args.parentInstanceId ?? '',
  );
  const context = new DummyOrchestrationContext(
    args.name,
    `${args.instanceId}:${args.history.length}`,
    (_level: unknown, ...parts: unknown[]) => args.log(parts.map(String).join(' ')),
  );
  try {
    const state = await listener(trigger, context);
    const decisions: Decision[] = [];
    flatten((state.actions as RawAction[][])[0] ?? [], decisions);
    return {
      isDone: state.isDone === true,
      decisions,
      output: state.output,
      customStatus: state.customStatus,
    };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const label = '\n\n$OutOfProcData$:';
    const at = message.indexOf(label);
    if (at < 0) throw err;
    // OrchestrationFailureError's message is "<whatever>$OutOfProcData$:<state JSON>"; the state's error field
    // holds the orchestrator's own message.
    const state = JSON.parse(message.slice(at + label.length)) as {
      actions: RawAction[][];
      customStatus?: unknown;
      error?: string;
    };
    const decisions: Decision[] = [];
    flatten(state.actions[0] ?? [], decisions);
    return {
      isDone: true,
      decisions,
      customStatus: state.customStatus,
      error: state.error ?? message.slice(0, at),
    };
  }
}

function opts(eventId: number, timestamp: Date, extra: Record<string, unknown> = {}): unknown {
  return Object.assign(new HistoryEventOptions(eventId, timestamp, false), extra);
}

/** History event factories (the engine's own classes). */
export const events = {
  orchestratorStarted: (t: Date): HistoryEvent => new OrchestratorStartedEvent(opts(-1, t)),
  orchestratorCompleted: (t: Date): HistoryEvent => new OrchestratorCompletedEvent(opts(-1, t)),
  executionStarted: (t: Date, name: string, input: unknown): HistoryEvent =>
    new ExecutionStartedEvent(opts(-1, t, { name, input: JSON.stringify(input ?? null) })),
  taskScheduled: (t: Date, id: number, name: string, input: unknown): HistoryEvent =>
    new TaskScheduledEvent(opts(id, t, { name, input: JSON.stringify(input ?? null) })),
  taskCompleted: (t: Date, taskScheduledId: number, result: unknown): HistoryEvent =>
    new TaskCompletedEvent(opts(-1, t, { taskScheduledId, result: JSON.stringify(result ?? null) })),
  taskFailed: (t: Date, taskScheduledId: number, reason: string, details: string): HistoryEvent =>
    new TaskFailedEvent(opts(-1, t, { taskScheduledId, reason, details })),
  timerCreated: (t: Date, id: number, fireAt: Date): HistoryEvent =>
    new TimerCreatedEvent(opts(id, t, { fireAt })),
  timerFired: (t: Date, timerId: number, fireAt: Date): HistoryEvent =>
    new TimerFiredEvent(opts(-1, t, { timerId, fireAt })),
  subOrchestrationCreated: (
    t: Date,
    id: number,
    name: string,
    instanceId: string,
    input: unknown,
  ): HistoryEvent =>
    new SubOrchestrationInstanceCreatedEvent(
      opts(id, t, { name, instanceId, input: JSON.stringify(input ?? null) }),
    ),
  subOrchestrationCompleted: (t: Date, taskScheduledId: number, result: unknown): HistoryEvent =>
    new SubOrchestrationInstanceCompletedEvent(
      opts(-1, t, { taskScheduledId, result: JSON.stringify(result ?? null) }),
    ),
  subOrchestrationFailed: (t: Date, taskScheduledId: number, reason: string, details: string): HistoryEvent =>
    new SubOrchestrationInstanceFailedEvent(opts(-1, t, { taskScheduledId, reason, details })),
  eventRaised: (t: Date, name: string, input: unknown): HistoryEvent =>
    new EventRaisedEvent(opts(-1, t, { name, input: JSON.stringify(input ?? null) })),
};
