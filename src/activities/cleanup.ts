/**
 * The cleanup activity: drops and deletes what a drill recorded creating, and nothing else. Each resource is
 * guarded by its name (it must carry the drill's own token, resources.ts notOwnedBy), each action's outcome is reported on its own so one failure does not
 * hide the rest, and each resource says whether its failure may pass if retried (the orchestrator retries
 * those on durable timers before leaving them to the sweeper). The drill and the sweeper both use it.
 */
import { currentSignal } from '../lib/deadline';
import { isRestoredFileOf } from '../lib/drill/names';
import { describeResource, notOwnedBy } from '../lib/drill/resources';
import { toFailure } from '../lib/errors';
import { clearLoadLeftovers, dropDrillDatabase } from '../lib/postgres/admin';
import { dropSandboxRole } from '../lib/postgres/sandbox';
import type {
  CleanupAction,
  CleanupInput,
  CleanupOutput,
  CreatedResource,
  ResourceCleanup,
} from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

/**
 * Refusals of the secret policy (deps.ts): the login a resource would be created with is refused the same way
 * at creation and at cleanup, so a resource whose cleanup meets one was never created.
 */
const NEVER_CREATED = new Set(['SecretServerMismatch', 'ServerNotAllowed', 'TlsRequired', 'UnknownSslMode']);

/** One action; a failure becomes its line (with whether retrying may help), never a throw. */
async function attempt(
  resource: string,
  action: string,
  fn: () => Promise<'done' | 'absent'>,
): Promise<{ action: CleanupAction; retryable: boolean }> {
  try {
    return { action: { resource, action, status: await fn() }, retryable: false };
  } catch (err) {
    const f = toFailure(err);
    if (NEVER_CREATED.has(f.code))
      return {
        action: { resource, action, status: 'absent', message: `never created: ${f.code}` },
        retryable: false,
      };
    return {
      action: {
        resource,
        action,
        status: f.code === 'RefusedDatabaseName' || f.code === 'RefusedRoleName' ? 'refused' : 'failed',
        message: `${f.code}: ${f.message}`,
      },
      retryable: f.isRetryable,
    };
  }
}

function single(result: { action: CleanupAction; retryable: boolean }): ResourceCleanup {
  return { actions: [result.action], retryable: result.action.status === 'failed' && result.retryable };
}

const ACTION: Record<CreatedResource['kind'], string> = {
  database: 'drop database',
  scratchDatabase: 'drop database',
  role: 'drop role',
  blobs: 'delete blobs',
};

async function cleanupOne(deps: ActivityDeps, drillId: string, r: CreatedResource): Promise<ResourceCleanup> {
  const refusal = notOwnedBy(drillId, r);
  if (refusal)
    return {
      actions: [
        { resource: describeResource(r), action: ACTION[r.kind], status: 'refused', message: refusal },
      ],
      retryable: false,
    };
  switch (r.kind) {
    case 'database':
      return single(
        await attempt(describeResource(r), ACTION.database, async () =>
          dropDrillDatabase(await loginFromSecret(deps, r.secretUri), 'postgres', r.name),
        ),
      );
    case 'scratchDatabase':
      return single(
        await attempt(describeResource(r), 'drop database', async () => {
          // A load killed on this machine may have left its pg_restore running and its dump on disk.
          await clearLoadLeftovers(r.name);
          return dropDrillDatabase(
            await loginFromSecret(deps, r.secretUri, {
              ...(r.host ? { host: r.host, port: r.port ?? 5432 } : {}),
              ...(r.sslMode ? { sslMode: r.sslMode } : {}),
            }),
            r.adminDatabase,
            r.name,
          );
        }),
      );
    case 'role':
      return single(
        await attempt(describeResource(r), 'drop role', async () =>
          dropSandboxRole(
            await loginFromSecret(deps, r.secretUri, {
              ...(r.host ? { host: r.host, port: r.port ?? 5432 } : {}),
              ...(r.sslMode ? { sslMode: r.sslMode } : {}),
            }),
            r.adminDatabase,
            r.name,
            r.databases,
          ),
        ),
      );
    case 'blobs': {
      const container = deps.containers(r.containerUrl);
      const names = new Set(r.names.filter((n) => isRestoredFileOf(n, r.prefix)));
      // Files the restore wrote that the drill never listed (it failed before loading) are found by prefix.
      try {
        for await (const b of container.listBlobsFlat({ prefix: r.prefix, abortSignal: currentSignal() }))
          if (isRestoredFileOf(b.name, r.prefix)) names.add(b.name);
      } catch (err) {
        const f = toFailure(err);
        return {
          actions: [
            {
              resource: describeResource(r),
              action: 'list blobs',
              status: 'failed',
              message: `${f.code}: ${f.message}`,
            },
          ],
          retryable: f.isRetryable,
        };
      }
      if (names.size === 0)
        return {
          actions: [{ resource: describeResource(r), action: 'delete blobs', status: 'absent' }],
          retryable: false,
        };
      const results = [];
      for (const name of names) {
        results.push(
          await attempt(`blob ${name} in ${r.containerUrl}`, 'delete blob', async () => {
            const res = await container
              .getBlockBlobClient(name)
              .deleteIfExists({ abortSignal: currentSignal() });
            return res.succeeded ? 'done' : 'absent';
          }),
        );
      }
      return {
        actions: results.map((x) => x.action),
        retryable: results.some((x) => x.action.status === 'failed' && x.retryable),
      };
    }
  }
}

export function cleanupActivities(deps: ActivityDeps) {
  return {
    cleanupDrill: async (input: CleanupInput): Promise<CleanupOutput> => {
      const out: CleanupOutput = [];
      for (const r of input.resources) out.push(await cleanupOne(deps, input.drillId, r));
      return out;
    },
  };
}
