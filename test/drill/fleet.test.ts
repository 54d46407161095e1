/**
 * Fleet runs against the emulator (ARM over HTTPS, real PostgreSQL, Azurite, the real replay engine): a scope
 * over a resource group and a vault selects by kind, name patterns and source server tags; the drills run as
 * sub-orchestrations within the caps and not before their start offsets; coverage says what is overdue before
 * and after; a second run within the coverage window drills nothing; HTTP answers with the plan's run.
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetHttpHandlers } from '../../src/functions/fleets';
import { startFleet } from '../../src/functions/fleetStart';
import { driverClient } from '../../src/host/driverClient';
import { startOffsetSeconds } from '../../src/lib/drill/fleet';
import type { FleetReport } from '../../src/lib/drill/fleetReport';
import { parsePlans, type FleetPlan } from '../../src/lib/drill/plans';
import type { DrillReport } from '../../src/lib/drill/report';
import { FAST_SETTINGS, startDrillRig, type DrillRig } from '../support/drill';
import { TEST_SUBSCRIPTION } from '../support/emulator';

let rig: DrillRig;
const RG = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups`;
const VAULT_B = `${RG}/rg-fleet-b/providers/Microsoft.DataProtection/backupVaults/vault-fleet-b`;
const APP_SEED = {
  sql: 'CREATE TABLE items (id serial PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());',
  changeSql: "INSERT INTO items (updated_at) SELECT '{{backupTime}}' FROM generate_series(1, 3);",
  backups: 1,
  archived: 0,
  intervalHours: 24,
};

beforeAll(async () => {
  rig = await startDrillRig({
    extraServers: [
      {
        name: 'fleet-prod',
        kind: 'flexible',
        resourceGroup: 'rg-fleet-a',
        tags: { Env: 'prod', tier: 'gold' },
        managed: { password: 'prod-pw' },
      },
      {
        name: 'fleet-dev',
        kind: 'flexible',
        resourceGroup: 'rg-fleet-a',
        tags: { env: 'dev' },
        managed: { password: 'dev-pw' },
      },
    ],
    config: {
      vaults: [
        {
          name: 'vault-fleet-a',
          resourceGroup: 'rg-fleet-a',
          // 8 instances of one production server: prod-a, prod-a-0001 … prod-a-0007.
          backupInstances: [
            { name: 'prod-a', server: 'fleet-prod', databases: ['app'], seed: APP_SEED, copies: 7 },
          ],
        },
        {
          name: 'vault-fleet-b',
          resourceGroup: 'rg-fleet-b',
          backupInstances: [
            { name: 'dev-b', server: 'fleet-dev', databases: ['app'], seed: APP_SEED, copies: 1 },
            { name: 'prod-b-scratch', server: 'fleet-prod', databases: ['scratch'], seed: APP_SEED },
            { name: 'prod-b', server: 'fleet-prod', databases: ['orders'], seed: APP_SEED },
          ],
        },
      ],
    },
  });
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

function plan(extra: Record<string, unknown> = {}): FleetPlan {
  return parsePlans(
    JSON.stringify([
      {
        name: 'nightly',
        schedule: '0 0 2 * * *',
        startWindowMinutes: 1,
        scope: {
          resourceGroups: [`${RG}/rg-fleet-a`],
          vaults: [VAULT_B],
          kinds: ['flexibleServer'],
          include: ['prod-*', 'dev-*'],
          exclude: ['*-scratch'],
          tags: { env: 'prod' },
        },
        templates: [
          {
            kind: 'flexibleServer',
            request: {
              target: rig.filesTarget(),
              verify: { tables: [{ name: 'public.items', minRows: 3 }] },
            },
          },
        ],
        coverage: { everyDays: 7 },
        maxConcurrent: { total: 4, perVault: 3, perServer: 2 },
        ...extra,
      },
    ]),
  )[0] as FleetPlan;
}

async function runFleet(p: FleetPlan, slot: Date, drillsPerGeneration?: number): Promise<FleetReport> {
  const started = await startFleet(
    driverClient(rig.driver),
    FAST_SETTINGS,
    p,
    { newId: () => `${Date.now()}`, now: slot },
    drillsPerGeneration ? { drillsPerGeneration } : {},
  );
  expect(started.started).toBe(true);
  const status = await rig.driver.waitForCompletion(started.fleetId, 600_000);
  expect(status.runtimeStatus, String(status.output)).toBe('Completed');
  return status.output as FleetReport;
}

/** The most drills whose [start, end] overlap at one moment, over every drill, and over those of one vault. */
function maxOverlap(reports: DrillReport[]): number {
  const edges = reports.flatMap((r) => [
    { t: Date.parse(r.startedAt), d: 1 },
    { t: Date.parse(r.endedAt), d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let n = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (n += e.d));
  return max;
}

const ctx = { log: () => undefined } as unknown as InvocationContext;

describe('fleet runs', () => {
  it('the scope selects by groups, vaults, kinds, patterns and tags; every due drill runs within the caps and offsets, over three generations of the fleet; all pass', async () => {
    const p = plan();
    const slot = new Date();
    // Four drills per generation: the nine run over three generations (continueAsNew), one report.
    const report = await runFleet(p, slot, 4);
    expect(rig.driver.getStatus(report.fleetId)!.generation).toBe(2);
    const prodA = ['prod-a', ...Array.from({ length: 7 }, (_, i) => `prod-a-000${i + 1}`)];
    const expected = [
      ...prodA.map((n) => `vault-fleet-a/backupInstances/${n}`),
      'vault-fleet-b/backupInstances/prod-b',
    ];
    const drilled = report.drills.map((d) => d.backupInstanceId.split('backupVaults/')[1]);
    expect(drilled.sort()).toEqual(expected.sort());
    expect(report.counts).toEqual({
      inScope: 9,
      due: 9,
      drilled: 9,
      passed: 9,
      failed: 0,
      notDue: 0,
      skipped: 3,
      overdue: 0,
    });
    const why = Object.fromEntries(
      report.skipped.map((s) => [s.backupInstanceId.split('/').pop(), s.reason]),
    );
    expect(why).toEqual({
      'dev-b': `its source server's tag env is "dev", not "prod"`,
      'dev-b-0001': `its source server's tag env is "dev", not "prod"`,
      'prod-b-scratch': 'its name prod-b-scratch matches scope.exclude pattern *-scratch',
    });
    expect(report.problems).toEqual([]);
    // Stored beside the drill reports (JSON; the HTML page is written with it).
    expect(await rig.reports.getFleet(report.fleetId)).toEqual(report);

    const drills = await Promise.all(report.drills.map(async (d) => (await rig.reports.get(d.drillId))!));
    expect(drills.every((d) => d.verdict === 'passed' && d.trigger?.kind === 'fleet')).toBe(true);
    // Caps: one drill server for all, so perServer (2) is the binding cap; never more at once. (Whether two
    // overlap at all depends on how the offsets fall; that the cap binds exactly is startable's unit test.)
    expect(maxOverlap(drills)).toBeLessThanOrEqual(2);
    // Offsets: no drill started before its own place in the 1-minute window.
    for (const d of drills) {
      const offset = startOffsetSeconds('nightly', slot.toISOString(), d.request.backupInstanceId, 1);
      expect(Date.parse(d.startedAt)).toBeGreaterThanOrEqual(slot.getTime() + offset * 1000 - 1000);
    }

    // Within the coverage window a second run drills nothing: every instance is proven and not overdue.
    const again = await runFleet(p, new Date());
    expect(again.counts).toMatchObject({ inScope: 9, due: 0, drilled: 0, notDue: 9, overdue: 0 });
    expect(again.drills).toEqual([]);
  }, 600_000);

  it('GET /api/coverage lists each instance in scope with its last drill and age; POST /api/fleets refuses what is not a fleet plan', async () => {
    const p = plan();
    const handlers = createFleetHttpHandlers({
      clientFor: () => driverClient(rig.driver),
      settings: () => FAST_SETTINGS,
      plans: () => [p],
      scope: (i) => rig.activities.scopeFleet(i),
      reports: () => rig.reports,
    });
    const get = (query: Record<string, string>) =>
      handlers.coverage({ query: new URLSearchParams(query), params: {} } as unknown as HttpRequest);
    const res = await get({ plan: 'nightly' });
    expect(res.status).toBe(200);
    const [cov] = (res.jsonBody as { plans: any[] }).plans;
    expect(cov.instances).toHaveLength(9);
    expect(cov.overdue).toBe(0);
    expect(cov.instances[0]).toMatchObject({ lastDrill: { verdict: 'passed' }, ageDays: 0, overdue: false });
    expect((await get({ plan: 'nope' })).status).toBe(404);
    const post = (body: unknown) =>
      handlers.start(
        { text: () => Promise.resolve(JSON.stringify(body)), params: {} } as unknown as HttpRequest,
        ctx,
      );
    expect((await post({})).jsonBody).toMatchObject({ error: { code: 'InvalidFleetRequest' } });
    expect((await post({ plan: 'weekly' })).status).toBe(404);
  }, 120_000);
});
