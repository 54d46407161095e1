/**
 * The trigger handlers' rig, as Azure Functions would call them: an in-process driver running the real
 * orchestrators with scripted activities (a fake clock; the backup job runs until `state.jobDone`), an
 * InvocationContext that keeps its log lines, and an HTTP request. Shared by test/functions/*.
 */
import { HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { ACTIVITIES } from '../../src/activities/names';
import { FakeClock } from '../../src/host/clock';
import { OrchestrationDriver } from '../../src/host/driver';
import { driverClient } from '../../src/host/driverClient';
import { orchestratorFunctions } from '../../src/orchestrators';
import { ok, scriptedHandlers, type ActivityScript } from './scripted';

export const SUB = '11111111-2222-4333-8444-555555555555';
export const BI = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/srv-db-1`;
export const SERVER = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/tgt`;
export const VALID = {
  backupInstanceId: BI,
  target: { kind: 'database', serverId: SERVER, secretUri: 'https://kv.vault.azure.net/secrets/s' },
};

export const TIMER: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

/**
 * A driver whose backup job runs until `jobDone` is set (scripted activities, fake clock); `script` replaces
 * activities of the default script.
 */
export function setup(script: ActivityScript = {}) {
  const state = { jobDone: false };
  const clock = new FakeClock();
  const { handlers, calls } = scriptedHandlers(
    {
      [ACTIVITIES.resolveBackupInstance]: () =>
        ok({
          backupInstanceId: BI,
          vaultId: BI.split('/backupInstances')[0]!,
          datasourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/src/databases/db`,
          datasourceKind: 'singleServerDatabase',
        }),
      [ACTIVITIES.selectRecoveryPoint]: () =>
        ok({
          ok: true,
          point: { id: 'rp', time: new Date(clock.now() - 3600_000).toISOString(), stores: ['VaultStore'] },
          dataStore: 'VaultStore',
          candidates: 1,
        }),
      [ACTIVITIES.startValidateRestore]: () =>
        ok({ operation: 'validateRestore', status: 'succeeded', retryAfterSeconds: 0, polls: 0 }),
      [ACTIVITIES.triggerRestore]: () =>
        ok({
          state: { operation: 'restore', status: 'succeeded', retryAfterSeconds: 0, polls: 0, jobId: 'j' },
          reused: false,
        }),
      [ACTIVITIES.getJob]: () =>
        ok({
          id: 'j',
          status: state.jobDone ? 'Completed' : 'InProgress',
          terminal: state.jobDone,
          succeeded: state.jobDone,
        }),
      [ACTIVITIES.verifyRestore]: () => ok([{ check: 'connect', status: 'passed', message: 'ok' }]),
      [ACTIVITIES.cleanupDrill]: (input) =>
        ok(
          input.resources.map(() => ({
            actions: [{ resource: 'db', action: 'drop database', status: 'done' as const }],
            retryable: false,
          })),
        ),
      [ACTIVITIES.saveReport]: () => ok({ table: 't', blobUrl: 'b', htmlUrl: 'h' }),
      [ACTIVITIES.publishDrillOutcome]: () => ok({ alerts: { ids: [] }, metrics: 'logged' as const }),
      [ACTIVITIES.findRestoreJob]: () => ok({ job: null }),
      // A fleet of one instance: BI, due, no start offset.
      [ACTIVITIES.scopeFleet]: () =>
        ok({
          coverage: [{ backupInstanceId: BI, overdue: true }],
          due: [
            {
              backupInstanceId: BI,
              vaultId: BI.split('/backupInstances')[0]!,
              template: 0,
              keys: { vault: 'v' },
              offsetSeconds: 0,
            },
          ],
          skipped: [],
          notDue: [],
          problems: [],
        }),
      [ACTIVITIES.saveFleetReport]: () => ok({ blobUrl: 'b', htmlUrl: 'h' }),
      ...script,
    },
    {},
    () => clock.now(),
  );
  const driver = new OrchestrationDriver({
    orchestrators: orchestratorFunctions,
    clock,
    activities: handlers,
  });
  const client = driverClient(driver);
  return { driver, client, clock, state, calls, clientFor: () => client };
}

export function context(extra: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const ctx = new InvocationContext({
    functionName: 'test',
    invocationId: randomBytes(4).toString('hex'),
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    ...extra,
  });
  return { ctx, lines };
}

export function post(body: unknown, headers: Record<string, string> = {}, route = 'drills') {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost:7071/api/${route}`,
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
}
