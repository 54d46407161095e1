/**
 * Event-triggered disaster-recovery drills, the pure part (src/lib/drill/alertTriggers.ts): real-shaped
 * common-alert-schema payloads (test/fixtures/alerts/) read down to regions and targets, DRILL_ALERT_TRIGGERS
 * read with every bad field named, the decision (what starts, or why nothing does), the alert-derived instance
 * ids, and coverage counted apart for same-region and cross-region drills.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isRelevantService,
  alertSelects,
  armRegionName,
  decideAlert,
  isCommonAlert,
  parseAlertTriggers,
  parseMonitorAlert,
} from '../../src/lib/drill/alertTriggers';
import { buildDashboard, regressionOf } from '../../src/lib/drill/dashboard';
import { coverageOf, templateFor } from '../../src/lib/drill/fleet';
import {
  alertDrillId,
  alertFleetDrillId,
  alertFleetId,
  drillInstanceId,
  validInstanceId,
  incidentFleetId,
} from '../../src/lib/drill/instanceIds';
import { parsePlans, type FleetPlan } from '../../src/lib/drill/plans';
import { canonicalBackupInstanceId } from '../../src/lib/dataprotection/armId';
import { ValidationError } from '../../src/lib/errors';

const fixture = (name: string): any =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alerts', name), 'utf8'));

const SUB = '11111111-2222-4333-8444-555555555555';
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v`;
const BI = `${VAULT}/backupInstances/srv-db-1`;
const FLEX = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-east`;
const KV = 'https://kv.vault.azure.net/secrets/s';
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/tgt`;

const PLANS = parsePlans(
  JSON.stringify([
    {
      name: 'db-1-on-alert',
      schedule: '0 0 3 1 1 *',
      enabled: false,
      request: {
        backupInstanceId: BI,
        idempotencyKey: 'fixed',
        target: { kind: 'database', serverId: SERVER, secretUri: KV },
      },
    },
    {
      name: 'dr-quarterly',
      schedule: '0 0 2 1 */3 *',
      scope: { vaults: [VAULT] },
      templates: [
        {
          kind: 'flexibleServer',
          request: {
            restoreFrom: 'secondaryRegion',
            target: { kind: 'files', containerUrl: 'https://acct.blob.core.windows.net/drills' },
          },
        },
      ],
      coverage: { everyDays: 92 },
    },
  ]),
);

const TRIGGERS = parseAlertTriggers(
  JSON.stringify([
    {
      alertRuleId: fixture('service-health-incident.json').data.essentials.alertRuleID,
      plan: 'dr-quarterly',
    },
    { alertRule: 'backup failure', plan: 'db-1-on-alert' },
    { alertRule: 'Backup Failure (fleet)', plan: 'dr-quarterly', conditions: ['Fired', 'Resolved'] },
  ]),
);

function errorsOf(fn: () => unknown): { pointer: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.errors;
    throw err;
  }
  throw new Error('did not throw');
}

describe('reading an alert', () => {
  it('a Service Health incident names its regions as ARM names (region and impactedServices)', () => {
    const a = parseMonitorAlert(fixture('service-health-incident.json'));
    expect(a).toMatchObject({
      kind: 'serviceHealth',
      regions: ['eastus'],
      targets: [],
      monitorCondition: 'Fired',
      alertRule: 'ServiceHealth-Incidents-PostgreSQL',
      trackingId: 'ZT4K-9QD',
    });
    const two = fixture('service-health-incident.json');
    two.data.alertContext.properties.region = 'East US, West Europe';
    two.data.alertContext.properties.impactedServices = JSON.stringify([
      {
        ServiceName: 'Azure Database for PostgreSQL',
        ImpactedRegions: [{ RegionName: 'West US 2' }, { RegionName: 'East US' }],
      },
      { ServiceName: 'Backup', ImpactedRegions: [{ RegionName: 'West Europe' }] },
      // Another service's regions say nothing about our backups.
      { ServiceName: 'Virtual Machines', ImpactedRegions: [{ RegionName: 'North Europe' }] },
    ]);
    expect(parseMonitorAlert(two).regions).toEqual(['eastus', 'westeurope', 'westus2']);
    // properties.region (every region of the incident) only when impactedServices is absent.
    delete two.data.alertContext.properties.impactedServices;
    expect(parseMonitorAlert(two).regions).toEqual(['eastus', 'westeurope']);
    const vmOnly = fixture('service-health-incident.json');
    vmOnly.data.alertContext.properties.impactedServices = JSON.stringify([
      { ServiceName: 'Virtual Machines', ImpactedRegions: [{ RegionName: 'East US' }] },
    ]);
    expect(parseMonitorAlert(vmOnly).regions).toEqual([]);
    expect(isRelevantService('Azure Database for PostgreSQL flexible servers')).toBe(true);
    expect(isRelevantService('Azure Backup')).toBe(true);
    expect(isRelevantService('Azure Database for MySQL')).toBe(false);
    expect(armRegionName(' West  Europe ')).toBe('westeurope');
  });

  it('a backup alert names its backup instance; other ARM ids (the subscription, a VM) are no target', () => {
    const a = parseMonitorAlert(fixture('backup-alert.json'));
    expect(a).toMatchObject({ kind: 'resource', targets: [BI], regions: [] });
    const b = fixture('backup-alert.json');
    b.data.essentials.alertTargetIDs = [
      `/subscriptions/${SUB}`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`,
      FLEX.toLowerCase(),
    ];
    b.data.alertContext.properties.backupInstanceId = BI;
    expect(parseMonitorAlert(b).targets).toEqual([FLEX.toLowerCase(), BI]);
  });

  it('a payload that is not a common-schema alert is refused naming the field', () => {
    const noId = fixture('backup-alert.json');
    delete noId.data.essentials.alertId;
    expect(errorsOf(() => parseMonitorAlert(noId)).map((e) => e.pointer)).toContain(
      '/data/essentials/alertId',
    );
    const old = { ...fixture('backup-alert.json'), schemaId: 'Microsoft.Insights/activityLogs' };
    expect(errorsOf(() => parseMonitorAlert(old)).map((e) => e.pointer)).toContain('/schemaId');
    const cond = fixture('backup-alert.json');
    cond.data.essentials.monitorCondition = 'Active';
    expect(errorsOf(() => parseMonitorAlert(cond))).toContainEqual({
      pointer: '/data/essentials/monitorCondition',
      message: 'must be one of "Fired", "Resolved"',
    });
    expect(isCommonAlert(fixture('backup-alert.json'))).toBe(true);
    expect(isCommonAlert({ backupInstanceId: BI })).toBe(false);
  });
});

describe('DRILL_ALERT_TRIGGERS', () => {
  it('unset is none; conditions default to Fired; every bad field is named', () => {
    expect(parseAlertTriggers(undefined)).toEqual([]);
    expect(TRIGGERS[1]!.conditions).toEqual(['Fired']);
    expect(errorsOf(() => parseAlertTriggers('{'))[0]!.pointer).toBe('');
    expect(errorsOf(() => parseAlertTriggers(JSON.stringify([{ plan: 'p' }])))).toEqual([
      { pointer: '/0/alertRule', message: expect.stringMatching(/alertRuleId/) },
    ]);
    const bad = errorsOf(() =>
      parseAlertTriggers(JSON.stringify([{ alertRule: 'r', plan: 'P!', conditions: ['Active'], rule: 'x' }])),
    ).map((e) => e.pointer);
    expect(bad).toEqual(expect.arrayContaining(['/0/plan', '/0/conditions/0', '/0/rule']));
  });
});

describe('what an alert starts', () => {
  it('a Service Health incident starts cross-region drills of the fleet plan, limited to its regions', () => {
    const d = decideAlert(parseMonitorAlert(fixture('service-health-incident.json')), TRIGGERS, PLANS);
    expect(d).toMatchObject({
      action: 'fleet',
      plan: { name: 'dr-quarterly' },
      run: { regions: ['eastus'], restoreFrom: 'secondaryRegion' },
    });
    // The rule's id matched case-insensitively (the fixture's id is mixed case, the trigger's as given).
    const lower = fixture('service-health-incident.json');
    lower.data.essentials.alertRuleID = lower.data.essentials.alertRuleID.toUpperCase();
    lower.data.essentials.alertRule = 'renamed';
    expect(decideAlert(parseMonitorAlert(lower), TRIGGERS, PLANS).action).toBe('fleet');
  });

  it("a backup alert naming the single plan's instance starts one drill of it (the plan's request, not its key)", () => {
    const d = decideAlert(parseMonitorAlert(fixture('backup-alert.json')), TRIGGERS, PLANS);
    expect(d.action).toBe('drill');
    if (d.action !== 'drill') return;
    expect(d.request.backupInstanceId).toBe(BI);
    expect(d.request.idempotencyKey).toBeUndefined();
    expect(d.request.target).toEqual(d.plan.request.target);
    expect(d.ignored).toEqual([]);
  });

  it('a single plan never drills another instance: an alert naming only others is ignored, and others named beside its own are ignored with why', () => {
    const OTHER_VAULT = `/subscriptions/${SUB}/resourceGroups/rg2/providers/Microsoft.DataProtection/backupVaults/v2`;
    const others = fixture('backup-alert.json');
    // Another instance in the same vault, and one of the same name in another vault (names are not ids).
    others.data.essentials.alertTargetIDs = [
      `${VAULT}/backupInstances/srv-db-2`,
      `${OTHER_VAULT}/backupInstances/srv-db-1`,
    ];
    expect(decideAlert(parseMonitorAlert(others), TRIGGERS, PLANS)).toEqual({
      action: 'ignore',
      reason: expect.stringMatching(
        /does not name plan "db-1-on-alert"'s backup instance .*a single plan drills its own instance only/,
      ),
    });
    const both = fixture('backup-alert.json');
    both.data.essentials.alertTargetIDs = [`${VAULT}/backupInstances/srv-db-2`, BI.toUpperCase()];
    const d = decideAlert(parseMonitorAlert(both), TRIGGERS, PLANS);
    expect(d).toMatchObject({
      action: 'drill',
      request: { backupInstanceId: BI },
      ignored: [
        {
          target: `${VAULT}/backupInstances/srv-db-2`,
          reason: expect.stringMatching(/not the plan's backup instance/),
        },
      ],
    });
  });

  it("a single plan's instance named by its datasource or server (any case): its datasource is read first, then it starts", () => {
    const SINGLE = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/src`;
    const DATASOURCE = `${SINGLE}/databases/db1`;
    for (const named of [DATASOURCE.toUpperCase(), SINGLE.toLowerCase()]) {
      const a = fixture('backup-alert.json');
      a.data.essentials.alertTargetIDs = [named];
      const alert = parseMonitorAlert(a);
      // The instance's datasource is not in the plan: the caller reads it (ARM) and decides again.
      expect(decideAlert(alert, TRIGGERS, PLANS)).toMatchObject({
        action: 'needsDatasource',
        backupInstanceId: BI,
      });
      expect(decideAlert(alert, TRIGGERS, PLANS, DATASOURCE)).toMatchObject({
        action: 'drill',
        request: { backupInstanceId: BI },
        ignored: [],
      });
      // Another server's database is not the plan's.
      expect(decideAlert(alert, TRIGGERS, PLANS, `${SINGLE}2/databases/db1`)).toMatchObject({
        action: 'ignore',
        reason: expect.stringMatching(/does not name plan "db-1-on-alert"'s backup instance/),
      });
    }
    // A flexible server is its own datasource; a server alert naming it in another case drills the instance.
    const flex = fixture('backup-alert.json');
    flex.data.essentials.alertTargetIDs = [FLEX.toUpperCase()];
    expect(decideAlert(parseMonitorAlert(flex), TRIGGERS, PLANS, FLEX).action).toBe('drill');
  });

  /** What a backup alert of the fleet plan's rule, naming these ids, decides. */
  const fleetAlertNaming = (targets: string[]) => {
    const a = fixture('backup-alert.json');
    a.data.essentials.alertRule = 'Backup Failure (fleet)';
    a.data.essentials.alertTargetIDs = targets;
    return decideAlert(parseMonitorAlert(a), TRIGGERS, PLANS);
  };

  it('with a fleet plan, a resource alert limits the run to the instances it names', () => {
    const d = fleetAlertNaming([FLEX]);
    expect(d).toMatchObject({ action: 'fleet', run: { targets: [FLEX] } });
    if (d.action !== 'fleet') return;
    expect(d.run.restoreFrom).toBeUndefined();
    expect(alertSelects(d.run, { backupInstanceId: BI, datasourceId: FLEX.toUpperCase() })).toBeUndefined();
    expect(alertSelects(d.run, { backupInstanceId: BI, datasourceId: `${FLEX}-2` })).toMatch(/does not name/);
  });

  it('with a fleet plan, an alert naming an instance outside the scope starts nothing for it', () => {
    // The run's targets only narrow the instances the scope lists (scopeFleet: outOfScope first, then
    // alertSelects): an instance in a vault outside scope.vaults is never listed, so never drilled.
    const OUTSIDE = `/subscriptions/${SUB}/resourceGroups/rg2/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/srv-db-1`;
    const d = fleetAlertNaming([OUTSIDE]);
    expect(d).toMatchObject({ action: 'fleet', run: { targets: [OUTSIDE] } });
    if (d.action !== 'fleet') return;
    // An in-scope instance of the same name (another resource group) is not selected by it either.
    expect(alertSelects(d.run, { backupInstanceId: BI, datasourceId: FLEX })).toMatch(/does not name/);
  });

  it('an unknown rule, a resolved alert, a plan that cannot do it: ignored, each with why', () => {
    const unknown = fixture('backup-alert.json');
    unknown.data.essentials.alertRule = 'CPU high';
    expect(decideAlert(parseMonitorAlert(unknown), TRIGGERS, PLANS)).toEqual({
      action: 'ignore',
      reason: expect.stringMatching(/no DRILL_ALERT_TRIGGERS entry names alert rule "CPU high"/),
    });
    const resolved = fixture('service-health-incident.json');
    resolved.data.essentials.monitorCondition = 'Resolved';
    expect(decideAlert(parseMonitorAlert(resolved), TRIGGERS, PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/is Resolved; .* when it is Fired/),
    });
    // The same trigger taking Resolved too does start on it.
    const fleetResolved = fixture('backup-alert.json');
    fleetResolved.data.essentials.alertRule = 'Backup Failure (fleet)';
    fleetResolved.data.essentials.monitorCondition = 'Resolved';
    expect(decideAlert(parseMonitorAlert(fleetResolved), TRIGGERS, PLANS).action).toBe('fleet');
    // Service Health mapped to a single plan; a plan that is not there; no region; no target.
    const sh = parseMonitorAlert(fixture('service-health-incident.json'));
    expect(decideAlert(sh, [{ alertRule: sh.alertRule, plan: 'db-1-on-alert' }], PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/single plan/),
    });
    expect(decideAlert(sh, [{ alertRule: sh.alertRule, plan: 'gone' }], PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/"gone" .* not a valid plan/),
    });
    expect(decideAlert({ ...sh, regions: [] }, TRIGGERS, PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/names no region/),
    });
    const vm = fixture('backup-alert.json');
    vm.data.essentials.alertTargetIDs = [`/subscriptions/${SUB}`];
    expect(decideAlert(parseMonitorAlert(vm), TRIGGERS, PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/names no backup instance/),
    });
  });

  it('region selection compares ARM names; an unknown region is out', () => {
    const run = { alertId: 'a', alertRule: 'r', regions: ['eastus'] };
    expect(alertSelects(run, { backupInstanceId: BI, region: 'East US' })).toBeUndefined();
    expect(alertSelects(run, { backupInstanceId: BI, region: 'eastus2' })).toMatch(/eastus2 is not one/);
    expect(alertSelects(run, { backupInstanceId: BI })).toMatch(/\(unknown\)/);
  });
});

describe('alert instance ids', () => {
  it('derive from (plan, alert, instance): the same alert gives the same ids, another alert or instance others', () => {
    const id = alertDrillId('p', 'alert-1', BI);
    expect(alertDrillId('p', 'alert-1', BI.toUpperCase())).toBe(id);
    expect(alertDrillId('p', 'alert-2', BI)).not.toBe(id);
    expect(alertDrillId('p', 'alert-1', `${BI}x`)).not.toBe(id);
    expect(alertDrillId('q', 'alert-1', BI)).not.toBe(id);
    expect(
      drillInstanceId(
        { kind: 'alert', plan: 'p', alertId: 'alert-1', alertRule: 'r', backupInstanceId: BI },
        'ignored-key',
      ),
    ).toBe(id);
    const fleet = alertFleetId('dr-quarterly', 'alert-1');
    expect(alertFleetId('dr-quarterly', 'alert-1')).toBe(fleet);
    for (const x of [id, fleet, alertFleetDrillId(fleet, BI)]) expect(validInstanceId(x)).toBe(true);
  });
});

describe('coverage, same-region and cross-region apart', () => {
  const now = new Date('2026-12-02T00:00:00Z');
  const A = `${VAULT}/backupInstances/a`;
  const drills = [
    // A monthly same-region drill of a, last week; an old history row (no restoreFrom) of a, two months ago.
    { drillId: 'm1', backupInstanceId: A, startedAt: '2026-11-25T00:00:00Z', verdict: 'passed' },
    {
      drillId: 'old',
      backupInstanceId: A.toUpperCase(),
      startedAt: '2026-10-01T00:00:00Z',
      verdict: 'passed',
    },
    // A cross-region drill of b, 40 days ago.
    {
      drillId: 'x1',
      backupInstanceId: `${VAULT}/backupInstances/b`,
      startedAt: '2026-10-23T00:00:00Z',
      verdict: 'passed',
      restoreFrom: 'secondaryRegion' as const,
    },
    {
      drillId: 'p1',
      backupInstanceId: `${VAULT}/backupInstances/b`,
      startedAt: '2026-11-30T00:00:00Z',
      verdict: 'passed',
      restoreFrom: 'primaryRegion' as const,
    },
  ];

  it('a same-region drill does not cover a cross-region plan, nor the other way round', () => {
    const cross = coverageOf(
      ['a', 'b'].map((n) => ({
        backupInstanceId: `${VAULT}/backupInstances/${n}`,
        restoreFrom: 'secondaryRegion' as const,
      })),
      drills,
      now,
      92,
    );
    // a: only same-region drills, so never drilled cross-region (first in order, overdue).
    expect(cross[0]).toEqual({
      backupInstanceId: A,
      restoreFrom: 'secondaryRegion',
      overdue: true,
    });
    expect(cross[1]).toMatchObject({
      restoreFrom: 'secondaryRegion',
      lastDrill: { drillId: 'x1' },
      ageDays: 40,
      overdue: false,
    });
    // Same-region, monthly: b's cross-region drill 40 days ago does not count, its primary one does; a's
    // old row without restoreFrom counts as primary.
    const same = coverageOf([A, `${VAULT}/backupInstances/b`], drills, now, 31);
    expect(same.map((c) => [c.lastDrill?.drillId, c.overdue, c.restoreFrom])).toEqual([
      ['m1', false, undefined],
      ['p1', false, undefined],
    ]);
    const onlyOld = coverageOf([A], drills.slice(1, 2), now, 92);
    expect(onlyOld[0]).toMatchObject({ lastDrill: { drillId: 'old' }, overdue: false });
    const crossOnly = coverageOf([`${VAULT}/backupInstances/b`], drills.slice(2, 3), now, 31);
    expect(crossOnly[0]).toMatchObject({ overdue: true });
    expect(crossOnly[0]!.lastDrill).toBeUndefined();
  });

  it('the dashboard (DRILL_COVERAGE_DAYS) counts same-region drills; RTO regressions compare like with like', () => {
    const d = buildDashboard(drills, now, 31);
    const b = d.instances.find((e) => e.backupInstanceId.endsWith('/b'))!;
    expect(b).toMatchObject({ coverage: 'current', lastPassedAt: '2026-11-30T00:00:00Z' });
    const onlyCross = buildDashboard(drills.slice(2, 3), now, 31);
    expect(onlyCross.instances[0]).toMatchObject({ coverage: 'never' });
    // Three same-region drills of 10 min, then a cross-region one of 40: not a regression.
    const rto = (rtoSeconds: number, day: number, restoreFrom?: 'secondaryRegion') => ({
      drillId: `r${day}`,
      backupInstanceId: A,
      startedAt: new Date(Date.UTC(2026, 10, day)).toISOString(),
      verdict: 'passed',
      rtoSeconds,
      ...(restoreFrom ? { restoreFrom } : {}),
    });
    const history = [rto(2400, 4, 'secondaryRegion'), rto(600, 3), rto(600, 2), rto(600, 1)];
    expect(regressionOf(history)).toBeUndefined();
    expect(regressionOf([rto(2400, 4), ...history.slice(1)])).toMatchObject({ rtoSeconds: 2400 });
  });
});

describe('a Service Health incident across its updates', () => {
  /** An update of the fixture's incident, as the service sends one: a new event, the same trackingId. */
  function update(n: number, stage = 'Active'): any {
    const u = fixture('service-health-incident.json');
    u.data.essentials.alertId = u.data.essentials.alertId.replace(/.{4}$/, `${n}`.padStart(4, '0'));
    u.data.alertContext.properties.communicationId = `1100002103456${n}`;
    u.data.alertContext.properties.stage = stage;
    u.data.alertContext.status = stage;
    return u;
  }

  it('its updates name the same run (its trackingId); its resolution is Resolved; only Incident counts by default', () => {
    const first = decideAlert(parseMonitorAlert(update(1)), TRIGGERS, PLANS);
    const second = decideAlert(parseMonitorAlert(update(2)), TRIGGERS, PLANS);
    expect(first).toMatchObject({ action: 'fleet', run: { trackingId: 'ZT4K-9QD' } });
    expect(second).toMatchObject({ action: 'fleet', run: { trackingId: 'ZT4K-9QD' } });
    expect(incidentFleetId('dr-quarterly', 'ZT4K-9QD')).toBe(incidentFleetId('dr-quarterly', 'zt4k-9qd'));
    expect(incidentFleetId('dr-quarterly', 'ZT4K-9QD')).not.toBe(incidentFleetId('dr-quarterly', 'AB1C-2DE'));
    expect(validInstanceId(incidentFleetId('dr-quarterly', 'ZT4K-9QD'))).toBe(true);

    const resolved = parseMonitorAlert(update(3, 'Resolved'));
    expect(resolved.monitorCondition).toBe('Resolved');
    expect(decideAlert(resolved, TRIGGERS, PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/is Resolved/),
    });
    // alertContext.status alone says so too.
    const byStatus = update(4);
    byStatus.data.alertContext.status = 'Resolved';
    delete byStatus.data.alertContext.properties.stage;
    expect(parseMonitorAlert(byStatus).monitorCondition).toBe('Resolved');

    const maintenance = update(5);
    maintenance.data.alertContext.properties.incidentType = 'Maintenance';
    const m = parseMonitorAlert(maintenance);
    expect(decideAlert(m, TRIGGERS, PLANS)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/is Maintenance; .* on Incident \(incidentTypes\)/),
    });
    const optIn = parseAlertTriggers(
      JSON.stringify([
        { alertRule: m.alertRule, plan: 'dr-quarterly', incidentTypes: ['Incident', 'Maintenance'] },
      ]),
    );
    expect(decideAlert(m, optIn, PLANS).action).toBe('fleet');
    expect(
      errorsOf(() =>
        parseAlertTriggers(JSON.stringify([{ alertRule: 'r', plan: 'p', incidentTypes: ['Outage'] }])),
      )[0]!.pointer,
    ).toBe('/0/incidentTypes/0');
  });

  it('a fleet plan without a cross-region template starts nothing on a Service Health alert', () => {
    // The fleet plan with its template made same-region (restoreFrom primaryRegion).
    const fleet = PLANS[1] as FleetPlan;
    const sameRegion: FleetPlan[] = [
      {
        ...fleet,
        templates: fleet.templates.map((t) => ({
          ...t,
          request: { ...t.request, restoreFrom: 'primaryRegion' as const },
        })),
      },
    ];
    expect(decideAlert(parseMonitorAlert(update(6)), TRIGGERS, sameRegion)).toMatchObject({
      action: 'ignore',
      reason: expect.stringMatching(/no cross-region template/),
    });
  });

  it('a template is chosen for a Service Health run only when it restores from the secondary region', () => {
    const templates = (PLANS[1] as FleetPlan).templates;
    const same = {
      ...templates[0]!,
      request: { ...templates[0]!.request, restoreFrom: 'primaryRegion' as const },
    };
    const instance = {
      backupInstanceId: BI,
      name: 'srv-db-1',
      vaultId: VAULT,
      region: 'eastus',
      kind: 'flexibleServer' as const,
      datasourceId: FLEX,
      tags: {},
    };
    expect(templateFor([same, templates[0]!], instance, 'secondaryRegion')).toBe(1);
    expect(templateFor([same], instance, 'secondaryRegion')).toBeUndefined();
    expect(templateFor([same], instance)).toBe(0);
  });
});

describe('backup instance ids in any casing', () => {
  it('a lowercase id is rebuilt in its documented casing, names kept', () => {
    expect(canonicalBackupInstanceId(BI.toLowerCase())).toBe(BI);
    const mixed = `/SUBSCRIPTIONS/${SUB}/resourcegroups/RG-X/providers/microsoft.dataprotection/backupvaults/V-1/backupinstances/Srv-DB`;
    expect(canonicalBackupInstanceId(mixed)).toBe(
      `/subscriptions/${SUB}/resourceGroups/RG-X/providers/Microsoft.DataProtection/backupVaults/V-1/backupInstances/Srv-DB`,
    );
    // A plan's lowercased instance id still makes a valid request.
    const a = parseMonitorAlert(fixture('backup-alert-lowercase.json'));
    expect(a.targets).toEqual([BI.toLowerCase()]);
    const d = decideAlert(a, TRIGGERS, PLANS);
    expect(d).toMatchObject({ action: 'drill', request: { backupInstanceId: BI } });
  });
});
