/**
 * Activity names. They are replay identity: a running instance's history refers to them, so never rename one
 * in place (add a new name and keep the old one until no instance uses it). src/activities/index.ts checks at
 * compile time that this list and createActivities() name the same activities.
 */
export const ACTIVITIES = {
  resolveBackupInstance: 'resolveBackupInstance',
  selectRecoveryPoint: 'selectRecoveryPoint',
  startValidateRestore: 'startValidateRestore',
  triggerRestore: 'triggerRestore',
  pollOperation: 'pollOperation',
  getJob: 'getJob',
  findRestoreJob: 'findRestoreJob',
  listRestoredFiles: 'listRestoredFiles',
  loadDump: 'loadDump',
  verifyRestore: 'verifyRestore',
  cleanupDrill: 'cleanupDrill',
  saveReport: 'saveReport',
  scopeFleet: 'scopeFleet',
  saveFleetReport: 'saveFleetReport',
  watchRestoreJob: 'watchRestoreJob',
  endedRestoreJobs: 'endedRestoreJobs',
  notifyJobsEnded: 'notifyJobsEnded',
  publishDrillOutcome: 'publishDrillOutcome',
  sendAlert: 'sendAlert',
  alertOverdue: 'alertOverdue',
  resolveCrossRegion: 'resolveCrossRegion',
  preflight: 'preflight',
} as const;

/** Activities that use Durable Functions' client (in Azure: an extra input binding). */
export const CLIENT_ACTIVITIES: readonly ActivityName[] = [
  'watchRestoreJob',
  'notifyJobsEnded',
  'publishDrillOutcome',
  'alertOverdue',
  'preflight',
];

export type ActivityName = (typeof ACTIVITIES)[keyof typeof ACTIVITIES];
