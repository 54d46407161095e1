/** Orchestrations and activities as function definitions (registered with durable-functions by src/index.ts). */
import type { InvocationContext } from '@azure/functions';
import { input } from 'durable-functions';
import { ACTIVITIES, CLIENT_ACTIVITIES } from '../activities/names';
import { appServices } from '../app/services';
import { orchestratorFunctions } from '../orchestrators';
import type { ActivityDefinition, OrchestrationDefinition } from './definitions';
import { durableClientFactory } from './drillClient';

export const orchestrationDefinitions: OrchestrationDefinition[] = Object.entries(orchestratorFunctions).map(
  ([name, handler]) => ({ kind: 'orchestration', name, handler }),
);

const durableClient = input.durableClient();

export const activityDefinitions: ActivityDefinition[] = Object.values(ACTIVITIES).map((name) =>
  CLIENT_ACTIVITIES.includes(name)
    ? {
        kind: 'activity',
        name,
        // The job watcher's activities start orchestrations and raise events: Durable Functions' client
        // comes with each invocation.
        extraInputs: [durableClient],
        handler: (value: unknown, context: InvocationContext) =>
          appServices().handlers[name](value, durableClientFactory(context)),
      }
    : {
        kind: 'activity',
        name,
        // Services are built on first use from the app settings (src/app/services.ts).
        handler: (value: unknown) => appServices().handlers[name](value),
      },
);
