/**
 * The verification activity: for each server the restored data is on, it opens the drill's sandbox (a
 * read-only login created for this drill, src/lib/postgres/sandbox.ts), runs the checks of each database as
 * that login, and drops the login again. A failure to reach a server or read its secret is reported as an
 * error of that target with its own code, never as a verdict on the data.
 */
import { currentDeadline } from '../lib/deadline';
import { serverKey } from '../lib/drill/resources';
import { toFailure } from '../lib/errors';
import {
  judgeNegativeControl,
  NEGATIVE_CONTROL_CHECK,
  negativeControlSpec,
} from '../lib/drill/negativeControl';
import { fingerprintOf, schemaCheck, type PreviousFingerprint } from '../lib/drill/schemaDrift';
import { dropDrillDatabase, recreateDrillDatabase } from '../lib/postgres/admin';
import type { PgLogin } from '../lib/postgres/client';
import { dropSandboxRole, openSandbox, type Sandbox } from '../lib/postgres/sandbox';
import { DEFAULT_STATEMENT_TIMEOUT_MS, readSchemaObjects, verifyDatabase } from '../lib/postgres/verify';
import type { CheckResult, SchemaFingerprint } from '../lib/types/generated/drill-report';
import type { VerifyInput, VerifyOutput, VerifyTarget } from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

/**
 * The error line of every target of a server that could not be used. A failure that may pass (the server or
 * Key Vault briefly unreachable) is thrown instead, so the orchestrator retries verification.
 */
function serverError(targets: VerifyTarget[], check: string, err: unknown): CheckResult[] {
  const f = toFailure(err);
  if (f.isRetryable) throw err;
  return targets.map((t) => ({
    check,
    database: t.database,
    status: 'error' as const,
    code: f.code,
    recommendedActions: f.recommendedActions,
    message: `${f.code}: ${f.message}`,
  }));
}

function sandboxLine(t: VerifyTarget, sandbox: Sandbox): CheckResult {
  return sandbox.mode === 'role'
    ? {
        check: 'sandbox',
        database: t.database,
        status: 'passed',
        message: `checks ran as ${sandbox.role}, a read-only login created for this drill (read access: ${sandbox.readAccess})`,
      }
    : {
        check: 'sandbox',
        database: t.database,
        status: 'skipped',
        message: `checks ran in the weaker mode (as the admin login, one statement at a time, in read-only transactions): ${sandbox.reason}`,
      };
}

/** The newest earlier fingerprint of each database of a backup instance (the first earlier drill that has any). */
async function previousFingerprints(
  deps: ActivityDeps,
  drift: NonNullable<VerifyInput['schemaDrift']>,
): Promise<Map<string, PreviousFingerprint>> {
  const found = new Map<string, PreviousFingerprint>();
  const page = await deps.reports.history({
    backupInstance: drift.backupInstanceId,
    until: new Date(drift.startedAt),
    top: PREVIOUS_DRILLS_READ,
  });
  for (const row of page.items) {
    if (row.drillId === drift.drillId) continue;
    const report = await deps.reports.get(row.drillId);
    for (const fingerprint of report?.schemaFingerprints ?? [])
      if (!found.has(fingerprint.database))
        found.set(fingerprint.database, { drillId: row.drillId, fingerprint });
    if (found.size) break;
  }
  return found;
}

/** Earlier drills of the instance read at most, newest first, looking for one that recorded a fingerprint. */
const PREVIOUS_DRILLS_READ = 20;

/** A line for a check that could not run; an error that may pass is thrown, so verification is retried. */
function errorLine(
  check: string,
  database: string,
  err: unknown,
  status: 'error' | 'skipped' = 'error',
): CheckResult {
  const f = toFailure(err);
  if (f.isRetryable) throw err;
  return {
    check,
    database,
    status,
    code: f.code,
    recommendedActions: f.recommendedActions,
    message: `${f.code}: ${f.message}`,
  };
}

export function verifyActivities(deps: ActivityDeps) {
  return {
    verifyRestore: async (input: VerifyInput): Promise<VerifyOutput> => {
      const results: CheckResult[] = [];
      const fingerprints: SchemaFingerprint[] = [];
      const timeout = input.spec.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
      const drift = input.schemaDrift;
      const control = input.negativeControl;
      let previous = new Map<string, PreviousFingerprint>();
      let noHistory: unknown;
      if (drift)
        try {
          previous = await previousFingerprints(deps, drift);
        } catch (err) {
          if (toFailure(err).isRetryable) throw err;
          noHistory = err;
        }
      const groups = new Map<string, VerifyTarget[]>();
      for (const t of input.targets) groups.set(serverKey(t), [...(groups.get(serverKey(t)) ?? []), t]);
      for (const targets of groups.values()) {
        const first = targets[0]!;
        const withControl = control && serverKey(control) === serverKey(first) ? control : undefined;
        let admin: PgLogin;
        try {
          admin = await loginFromSecret(deps, first.secretUri, {
            ...(first.host ? { host: first.host } : {}),
            ...(first.port ? { port: first.port } : {}),
            ...(first.sslMode ? { sslMode: first.sslMode } : {}),
          });
        } catch (err) {
          results.push(...serverError(withControl ? [...targets, withControl] : targets, 'connect', err));
          continue;
        }
        // The negative control's empty database exists before the login is made, so it can be granted access.
        let controlFailed: unknown;
        if (withControl)
          try {
            await recreateDrillDatabase(admin, withControl.adminDatabase, withControl.connectDatabase);
          } catch (err) {
            if (toFailure(err).isRetryable) throw err;
            controlFailed = err;
          }
        const controlReady = withControl && controlFailed === undefined;
        const databases = targets.map((t) => t.connectDatabase);
        if (controlReady) databases.push(withControl.connectDatabase);
        let sandbox: Sandbox;
        try {
          sandbox = await openSandbox(admin, first.adminDatabase, input.role, databases, {
            statementTimeoutMs: timeout,
            validUntil: currentDeadline() ?? new Date(Date.now() + 6 * 3600_000),
          });
        } catch (err) {
          results.push(...serverError(withControl ? [...targets, withControl] : targets, 'connect', err));
          if (controlReady) await dropControl(deps, admin, withControl);
          continue;
        }
        try {
          const login =
            sandbox.mode === 'role' ? { ...admin, user: sandbox.role, password: sandbox.password } : admin;
          for (const t of targets) {
            const lines = await verifyDatabase(login, t.connectDatabase, {
              sourceDatabase: t.database,
              spec: input.spec,
              recoveryPointTime: input.recoveryPointTime,
              ...(input.dumpServerVersion ? { dumpServerVersion: input.dumpServerVersion } : {}),
            });
            results.push(sandboxLine(t, sandbox), ...lines);
            const connected = lines.some((c) => c.check === 'connect' && c.status === 'passed');
            if (drift && !connected)
              results.push({
                check: 'schema',
                database: t.database,
                status: 'skipped',
                message: 'no fingerprint: the database could not be reached (see connect)',
              });
            else if (drift) {
              const t0 = Date.now();
              try {
                const fingerprint = fingerprintOf(
                  t.database,
                  await readSchemaObjects(login, t.connectDatabase, timeout),
                );
                fingerprints.push(fingerprint);
                results.push(
                  noHistory !== undefined
                    ? errorLine('schema', t.database, noHistory, drift.mode === 'fail' ? 'error' : 'skipped')
                    : {
                        ...schemaCheck(drift.mode, fingerprint, previous.get(t.database)),
                        durationMs: Date.now() - t0,
                      },
                );
              } catch (err) {
                results.push(errorLine('schema', t.database, err));
              }
            }
          }
          if (withControl)
            results.push(
              controlReady
                ? await runNegativeControl(login, withControl, input)
                : errorLine(NEGATIVE_CONTROL_CHECK, withControl.database, controlFailed),
            );
        } finally {
          if (sandbox.mode === 'role')
            await dropSandboxRole(admin, first.adminDatabase, sandbox.role, databases).catch((err: unknown) =>
              deps.log?.('could not drop the verification role; cleanup will', {
                role: sandbox.role,
                error: toFailure(err).message,
              }),
            );
          if (controlReady) await dropControl(deps, admin, withControl);
        }
      }
      return { checks: results, fingerprints };
    },
  };
}

/** The table checks and assertions once more, on the empty database, as the same login; then the verdict. */
async function runNegativeControl(
  login: PgLogin,
  control: VerifyTarget,
  input: VerifyInput,
): Promise<CheckResult> {
  const t0 = Date.now();
  const onEmpty = await verifyDatabase(login, control.connectDatabase, {
    sourceDatabase: control.database,
    spec: negativeControlSpec(input.spec),
    recoveryPointTime: input.recoveryPointTime,
  });
  const connect = onEmpty.find((c) => c.check === 'connect');
  if (connect?.status === 'error')
    return { ...connect, check: NEGATIVE_CONTROL_CHECK, durationMs: Date.now() - t0 };
  return { ...judgeNegativeControl(onEmpty), durationMs: Date.now() - t0 };
}

/** Drops the negative control's database at once (cleanup drops it too, should this fail). */
async function dropControl(deps: ActivityDeps, admin: PgLogin, control: VerifyTarget): Promise<void> {
  await dropDrillDatabase(admin, control.adminDatabase, control.connectDatabase).catch((err: unknown) =>
    deps.log?.('could not drop the negative control database; cleanup will', {
      database: control.connectDatabase,
      error: toFailure(err).message,
    }),
  );
}
