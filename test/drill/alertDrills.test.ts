/**
 * Event-triggered disaster-recovery drills against the emulator (ARM over HTTPS, real PostgreSQL, Azurite, the
 * real replay engine): a Service Health incident naming East US, posted to POST /api/alerts, starts
 * cross-region drills of exactly the in-scope instances whose vault is in eastus (the scope is listed through
 * ARM by the real scoping activity), each named by the alert and its instance; the same alert again starts
 * nothing new. Assertions are about what was started (the cross-region restore itself is built elsewhere).
 */
import type { InvocationContext } from '@azure/functions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertHttpHandler } from '../../src/functions/alerts';
import { driverClient } from '../../src/host/driverClient';
import { decideAlert, parseAlertTriggers, parseMonitorAlert } from '../../src/lib/drill/alertTriggers';
import { alertFleetDrillId, alertFleetId, incidentFleetId } from '../../src/lib/drill/instanceIds';
import { parsePlans, type FleetPlan } from '../../src/lib/drill/plans';
import type { DrillInput } from '../../src/lib/drill/request';
import { FAST_SETTINGS, startDrillRig, type DrillRig } from '../support/drill';
import { TEST_SUBSCRIPTION } from '../support/emulator';
import { post } from '../support/triggers';

let rig: DrillRig;
const RG = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups`;
const SEED = {
  sql: 'CREATE TABLE items (id serial PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());',
  changeSql: "INSERT INTO items (updated_at) SELECT '{{backupTime}}' FROM generate_series(1, 3);",
  backups: 1,
  archived: 0,
  intervalHours: 24,
};
const instanceId = (vault: string, name: string) =>
  `${RG}/rg-dr/providers/Microsoft.DataProtection/backupVaults/${vault}/backupInstances/${name}`;

beforeAll(async () => {
  rig = await startDrillRig({
    extraServers: [
      {
        name: 'pg-east',
        kind: 'flexible',
        resourceGroup: 'rg-dr',
        location: 'eastus',
        managed: { password: 'e-pw' },
      },
      {
        name: 'pg-west',
        kind: 'flexible',
        resourceGroup: 'rg-dr',
        location: 'westeurope',
        managed: { password: 'w-pw' },
      },
    ],
    config: {
      vaults: [
        {
          name: 'vault-east',
          resourceGroup: 'rg-dr',
          location: 'eastus',
          backupInstances: [
            { name: 'east-a', server: 'pg-east', databases: ['app'], seed: SEED },
            { name: 'east-scratch', server: 'pg-east', databases: ['scratch'], seed: SEED },
          ],
        },
        {
          name: 'vault-west',
          resourceGroup: 'rg-dr',
          location: 'westeurope',
          backupInstances: [{ name: 'west-a', server: 'pg-west', databases: ['app'], seed: SEED }],
        },
      ],
    },
  });
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

const fixture = (name: string): any =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alerts', name), 'utf8'));

function plan(): FleetPlan {
  return parsePlans(
    JSON.stringify([
      {
        name: 'dr-quarterly',
        schedule: '0 0 2 1 */3 *',
        scope: { resourceGroups: [`${RG}/rg-dr`], exclude: ['*-scratch'] },
        templates: [
          // Same-region drills (the schedule): a Service Health run must not use it, it targets the incident.
          { kind: 'flexibleServer', request: { target: rig.filesTarget() } },
          // Cross-region drills of East US vaults only: West Europe has none.
          {
            kind: 'flexibleServer',
            region: 'eastus',
            request: { restoreFrom: 'secondaryRegion', target: rig.filesTarget() },
          },
        ],
        coverage: { everyDays: 92 },
      },
    ]),
  )[0] as FleetPlan;
}

const ctx = () =>
  ({ log: () => undefined, warn: () => undefined, error: () => undefined }) as unknown as InvocationContext;

describe('a Service Health incident starts cross-region drills of the region it names', () => {
  it('only in-scope instances whose vault is in East US, restoring from the secondary region; the same alert again starts nothing', async () => {
    const p = plan();
    const alert = fixture('service-health-incident.json');
    const triggers = parseAlertTriggers(
      JSON.stringify([{ alertRule: alert.data.essentials.alertRule, plan: p.name }]),
    );

    // The real scoping, through ARM: east-a is selected; west-a is in another region; east-scratch is out of scope.
    const decision = decideAlert(parseMonitorAlert(alert), triggers, [p]);
    expect(decision.action).toBe('fleet');
    if (decision.action !== 'fleet') return;
    const fleetId = incidentFleetId(p.name, alert.data.alertContext.properties.trackingId);
    const scoped = await rig.activities.scopeFleet({
      plan: p,
      slot: new Date().toISOString(),
      alert: decision.run,
      fleetId,
    });
    const EAST_A = instanceId('vault-east', 'east-a');
    expect(scoped.due.map((d) => [d.backupInstanceId.toLowerCase(), d.drillId, d.offsetSeconds])).toEqual([
      [EAST_A.toLowerCase(), alertFleetDrillId(fleetId, EAST_A), 0],
    ]);
    // Coverage by (instance, restoreFrom): the alert's run counts cross-region drills (it drills regardless).
    expect(scoped.coverage).toEqual([
      { backupInstanceId: expect.stringMatching(/east-a$/i), restoreFrom: 'secondaryRegion', overdue: false },
    ]);
    const why = new Map(scoped.skipped.map((s) => [s.backupInstanceId.split('/').pop(), s.reason]));
    expect(why.get('west-a')).toMatch(/region westeurope is not one the alert names \(eastus\)/);
    expect(why.get('east-scratch')).toMatch(/scope.exclude/);
    expect(scoped.due[0]!.template).toBe(1);

    // West Europe named too: west-a has no cross-region template, so it is skipped with why (not drilled with
    // the same-region one).
    const both = await rig.activities.scopeFleet({
      plan: p,
      slot: new Date().toISOString(),
      alert: { ...decision.run, regions: ['eastus', 'westeurope'] },
      fleetId,
    });
    expect(both.due.map((d) => d.backupInstanceId.toLowerCase())).toEqual([EAST_A.toLowerCase()]);
    expect(both.skipped.find((s) => /west-a$/i.test(s.backupInstanceId))?.reason).toBe(
      'no cross-region template for flexibleServer/region westeurope',
    );

    // A resource alert naming an instance the scope excludes and one outside its resource groups: the scope
    // lists neither as due, whatever the alert names.
    const outside = `${RG}/rg-other/providers/Microsoft.DataProtection/backupVaults/vault-east/backupInstances/east-a`;
    const named = await rig.activities.scopeFleet({
      plan: p,
      slot: new Date().toISOString(),
      alert: {
        alertId: 'resource-alert',
        alertRule: 'backup failure',
        targets: [instanceId('vault-east', 'east-scratch'), outside],
      },
      fleetId: alertFleetId(p.name, 'resource-alert'),
    });
    expect(named.due).toEqual([]);

    // POST /api/alerts: the fleet run starts, and its one drill restores from the secondary region.
    const client = driverClient(rig.driver);
    const handler = createAlertHttpHandler({
      settings: () => FAST_SETTINGS,
      plans: () => [p],
      triggers: () => triggers,
      // A fleet plan: its instances' datasources come from the scope's listing, never read here.
      datasourceOf: () => Promise.reject(new Error('not read for a fleet plan')),
      clientFor: () => client,
    });
    const res = await handler(post(alert, {}, 'alerts'), ctx());
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({ status: 'started', fleetId, regions: ['eastus'] });
    const done = await rig.driver.waitForCompletion(fleetId, 600_000);
    expect(done.runtimeStatus, String(done.output)).toBe('Completed');
    const report = done.output as {
      drills: { drillId: string; backupInstanceId: string }[];
      alert?: unknown;
    };
    expect(report.drills.map((d) => d.drillId)).toEqual([alertFleetDrillId(fleetId, EAST_A)]);
    expect(report.alert).toMatchObject({ alertRule: alert.data.essentials.alertRule, regions: ['eastus'] });
    const drill = rig.driver.getStatus(report.drills[0]!.drillId)!.input as DrillInput;
    expect(drill.request.restoreFrom).toBe('secondaryRegion');
    expect(drill.request.backupInstanceId.toLowerCase()).toBe(EAST_A.toLowerCase());
    expect(drill.trigger).toMatchObject({ kind: 'alert', alertId: alert.data.essentials.alertId, fleetId });

    // Azure Monitor retries: the same alert finds the run it started.
    const before = rig.driver.list().length;
    const again = await handler(post(alert, {}, 'alerts'), ctx());
    expect(again.jsonBody).toMatchObject({ status: 'alreadyStarted', fleetId });
    expect(rig.driver.list().length).toBe(before);
  }, 700_000);
});
