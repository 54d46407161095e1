/** Orchestrations and activities as function definitions (registered with durable-functions by src/index.ts). */
import { ACTIVITIES } from '../activities/names';
import { appServices } from '../app/services';
import { orchestratorFunctions } from '../orchestrators';
import type { ActivityDefinition, OrchestrationDefinition } from './definitions';

export const orchestrationDefinitions: OrchestrationDefinition[] = Object.entries(orchestratorFunctions).map(
  ([name, handler]) => ({ kind: 'orchestration', name, handler }),
);

export const activityDefinitions: ActivityDefinition[] = Object.values(ACTIVITIES).map((name) => ({
  kind: 'activity',
  name,
  // Services are built on first use from the app settings (src/app/services.ts).
  handler: (input: unknown) => appServices().handlers[name](input),
}));
