/**
 * A function definition is what both runtimes need: Azure Functions registers it through @azure/functions and
 * durable-functions (src/index.ts), and the standalone host serves the very same handler. No handler knows
 * which runtime runs it.
 */
import type {
  FunctionInput,
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';
import type * as df from 'durable-functions';

export interface HttpFunctionDefinition {
  kind: 'http';
  name: string;
  options: HttpFunctionOptions;
}

export interface QueueFunctionDefinition {
  kind: 'queue';
  name: string;
  options: StorageQueueFunctionOptions;
}

export interface TimerFunctionDefinition {
  kind: 'timer';
  name: string;
  options: TimerFunctionOptions;
}

export interface OrchestrationDefinition {
  kind: 'orchestration';
  name: string;
  handler: df.OrchestrationHandler;
}

export interface ActivityDefinition {
  kind: 'activity';
  name: string;
  handler: df.ActivityHandler;
  /** Bindings beyond the activity trigger (Durable Functions' client for the job watcher's activities). */
  extraInputs?: FunctionInput[];
}

export type FunctionDefinition =
  | HttpFunctionDefinition
  | QueueFunctionDefinition
  | TimerFunctionDefinition
  | OrchestrationDefinition
  | ActivityDefinition;
