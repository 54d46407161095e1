/**
 * What the triggers need from Durable Functions' client, as one small interface. In Azure (and in the
 * standalone host, which serves the same client API) it is durable-functions' DurableClient; tests and
 * one-process tools use the in-process driver's implementation (src/host/driverClient.ts). Handlers never know
 * which one they have.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { CHILD_PURPOSES, childInstanceId } from '../lib/drill/instanceIds';
import { CANCEL_EVENT } from '../orchestrators/names';

export interface DrillInstance {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  /** The orchestration's input (small plain JSON, no secrets). */
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface DrillClient {
  startNew(name: string, instanceId: string, input: unknown): Promise<void>;
  getStatus(instanceId: string): Promise<DrillInstance | undefined>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean>;
  /** Instances still Pending or Running. */
  listActive(): Promise<DrillInstance[]>;
}

export type ClientFactory = (context: InvocationContext) => DrillClient;

export const ACTIVE = ['Pending', 'Running', 'ContinuedAsNew'];
export const isActive = (s: DrillInstance | undefined): boolean => !!s && ACTIVE.includes(s.runtimeStatus);

/** Raises cancel to a drill and its polling sub-orchestrations (they wait on their own timers). */
/**
 * Starts an orchestration under a deterministic id; when the start fails because a concurrent start of the same
 * id won the race, that instance is this one: answers it (undefined: this call started it).
 */
export async function startOrFindWinner(
  client: DrillClient,
  name: string,
  instanceId: string,
  input: unknown,
): Promise<DrillInstance | undefined> {
  try {
    await client.startNew(name, instanceId, input);
    return undefined;
  } catch (err) {
    const winner = await client.getStatus(instanceId);
    if (winner) return winner;
    throw err;
  }
}

export async function requestCancel(client: DrillClient, drillId: string, reason: string): Promise<void> {
  await client.raiseEvent(drillId, CANCEL_EVENT, { reason });
  for (const purpose of CHILD_PURPOSES) {
    await client.raiseEvent(childInstanceId(drillId, purpose), CANCEL_EVENT, { reason }).catch(() => false);
  }
}

function fromDurable(s: df.DurableOrchestrationStatus): DrillInstance {
  return {
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    input: s.input,
    customStatus: s.customStatus,
    output: s.output,
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
  };
}

/** Azure Functions (or the standalone host's client API): durable-functions' own client. */
export const durableClientFactory: ClientFactory = (context) => {
  const client = df.getClient(context);
  return {
    async startNew(name, instanceId, input) {
      await client.startNew(name, { instanceId, input });
    },
    async getStatus(instanceId) {
      try {
        const s = await client.getStatus(instanceId);
        return s && s.instanceId ? fromDurable(s) : undefined;
      } catch (err) {
        if (/404|not found/i.test((err as Error).message)) return undefined;
        throw err;
      }
    },
    async raiseEvent(instanceId, eventName, data) {
      try {
        await client.raiseEvent(instanceId, eventName, data);
        return true;
      } catch {
        return false;
      }
    },
    async listActive() {
      const list = await client.getStatusBy({
        runtimeStatus: [df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Running],
      });
      return list.map(fromDurable);
    },
  };
};
