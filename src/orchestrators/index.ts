/** Every orchestrator of the app by its name (the names are replay identity: see names.ts). */
import type * as df from 'durable-functions';
import { deliverAlerts } from './deliverAlerts';
import { fleetDrill } from './fleetDrill';
import { monitorJob } from './monitorJob';
import { ORCHESTRATORS, type OrchestratorName } from './names';
import { planDoctor } from './planDoctor';
import { restoreDrill } from './restoreDrill';
import { trackOperation } from './trackOperation';
import { vaultJobWatcher } from './vaultJobWatcher';

export const orchestratorFunctions: Record<OrchestratorName, df.OrchestrationHandler> = {
  [ORCHESTRATORS.restoreDrill]: restoreDrill,
  [ORCHESTRATORS.trackOperation]: trackOperation,
  [ORCHESTRATORS.monitorJob]: monitorJob,
  [ORCHESTRATORS.fleetDrill]: fleetDrill,
  [ORCHESTRATORS.vaultJobWatcher]: vaultJobWatcher,
  [ORCHESTRATORS.deliverAlerts]: deliverAlerts,
  [ORCHESTRATORS.planDoctor]: planDoctor,
};
