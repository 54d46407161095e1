/**
 * The pre-flight doctor's result: every precondition of a drill request checked without restoring anything.
 * This shape is a contract (the HTTP endpoint, the CLI and scheduled doctor runs use it): do not rename fields.
 */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface DoctorCheck {
  /** Stable kebab-case id (e.g. identity-permissions). */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was seen; never a secret (no password, no connection string). */
  evidence: string;
  /** What to do about a failure. */
  fix?: string;
  /** The app's error code of a failure, when there is one. */
  code?: string;
  durationMs: number;
}

export interface DoctorResult {
  /** True when no check failed. */
  ok: boolean;
  checkedAt: string;
  backupInstanceId: string;
  restoreFrom: 'primaryRegion' | 'secondaryRegion';
  checks: DoctorCheck[];
}
