/**
 * Names of orchestrators and events. They are replay identity: a running instance's history refers to them,
 * so never rename one in place (add a new name and keep the old one until no instance uses it). Activity
 * names live with the activities (src/activities/names.ts); instance ids in src/lib/drill/instanceIds.ts.
 */
import { VAULT_JOB_WATCHER } from '../lib/drill/jobWatch';

export const ORCHESTRATORS = {
  restoreDrill: 'restoreDrill',
  trackOperation: 'trackOperation',
  monitorJob: 'monitorJob',
  fleetDrill: 'fleetDrill',
  vaultJobWatcher: VAULT_JOB_WATCHER,
  deliverAlerts: 'deliverAlerts',
  planDoctor: 'planDoctor',
} as const;

export type OrchestratorName = (typeof ORCHESTRATORS)[keyof typeof ORCHESTRATORS];

/** External event that asks a drill (and its polling sub-orchestrations) to stop and clean up. */
export const CANCEL_EVENT = 'cancelDrill';
