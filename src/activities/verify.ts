/**
 * The verification activity: for each server the restored data is on, it opens the drill's sandbox (a
 * read-only login created for this drill, src/lib/postgres/sandbox.ts), runs the checks of each database as
 * that login, and drops the login again. A failure to reach a server or read its secret is reported as an
 * error of that target with its own code, never as a verdict on the data.
 */
import { currentDeadline } from '../lib/deadline';
import { serverKey } from '../lib/drill/resources';
import { toFailure } from '../lib/errors';
import type { PgLogin } from '../lib/postgres/client';
import { dropSandboxRole, openSandbox, type Sandbox } from '../lib/postgres/sandbox';
import { DEFAULT_STATEMENT_TIMEOUT_MS, verifyDatabase } from '../lib/postgres/verify';
import type { CheckResult } from '../lib/types/generated/drill-report';
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

export function verifyActivities(deps: ActivityDeps) {
  return {
    verifyRestore: async (input: VerifyInput): Promise<VerifyOutput> => {
      const results: VerifyOutput = [];
      const groups = new Map<string, VerifyTarget[]>();
      for (const t of input.targets) groups.set(serverKey(t), [...(groups.get(serverKey(t)) ?? []), t]);
      for (const targets of groups.values()) {
        const first = targets[0]!;
        let admin: PgLogin;
        try {
          admin = await loginFromSecret(deps, first.secretUri, {
            ...(first.host ? { host: first.host } : {}),
            ...(first.port ? { port: first.port } : {}),
            ...(first.sslMode ? { sslMode: first.sslMode } : {}),
          });
        } catch (err) {
          results.push(...serverError(targets, 'connect', err));
          continue;
        }
        const databases = targets.map((t) => t.connectDatabase);
        let sandbox: Sandbox;
        try {
          sandbox = await openSandbox(admin, first.adminDatabase, input.role, databases, {
            statementTimeoutMs: input.spec.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
            validUntil: currentDeadline() ?? new Date(Date.now() + 6 * 3600_000),
          });
        } catch (err) {
          results.push(...serverError(targets, 'connect', err));
          continue;
        }
        try {
          for (const t of targets) {
            const login =
              sandbox.mode === 'role' ? { ...admin, user: sandbox.role, password: sandbox.password } : admin;
            results.push(
              sandboxLine(t, sandbox),
              ...(await verifyDatabase(login, t.connectDatabase, {
                sourceDatabase: t.database,
                spec: input.spec,
                recoveryPointTime: input.recoveryPointTime,
                ...(input.dumpServerVersion ? { dumpServerVersion: input.dumpServerVersion } : {}),
              })),
            );
          }
        } finally {
          if (sandbox.mode === 'role')
            await dropSandboxRole(admin, first.adminDatabase, sandbox.role, databases).catch((err: unknown) =>
              deps.log?.('could not drop the verification role; cleanup will', {
                role: sandbox.role,
                error: toFailure(err).message,
              }),
            );
        }
      }
      return results;
    },
  };
}
