/**
 * Event-triggered disaster-recovery drills at the bindings: POST /api/alerts and the drill queue given
 * real-shaped common-alert-schema payloads (test/fixtures/alerts/), over the in-process driver running the real
 * orchestrators with scripted activities. What was started is asserted on the orchestrations' inputs (ids,
 * requests, triggers); the scope's own region selection runs against the emulator in test/drill/alertDrills.test.ts.
 */
import { output } from '@azure/functions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVITIES } from '../../src/activities/names';
import type { ScopeFleetInput } from '../../src/activities/fleet';
import { createAlertHttpHandler, type AlertDeps } from '../../src/functions/alerts';
import type { DrillClient, DrillInstance } from '../../src/functions/drillClient';
import { ORCHESTRATORS } from '../../src/orchestrators/names';
import { createDrillQueueHandler } from '../../src/functions/queue';
import { parseAlertTriggers } from '../../src/lib/drill/alertTriggers';
import { alertDrillId, alertFleetDrillId, incidentFleetId } from '../../src/lib/drill/instanceIds';
import { parsePlanSet, parsePlans } from '../../src/lib/drill/plans';
import { goodPlans } from '../../src/functions/planSet';
import type { DrillInput } from '../../src/lib/drill/request';
import type { FleetInput } from '../../src/orchestrators/fleetDrill';
import { DEFAULT_SETTINGS } from '../support/drill';
import { ok } from '../support/scripted';
import { BI, context, post, SUB, VALID, setup } from '../support/triggers';
import { waitUntil } from '../support/wait';

const fixture = (name: string): any =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alerts', name), 'utf8'));
const SH = fixture('service-health-incident.json');
const BACKUP = fixture('backup-alert.json');
const BACKUP_LOWERCASE = fixture('backup-alert-lowercase.json');

/** Another event of the fixture's incident (an update, or its resolution): a new alertId, the same trackingId. */
function incidentEvent(n: number, stage = 'Active'): any {
  const e = structuredClone(SH);
  e.data.essentials.alertId = e.data.essentials.alertId.replace(/.{4}$/, `${n}`.padStart(4, '0'));
  e.data.alertContext.properties.communicationId = `1100002103456${n}`;
  e.data.alertContext.properties.stage = stage;
  e.data.alertContext.status = stage;
  return e;
}

const VAULT = BI.split('/backupInstances')[0]!;
const EAST_1 = `${VAULT}/backupInstances/pg-east-1`;

const PLANS = parsePlans(
  JSON.stringify([
    // Alerts only: its schedule is off. Its restored database is labelled (what a collision is about).
    {
      name: 'drill-on-backup-alert',
      schedule: '0 0 3 1 1 *',
      enabled: false,
      request: { ...VALID, target: { ...VALID.target, databaseName: 'pgdrill_alertdb' } },
    },
    {
      name: 'dr-fleet',
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
    { alertRule: 'backup failure', plan: 'drill-on-backup-alert' },
    { alertRuleId: SH.data.essentials.alertRuleID.toLowerCase(), plan: 'dr-fleet' },
  ]),
);

const poison = output.storageQueue({ queueName: 'drill-requests-poison', connection: 'AzureWebJobsStorage' });
const poisonBlob = output.storageBlob({
  path: 'drill-requests-poison/{id}.txt',
  connection: 'AzureWebJobsStorage',
});

function rig() {
  // The scope of an alert's run, scripted: one eastern instance, named as the real activity names it.
  const s = setup({
    [ACTIVITIES.scopeFleet]: (input: ScopeFleetInput) =>
      ok({
        coverage: [{ backupInstanceId: EAST_1, restoreFrom: 'secondaryRegion' as const, overdue: true }],
        due: [
          {
            backupInstanceId: EAST_1,
            vaultId: VAULT,
            template: 0,
            keys: { vault: VAULT.toLowerCase() },
            offsetSeconds: 0,
            drillId: alertFleetDrillId(input.fleetId!, EAST_1),
          },
        ],
        skipped: [],
        notDue: [],
        problems: [],
      }),
  });
  // Drills the test says are running besides the driver's own (a name collision).
  const running: DrillInstance[] = [];
  const client: DrillClient = {
    startNew: (name, id, input) => s.client.startNew(name, id, input),
    getStatus: (id) => s.client.getStatus(id),
    raiseEvent: (id, event, data) => s.client.raiseEvent(id, event, data),
    listActive: async () => [...(await s.client.listActive()), ...running],
  };
  const datasourceReads: string[] = [];
  const deps: AlertDeps = {
    settings: () => DEFAULT_SETTINGS,
    plans: () => PLANS,
    triggers: () => TRIGGERS,
    // The plan's instance is a database of Single Server srv (what ARM would say).
    datasourceOf: (id) => {
      datasourceReads.push(id);
      return Promise.resolve(
        `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/srv/databases/db-1`,
      );
    },
  };
  const http = createAlertHttpHandler({ ...deps, clientFor: () => client });
  const queue = createDrillQueueHandler({
    clientFor: () => client,
    settings: () => DEFAULT_SETTINGS,
    poison,
    poisonBlob,
    alerts: () => deps,
  });
  const instances = () =>
    s.driver
      .list()
      .map((i) => i.instanceId)
      .filter((id) => !id.includes(':'))
      .sort();
  return { ...s, http, queue, instances, running, datasourceReads };
}

describe('POST /api/alerts and alerts on the drill queue', () => {
  it('a backup alert starts one drill of its instance, recording the alert; the same alert again (HTTP, then queue) starts nothing new', async () => {
    const r = rig();
    const first = await r.http(post(BACKUP, {}, 'alerts'), context().ctx);
    const id = alertDrillId('drill-on-backup-alert', BACKUP.data.essentials.alertId, BI);
    expect(first.status).toBe(202);
    expect(first.jsonBody).toMatchObject({
      status: 'started',
      plan: 'drill-on-backup-alert',
      drills: [{ drillId: id, backupInstanceId: BI, started: true }],
    });
    const input = r.driver.getStatus(id)!.input as DrillInput;
    expect(input.request.backupInstanceId).toBe(BI);
    expect(input.trigger).toEqual({
      kind: 'alert',
      plan: 'drill-on-backup-alert',
      alertId: BACKUP.data.essentials.alertId,
      alertRule: 'Backup Failure',
    });

    // Azure Monitor retries the webhook; the same alert also arrives on the queue.
    const again = await r.http(post(BACKUP, {}, 'alerts'), context().ctx);
    expect(again.status).toBe(202);
    expect(again.jsonBody).toMatchObject({
      status: 'alreadyStarted',
      drills: [{ drillId: id, started: false, reason: 'exists' }],
    });
    const q = context({ triggerMetadata: { id: 'm-alert' } });
    await r.queue(JSON.stringify(BACKUP), q.ctx);
    expect(q.lines.join('\n')).toMatch(/"message":"alert handled".*"status":"alreadyStarted"/);
    expect(r.instances()).toEqual([id]);
  });

  it('a Service Health incident starts a cross-region fleet run for its regions; its drills restore from the secondary region; by queue again, nothing new', async () => {
    const r = rig();
    const res = await r.http(post(SH, {}, 'alerts'), context().ctx);
    const fleetId = incidentFleetId('dr-fleet', 'ZT4K-9QD');
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({
      status: 'started',
      plan: 'dr-fleet',
      fleetId,
      regions: ['eastus'],
      statusUri: `/api/fleets/${fleetId}`,
    });
    const fleet = r.driver.getStatus(fleetId)!.input as FleetInput;
    expect(fleet.alert).toEqual({
      alertId: SH.data.essentials.alertId,
      alertRule: SH.data.essentials.alertRule,
      regions: ['eastus'],
      restoreFrom: 'secondaryRegion',
      trackingId: 'ZT4K-9QD',
    });
    const drillId = alertFleetDrillId(fleetId, EAST_1);
    const child = await waitUntil(() => r.driver.getStatus(drillId), {
      what: 'the fleet run starts its drill',
    });
    const drill = child.input as DrillInput;
    expect(drill.request).toMatchObject({ backupInstanceId: EAST_1, restoreFrom: 'secondaryRegion' });
    expect(drill.trigger).toMatchObject({
      kind: 'alert',
      plan: 'dr-fleet',
      fleetId,
      alertId: SH.data.essentials.alertId,
    });
    // The scope was asked for the alert's instances only.
    const scoped = r.calls.find((c) => c.name === ACTIVITIES.scopeFleet)!.input as ScopeFleetInput;
    expect(scoped.alert?.regions).toEqual(['eastus']);

    const q = context({ triggerMetadata: { id: 'm-sh' } });
    await r.queue(JSON.stringify(SH), q.ctx);
    expect(q.lines.join('\n')).toMatch(/"status":"alreadyStarted".*"fleetId":"alertfleet-dr-fleet-/);
    expect(r.instances()).toEqual([fleetId, drillId].sort());

    // An update of the incident, then its resolution: new alerts of one incident, nothing new.
    const update = await r.http(post(incidentEvent(1), {}, 'alerts'), context().ctx);
    expect(update.jsonBody).toMatchObject({ status: 'alreadyStarted', fleetId });
    const resolved = await r.http(post(incidentEvent(2, 'Resolved'), {}, 'alerts'), context().ctx);
    expect(resolved.jsonBody).toMatchObject({
      status: 'ignored',
      monitorCondition: 'Resolved',
      reason: expect.stringMatching(/is Resolved/),
    });
    expect(r.instances()).toEqual([fleetId, drillId].sort());
  });

  it('while an alert run of the plan runs, another incident starts no second one (the running id, and why)', async () => {
    const r = rig();
    const runningId = incidentFleetId('dr-fleet', 'AB1C-2DE');
    r.running.push({
      instanceId: runningId,
      name: ORCHESTRATORS.fleetDrill,
      runtimeStatus: 'Running',
      input: { fleetId: runningId, plan: { name: 'dr-fleet' }, alert: { alertId: 'x', alertRule: 'y' } },
      customStatus: null,
      output: null,
      createdTime: '2026-11-24T08:00:00Z',
      lastUpdatedTime: '2026-11-24T08:00:00Z',
    });
    const res = await r.http(post(SH, {}, 'alerts'), context().ctx);
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({
      status: 'alreadyStarted',
      fleetId: runningId,
      reason: expect.stringMatching(/is still running: one alert run of a plan at a time/),
    });
    expect(r.instances()).toEqual([]);
  });

  it('Maintenance and other non-incident Service Health events start nothing by default', async () => {
    const r = rig();
    const m = incidentEvent(3);
    m.data.alertContext.properties.incidentType = 'Maintenance';
    const res = await r.http(post(m, {}, 'alerts'), context().ctx);
    expect(res.jsonBody).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/Maintenance/) });
    expect(r.instances()).toEqual([]);
  });

  it('an unknown rule and a resolved alert are logged and ignored (202, and why); nothing starts', async () => {
    const r = rig();
    const unknown = structuredClone(BACKUP);
    unknown.data.essentials.alertRule = 'CPU percentage above 90';
    const u = context();
    const a = await r.http(post(unknown, {}, 'alerts'), u.ctx);
    expect(a.status).toBe(202);
    expect(a.jsonBody).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(
        /no DRILL_ALERT_TRIGGERS entry names alert rule "CPU percentage above 90"/,
      ),
    });
    expect(u.lines.join('\n')).toMatch(/"message":"alert ignored"/);
    const resolved = structuredClone(SH);
    resolved.data.essentials.monitorCondition = 'Resolved';
    resolved.data.essentials.resolvedDateTime = '2026-11-24T11:02:00Z';
    const b = await r.http(post(resolved, {}, 'alerts'), context().ctx);
    expect(b.status).toBe(202);
    expect(b.jsonBody).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/Resolved/) });
    // A bad DRILL_ALERT_TRIGGERS is logged and ignored too: a retry would not fix it.
    const bad = createAlertHttpHandler({
      settings: () => DEFAULT_SETTINGS,
      plans: () => PLANS,
      triggers: () => parseAlertTriggers('[{"plan":"x"}]'),
      datasourceOf: () => Promise.reject(new Error('not read')),
      clientFor: r.clientFor,
    });
    const c = await bad(post(BACKUP, {}, 'alerts'), context().ctx);
    expect(c.jsonBody).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/DRILL_ALERT_TRIGGERS/),
    });
    expect(r.instances()).toEqual([]);
  });

  it('a malformed payload is a 400 naming the field (HTTP), and goes to the poison queue (queue)', async () => {
    const r = rig();
    const noCondition = structuredClone(BACKUP);
    delete noCondition.data.essentials.monitorCondition;
    const a = await r.http(post(noCondition, {}, 'alerts'), context().ctx);
    expect(a.status).toBe(400);
    expect(a.jsonBody.error.code).toBe('InvalidAlert');
    expect(a.jsonBody.error.message).toMatch(/\/data\/essentials\/monitorCondition is required/);
    expect(a.jsonBody.error.errors).toContainEqual({
      pointer: '/data/essentials/monitorCondition',
      message: 'is required',
    });
    const notCommon = await r.http(
      post({ ...BACKUP, schemaId: 'AzureMonitorMetricAlert' }, {}, 'alerts'),
      context().ctx,
    );
    expect(notCommon.status).toBe(400);
    expect(notCommon.jsonBody.error.errors.map((e: { pointer: string }) => e.pointer)).toContain('/schemaId');
    const notJson = await r.http(post('{"schemaId":', {}, 'alerts'), context().ctx);
    expect(notJson.status).toBe(400);

    const q = context({ triggerMetadata: { id: 'm-bad' } });
    await r.queue(JSON.stringify(noCondition), q.ctx);
    expect(q.ctx.extraOutputs.get(poison)).toBe(JSON.stringify(noCondition));
    expect(q.lines.join('\n')).toMatch(/\/data\/essentials\/monitorCondition/);
    expect(r.instances()).toEqual([]);
  });

  it('a single plan drills its own instance only: other instances are ignored with why; its server, read through ARM, is its own', async () => {
    const r = rig();
    const other = BI.replace('srv-db-1', 'srv-db-2');
    const others = structuredClone(BACKUP);
    others.data.essentials.alertTargetIDs = [other];
    const o = context();
    const a = await r.http(post(others, {}, 'alerts'), o.ctx);
    expect(a.status).toBe(202);
    expect(a.jsonBody).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/does not name plan "drill-on-backup-alert"'s backup instance/),
    });
    expect(o.lines.join('\n')).toMatch(/"message":"alert ignored"/);
    expect(r.instances()).toEqual([]);

    // Its own instance named beside another: its drill starts; the other is ignored, logged and answered.
    const both = structuredClone(BACKUP);
    both.data.essentials.alertTargetIDs = [other, BI];
    const b = context();
    const res = await r.http(post(both, {}, 'alerts'), b.ctx);
    expect(res.jsonBody).toMatchObject({
      status: 'started',
      drills: [{ backupInstanceId: BI, started: true }],
      ignored: [{ target: other, reason: expect.stringMatching(/not the plan's backup instance/) }],
    });
    expect(b.lines.join('\n')).toMatch(/"message":"alert: targets ignored"/);
    expect(r.datasourceReads).toEqual([]);

    // A server alert (another case): the instance's datasource is read, and the server is its own. (A new
    // rig: the drill above still runs, and its database label would collide.)
    const r2 = rig();
    const server = structuredClone(BACKUP);
    server.data.essentials.alertTargetIDs = [
      `/subscriptions/${SUB}/resourceGroups/RG/providers/Microsoft.DBforPostgreSQL/servers/SRV`,
    ];
    const c = await r2.http(post(server, {}, 'alerts'), context().ctx);
    expect(c.jsonBody).toMatchObject({
      status: 'started',
      drills: [{ backupInstanceId: BI, started: true }],
    });
    expect(r2.datasourceReads).toEqual([BI]);
  });

  it("a drill whose names collide with a running drill's: by queue the alert is retried (and then starts); by HTTP the answer says so", async () => {
    const r = rig();
    r.running.push({
      instanceId: 'running-drill',
      name: ORCHESTRATORS.restoreDrill,
      runtimeStatus: 'Running',
      input: {
        drillId: 'running-drill',
        request: { ...VALID, target: { ...VALID.target, databaseName: 'pgdrill_alertdb' } },
      },
      customStatus: null,
      output: null,
      createdTime: '2026-11-24T02:00:00Z',
      lastUpdatedTime: '2026-11-24T02:00:00Z',
    });
    const id = alertDrillId('drill-on-backup-alert', BACKUP.data.essentials.alertId, BI);

    const h = await r.http(post(BACKUP, {}, 'alerts'), context().ctx);
    expect(h.status).toBe(202);
    expect(h.jsonBody).toMatchObject({
      status: 'notStarted',
      reason: 'nameInUse',
      drills: [{ drillId: id, started: false, reason: 'nameInUse' }],
    });

    // The queue: thrown as retryable, so the runtime delivers the message again (not consumed, not poison).
    const q = context({ triggerMetadata: { id: 'm-collide' } });
    await expect(r.queue(JSON.stringify(BACKUP), q.ctx)).rejects.toMatchObject({
      code: 'NameInUse',
      isRetryable: true,
    });
    expect(q.ctx.extraOutputs.get(poison)).toBeUndefined();
    expect(r.instances()).toEqual([]);

    // The running drill ends; the redelivered alert starts its drill.
    r.running.length = 0;
    const again = context({ triggerMetadata: { id: 'm-collide' } });
    await r.queue(JSON.stringify(BACKUP), again.ctx);
    expect(again.lines.join('\n')).toMatch(/"message":"alert handled".*"status":"started"/);
    expect(r.instances()).toEqual([id]);
  });

  it('an invalid alert on the queue is logged as an invalid alert, not a drill request', async () => {
    const r = rig();
    const bad = structuredClone(BACKUP);
    delete bad.data.essentials.alertId;
    const q = context({ triggerMetadata: { id: 'm-bad-alert' } });
    await r.queue(JSON.stringify(bad), q.ctx);
    expect(q.lines.join('\n')).toMatch(/invalid alert message: moved to the poison queue/);
  });

  it('an alert with no target the plan can drill is ignored with why', async () => {
    const r = rig();
    const vm = structuredClone(BACKUP);
    vm.data.essentials.alertTargetIDs = [
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`,
    ];
    const res = await r.http(post(vm, {}, 'alerts'), context().ctx);
    expect(res.jsonBody).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/names no backup instance/),
    });
  });

  it('a lowercase backup instance id (as real alertTargetIDs give it) starts the drill with the id in its documented casing', async () => {
    const r = rig();
    const res = await r.http(post(BACKUP_LOWERCASE, {}, 'alerts'), context().ctx);
    expect(res.status).toBe(202);
    const id = alertDrillId('drill-on-backup-alert', BACKUP_LOWERCASE.data.essentials.alertId, BI);
    expect(res.jsonBody).toMatchObject({
      status: 'started',
      drills: [{ drillId: id, backupInstanceId: BI, started: true }],
    });
    expect((r.driver.getStatus(id)!.input as DrillInput).request.backupInstanceId).toBe(BI);
  });

  it('an alert whose content makes no valid request is a 202 ignored with why (logged), never a 500', async () => {
    const r = rig();
    // A plan whose request cannot be built (here: its target lost), as an alert's content could make it.
    const broken = PLANS.map((p) =>
      p.kind === 'single' ? { ...p, request: { ...p.request, target: undefined as never } } : p,
    );
    const handler = createAlertHttpHandler({
      settings: () => DEFAULT_SETTINGS,
      plans: () => broken,
      triggers: () => TRIGGERS,
      datasourceOf: () => Promise.reject(new Error('not read')),
      clientFor: r.clientFor,
    });
    const c = context();
    const res = await handler(post(BACKUP_LOWERCASE, {}, 'alerts'), c.ctx);
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/the alert cannot start a drill: [\s\S]*\/target: is required/),
    });
    expect(c.lines.join('\n')).toMatch(/"message":"alert ignored"/);
    expect(r.instances()).toEqual([]);
  });

  it('a plan of a Service Health trigger without a cross-region template is logged as a plan problem', () => {
    const set = parsePlanSet(
      JSON.stringify([
        {
          name: 'same-region-fleet',
          schedule: '0 0 2 1 */3 *',
          scope: { vaults: [VAULT] },
          templates: [
            {
              kind: 'flexibleServer',
              request: {
                target: { kind: 'files', containerUrl: 'https://acct.blob.core.windows.net/drills' },
              },
            },
          ],
        },
      ]),
    );
    const c = context();
    const plans = goodPlans(
      set,
      c.ctx,
      JSON.stringify([
        { alertRule: SH.data.essentials.alertRule, plan: 'same-region-fleet', incidentTypes: ['Incident'] },
      ]),
    );
    expect(plans.map((p) => p.name)).toEqual(['same-region-fleet']);
    expect(c.lines.join('\n')).toMatch(/a plan of a Service Health trigger has no cross-region template/);
    // A trigger without incidentTypes is not known to be a Service Health one: nothing logged.
    const ok = context();
    goodPlans(set, ok.ctx, JSON.stringify([{ alertRule: 'backup failure', plan: 'same-region-fleet' }]));
    expect(ok.lines.join('\n')).not.toMatch(/cross-region/);
  });
});
