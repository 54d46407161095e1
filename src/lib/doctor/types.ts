/**
 * The pre-flight doctor's result: every precondition of a drill request checked without restoring anything.
 * This shape is a contract (the HTTP endpoint, the CLI and scheduled doctor runs use it): do not rename fields.
 */
/**
 * The bound of one doctor run (the server's; each check has its own, shorter one). Callers of the endpoint wait
 * at least this long: a run whose dependencies hang answers after it, with those checks failed as timed out.
 */
export const DOCTOR_TIMEOUT_MS = 60_000;

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
