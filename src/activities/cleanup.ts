/**
 * The cleanup activity: drops and deletes what a drill recorded creating, and nothing else. Each resource is
 * guarded by its name (the drill prefix), and each action's outcome is reported on its own, so one failure
 * does not hide the rest. The drill and the sweeper both use it.
 */
import { AppError, toFailure } from '../lib/errors';
import { DB_PREFIX, FILE_PREFIX } from '../lib/drill/names';
import { describeResource } from '../lib/drill/resources';
import { dropDrillDatabase } from '../lib/postgres/admin';
import type { CleanupAction, CleanupInput, CreatedResource } from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

async function attempt(
  resource: string,
  action: string,
  fn: () => Promise<'done' | 'absent'>,
): Promise<CleanupAction> {
  try {
    return { resource, action, status: await fn() };
  } catch (err) {
    const f = toFailure(err);
    return {
      resource,
      action,
      status: f.code === 'RefusedDatabaseName' ? 'refused' : 'failed',
      message: `${f.code}: ${f.message}`,
    };
  }
}

async function cleanupOne(deps: ActivityDeps, r: CreatedResource): Promise<CleanupAction[]> {
  switch (r.kind) {
    case 'database':
      return [
        await attempt(describeResource(r), 'drop database', async () => {
          if (!r.name.startsWith(DB_PREFIX))
            throw new AppError('RefusedDatabaseName', `not a drill database name`);
          return dropDrillDatabase(await loginFromSecret(deps, r.secretUri), 'postgres', r.name);
        }),
      ];
    case 'scratchDatabase':
      return [
        await attempt(describeResource(r), 'drop database', async () =>
          dropDrillDatabase(
            await loginFromSecret(deps, r.secretUri, {
              host: r.host,
              port: r.port,
              ...(r.sslMode ? { sslMode: r.sslMode } : {}),
            }),
            r.adminDatabase,
            r.name,
          ),
        ),
      ];
    case 'blobs': {
      if (!r.prefix.startsWith(FILE_PREFIX)) {
        return [
          {
            resource: describeResource(r),
            action: 'delete blobs',
            status: 'refused',
            message: `only prefixes ${FILE_PREFIX}* are drill files`,
          },
        ];
      }
      const container = deps.containers(r.containerUrl);
      const names = new Set(r.names.filter((n) => n.startsWith(r.prefix)));
      // Files the restore wrote that the drill never listed (it failed before loading) are found by prefix.
      try {
        for await (const b of container.listBlobsFlat({ prefix: r.prefix })) names.add(b.name);
      } catch (err) {
        const f = toFailure(err);
        return [
          {
            resource: describeResource(r),
            action: 'list blobs',
            status: 'failed',
            message: `${f.code}: ${f.message}`,
          },
        ];
      }
      if (names.size === 0)
        return [{ resource: describeResource(r), action: 'delete blobs', status: 'absent' }];
      const out: CleanupAction[] = [];
      for (const name of names) {
        out.push(
          await attempt(`blob ${name} in ${r.containerUrl}`, 'delete blob', async () => {
            const res = await container.getBlockBlobClient(name).deleteIfExists();
            return res.succeeded ? 'done' : 'absent';
          }),
        );
      }
      return out;
    }
  }
}

export function cleanupActivities(deps: ActivityDeps) {
  return {
    cleanupDrill: async (input: CleanupInput): Promise<CleanupAction[]> => {
      const actions: CleanupAction[] = [];
      for (const r of input.resources) actions.push(...(await cleanupOne(deps, r)));
      return actions;
    },
  };
}
