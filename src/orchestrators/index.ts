/** Every orchestrator of the app by its name (the names are replay identity: see names.ts). */
import type { OrchestratorFunction } from '../host/replayEngine';
import { monitorJob } from './monitorJob';
import { ORCHESTRATORS } from './names';
import { restoreDrill } from './restoreDrill';
import { trackOperation } from './trackOperation';

export const orchestratorFunctions: Record<
  (typeof ORCHESTRATORS)[keyof typeof ORCHESTRATORS],
  OrchestratorFunction
> = {
  [ORCHESTRATORS.restoreDrill]: restoreDrill,
  [ORCHESTRATORS.trackOperation]: trackOperation,
  [ORCHESTRATORS.monitorJob]: monitorJob,
};
