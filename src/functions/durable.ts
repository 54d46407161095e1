/** Orchestrations and activities as function definitions (registered with durable-functions by src/index.ts). */
import { appServices } from '../app/deps';
import { orchestratorFunctions } from '../orchestrators';
import { ACTIVITIES } from '../orchestrators/names';
import type { ActivityDefinition, OrchestrationDefinition } from './definitions';

export const orchestrationDefinitions: OrchestrationDefinition[] = Object.entries(orchestratorFunctions).map(
  ([name, fn]) => ({
    kind: 'orchestration',
    name,
    handler: fn,
  }),
);

export const activityDefinitions: ActivityDefinition[] = Object.values(ACTIVITIES).map((name) => ({
  kind: 'activity',
  name,
  // Services are built on first use from the app settings (src/app/deps.ts).
  handler: (input: unknown) => appServices().activities[name](input),
}));
