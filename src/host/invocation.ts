/**
 * Invocation contexts for the functions the standalone host runs, as the Functions host builds them: an
 * InvocationContext whose log lines become the host's structured JSON lines, and the durable client input
 * binding (the task hub, the management URL templates and the rpcBaseUrl that durable-functions'
 * DurableClient calls back on).
 */
import { randomUUID } from 'node:crypto';
import { InvocationContext, type FunctionInput, type FunctionOutput } from '@azure/functions';

export interface InvocationSetup {
  /** The host's own origin (http://127.0.0.1:port). */
  origin: () => string;
  taskHub: string;
  /** The Durable management API's key (the system key); undefined when the host checks no keys. */
  systemKey?: string;
  log: (line: Record<string, unknown>) => void;
}

/** Path of the durable client API: the system key is a path segment, since DurableClient sends no code. */
export function rpcPath(systemKey: string | undefined): string {
  return systemKey ? `/durabletask/${encodeURIComponent(systemKey)}/` : '/durabletask/';
}

/** The durable client binding data, as the Functions host passes it to DurableClient. */
export function durableClientData(setup: InvocationSetup): Record<string, unknown> {
  const origin = setup.origin();
  const hub = setup.taskHub;
  const code = setup.systemKey ? `&code=${encodeURIComponent(setup.systemKey)}` : '';
  const q = `taskHub=${hub}&connection=Storage${code}`;
  const hook = `${origin}/runtime/webhooks/durabletask`;
  return {
    taskHubName: hub,
    creationUrls: {
      createNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${hook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${hook}/instances/INSTANCEID?${q}`,
      sendEventPostUri: `${hook}/instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${hook}/instances/INSTANCEID/terminate?reason={text}&${q}`,
      rewindPostUri: `${hook}/instances/INSTANCEID/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${hook}/instances/INSTANCEID?${q}`,
      restartPostUri: `${hook}/instances/INSTANCEID/restart?${q}`,
      suspendPostUri: `${hook}/instances/INSTANCEID/suspend?reason={text}&${q}`,
      resumePostUri: `${hook}/instances/INSTANCEID/resume?reason={text}&${q}`,
    },
    baseUrl: hook,
    requiredQueryStringParameters: code.slice(1),
    rpcBaseUrl: `${origin}${rpcPath(setup.systemKey)}`,
  };
}

function isDurableClientInput(input: FunctionInput): boolean {
  return input.type === 'durableClient' || input.type === 'orchestrationClient';
}

/** A context for one invocation of function `name`, with its extra inputs bound. */
export function invocationContext(
  setup: InvocationSetup,
  name: string,
  extraInputs: FunctionInput[] = [],
  extraOutputs: FunctionOutput[] = [],
  triggerMetadata: Record<string, unknown> = {},
): InvocationContext {
  const invocationId = randomUUID();
  const ctx = new InvocationContext({
    functionName: name,
    invocationId,
    triggerMetadata,
    options: { trigger: { type: 'host', name: 'trigger' }, extraInputs, extraOutputs },
    logHandler: (level, ...args) => {
      // Handlers log JSON objects (with drill ids): merge them into the host's structured line.
      const text = args.map(String).join(' ');
      let fields: Record<string, unknown> = { message: text };
      if (text.startsWith('{')) {
        try {
          fields = JSON.parse(text) as Record<string, unknown>;
        } catch {
          /* plain text */
        }
      }
      setup.log({ level, function: name, invocationId, ...fields });
    },
  });
  for (const input of extraInputs)
    if (isDurableClientInput(input)) ctx.extraInputs.set(input, durableClientData(setup));
  return ctx;
}

/** A catch handler that logs a trigger's failure as the host's error line (the host goes on). */
export function logFailure(
  log: (line: Record<string, unknown>) => void,
  functionName: string,
  message: string,
): (err: unknown) => void {
  return (err) => log({ level: 'error', function: functionName, message, error: (err as Error).message });
}
