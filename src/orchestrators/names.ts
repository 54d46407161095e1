/**
 * Names of orchestrators, activities and events. They are replay identity: a running instance's history
 * refers to them, so never rename one in place (add a new name and keep the old one until no instance uses it).
 */
export const ORCHESTRATORS = {
  restoreDrill: 'restoreDrill',
  trackOperation: 'trackOperation',
  monitorJob: 'monitorJob',
} as const;

export const ACTIVITIES = {
  resolveBackupInstance: 'resolveBackupInstance',
  selectRecoveryPoint: 'selectRecoveryPoint',
  startValidateRestore: 'startValidateRestore',
  triggerRestore: 'triggerRestore',
  pollOperation: 'pollOperation',
  getJob: 'getJob',
  listRestoredFiles: 'listRestoredFiles',
  loadDump: 'loadDump',
  verifyRestore: 'verifyRestore',
  cleanupDrill: 'cleanupDrill',
  saveReport: 'saveReport',
} as const;

export type ActivityName = (typeof ACTIVITIES)[keyof typeof ACTIVITIES];

/** External event that asks a drill (and its polling sub-orchestrations) to stop and clean up. */
export const CANCEL_EVENT = 'cancelDrill';

/** Instance ids of a drill's sub-orchestrations (deterministic, so cancel can reach them). */
export function childInstanceId(drillId: string, purpose: 'validate' | 'restore' | 'job'): string {
  return `${drillId}:${purpose}`;
}
