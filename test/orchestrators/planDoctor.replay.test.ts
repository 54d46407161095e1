/**
 * planDoctor on durable-functions' own replay engine with scripted activities and a fake clock: a fleet plan's
 * run scopes once (every instance, the coverage window left out), checks each in-scope instance with its
 * template's request and its own id, never more at once than the caps allow, reports a preflight that failed
 * as an error of that instance only; its history replays in one episode to the same decisions and output. A
 * single plan checks its one request without scoping.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVITIES } from '../../src/activities/names';
import type { PreflightOutput } from '../../src/activities/preflight';
import { FakeClock } from '../../src/host/clock';
import { OrchestrationDriver } from '../../src/host/driver';
import { EVENT_TYPE, runEpisode } from '../../src/host/replayEngine';
import { parsePlans, type NormalizedPlan } from '../../src/lib/drill/plans';
import type { DrillSettings } from '../../src/lib/drill/settings';
import { orchestratorFunctions } from '../../src/orchestrators';
import { ORCHESTRATORS } from '../../src/orchestrators/names';
import type { DoctorRunInput, DoctorRunReport } from '../../src/orchestrators/planDoctor';
import { fail, ok, scriptedHandlers } from '../support/scripted';

const SUB = '11111111-2222-4333-8444-555555555555';
const vault = (n: number) =>
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v${n}`;
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/tgt`;
const SETTINGS: DrillSettings = {
  jobPoll: { initialSeconds: 10, factor: 1.5, maxSeconds: 120 },
  pollsPerGeneration: 50,
  activityRetry: { maxAttempts: 3, firstDelaySeconds: 5, maxDelaySeconds: 60 },
};
// Five instances over two vaults; the third one's doctor cannot run.
const INSTANCES = [1, 1, 2, 2, 2].map((v, i) => `${vault(v)}/backupInstances/db-${i}`);

function plans(): NormalizedPlan[] {
  return parsePlans(
    JSON.stringify([
      {
        name: 'fleet',
        schedule: '0 0 3 * * *',
        doctor: { schedule: '0 0 * * * *' },
        scope: { vaults: [vault(1), vault(2)] },
        templates: [
          {
            kind: 'singleServerDatabase',
            request: {
              target: {
                kind: 'database',
                serverId: SERVER,
                secretUri: 'https://kv.vault.azure.net/secrets/s',
              },
            },
          },
        ],
        coverage: { everyDays: 7 },
        maxConcurrent: { total: 3, perVault: 2, perServer: 5 },
      },
      {
        name: 'single',
        schedule: '0 0 3 * * *',
        doctor: { schedule: '0 0 * * * *' },
        request: {
          backupInstanceId: INSTANCES[0],
          target: { kind: 'database', serverId: SERVER, secretUri: 'https://kv.vault.azure.net/secrets/s' },
        },
      },
    ]),
  );
}

function rig() {
  const clock = new FakeClock();
  let inFlight = 0;
  const peaks = { total: 0, perVault: new Map<string, number>(), maxPerVault: 0 };
  const vaultOf = (id: string) => id.split('/backupInstances/')[0]!;
  const { handlers, calls } = scriptedHandlers(
    {
      [ACTIVITIES.scopeFleet]: (input) => {
        // The doctor checks every instance: no coverage window reaches the scoping.
        expect(input.plan.kind === 'fleet' && input.plan.everyDays).toBeUndefined();
        return ok({
          coverage: [],
          due: INSTANCES.map((id) => ({
            // ARM may list ids in lowercase: the request gets the documented casing back.
            backupInstanceId: id.toLowerCase(),
            vaultId: vaultOf(id),
            template: 0,
            keys: { vault: vaultOf(id).toLowerCase() },
            offsetSeconds: 0,
          })),
          skipped: [{ backupInstanceId: `${vault(2)}/backupInstances/x`, reason: 'no template' }],
          notDue: [],
          problems: [],
        });
      },
      [ACTIVITIES.preflight]: async (input) => {
        const id = input.request.backupInstanceId;
        const v = vaultOf(id).toLowerCase();
        inFlight++;
        peaks.perVault.set(v, (peaks.perVault.get(v) ?? 0) + 1);
        peaks.total = Math.max(peaks.total, inFlight);
        peaks.maxPerVault = Math.max(peaks.maxPerVault, peaks.perVault.get(v)!);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        peaks.perVault.set(v, peaks.perVault.get(v)! - 1);
        if (id.endsWith('db-2')) return fail('ArmUnavailable');
        const out: PreflightOutput = {
          backupInstanceId: id,
          restoreFrom: 'primaryRegion',
          ok: !id.endsWith('db-4'),
          checks: 3,
          failed: id.endsWith('db-4') ? ['validate-restore'] : [],
          alerts: [],
        };
        return ok(out);
      },
    },
    {},
    () => clock.now(),
  );
  const driver = new OrchestrationDriver({
    orchestrators: orchestratorFunctions,
    activities: handlers,
    clock,
    keepHistories: true,
  });
  return { driver, calls, peaks };
}

async function run(r: ReturnType<typeof rig>, plan: NormalizedPlan, runId: string): Promise<DoctorRunReport> {
  const input: DoctorRunInput = { runId, plan, slot: '2030-01-07T10:00:00.000Z', settings: SETTINGS };
  await r.driver.start(ORCHESTRATORS.planDoctor, input, runId);
  const s = await r.driver.waitForCompletion(runId, 30_000);
  expect(s.runtimeStatus, String(s.output)).toBe('Completed');
  return s.output as DoctorRunReport;
}

describe('planDoctor', () => {
  it('checks every instance of a fleet plan with its template, within the caps; one failing preflight is that instance’s error; replays to the same decisions', async () => {
    const r = rig();
    const runId = 'doctor-fleet@20300107T100000Z';
    const report = await run(r, plans()[0]!, runId);
    const preflights = r.calls.filter((c) => c.name === ACTIVITIES.preflight);
    expect(preflights.map((c) => c.input.request.backupInstanceId as string).sort()).toEqual(
      [...INSTANCES].sort(),
    );
    for (const c of preflights) {
      expect(c.input).toMatchObject({ plan: 'fleet', runId, drillId: runId });
      expect(c.input.request.target.serverId).toBe(SERVER);
    }
    expect(r.peaks.total).toBeLessThanOrEqual(3);
    expect(r.peaks.maxPerVault).toBeLessThanOrEqual(2);
    expect(r.peaks.total).toBeGreaterThan(1);
    expect(report).toMatchObject({ runId, plan: 'fleet', status: 'failed' });
    expect(report.counts).toEqual({ requests: 5, passed: 3, failed: 1, errors: 1 });
    expect(report.results.find((x) => x.backupInstanceId.endsWith('db-2'))).toEqual({
      backupInstanceId: INSTANCES[2]!.toLowerCase(),
      error: { code: 'ArmUnavailable', message: 'ArmUnavailable happened' },
    });
    expect(report.skipped).toHaveLength(1);

    // The recorded history, replayed in one episode, schedules the same activities and returns the same report.
    const [history] = r.driver.histories.get(runId)!;
    const replay = await runEpisode(orchestratorFunctions.planDoctor, {
      instanceId: runId,
      name: ORCHESTRATORS.planDoctor,
      input: r.driver.getStatus(runId)!.input,
      history: history!.map((e) => ({ ...e, IsPlayed: true })),
      log: () => undefined,
    });
    const recorded = history!.flatMap((e) => {
      const ev = e as unknown as { Name?: string; Input?: string };
      return e.EventType === EVENT_TYPE.TaskScheduled
        ? [{ name: ev.Name, input: JSON.parse(ev.Input!) as unknown }]
        : [];
    });
    const replayed = replay.decisions.flatMap((d) =>
      d.kind === 'activity' ? [{ name: d.name, input: d.input }] : [],
    );
    expect(replay.isDone).toBe(true);
    expect(recorded).toHaveLength(6);
    expect(replayed).toEqual(recorded);
    expect(replay.output).toEqual(report);
  });

  it('a single plan checks its one request, without scoping', async () => {
    const r = rig();
    const report = await run(r, plans()[1]!, 'doctor-single@20300107T100000Z');
    expect(r.calls.map((c) => c.name)).toEqual([ACTIVITIES.preflight]);
    expect(report).toMatchObject({
      status: 'passed',
      counts: { requests: 1, passed: 1, failed: 0, errors: 0 },
    });
  });
});
