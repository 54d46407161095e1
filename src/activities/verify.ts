/** The verification activity: connects to each restored (or loaded) database and runs the checks. */
import { toFailure } from '../lib/errors';
import type { PgLogin } from '../lib/postgres/admin';
import { verifyDatabase } from '../lib/postgres/verify';
import type { VerifyInput, VerifyOutput } from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

export function verifyActivities(deps: ActivityDeps) {
  return {
    verifyRestore: async (input: VerifyInput): Promise<VerifyOutput> => {
      const results: VerifyOutput = [];
      for (const t of input.targets) {
        let pgLogin: PgLogin;
        try {
          pgLogin = await loginFromSecret(deps, t.secretUri, {
            ...(t.host ? { host: t.host } : {}),
            ...(t.port ? { port: t.port } : {}),
            ...(t.sslMode ? { sslMode: t.sslMode } : {}),
          });
        } catch (err) {
          const f = toFailure(err);
          results.push({
            check: 'connect',
            database: t.database,
            status: 'error',
            message: `${f.code}: ${f.message}`,
          });
          continue;
        }
        results.push(
          ...(await verifyDatabase(
            { ...pgLogin, database: t.connectDatabase },
            {
              sourceDatabase: t.database,
              spec: input.spec,
              recoveryPointTime: input.recoveryPointTime,
              ...(input.dumpServerVersion ? { dumpServerVersion: input.dumpServerVersion } : {}),
            },
          )),
        );
      }
      return results;
    },
  };
}
