/**
 * Scheduled pre-flight doctor runs against real components (the emulator over HTTPS with its PostgreSQL
 * clusters, Azurite, the real activities and the replay engine): a plan's doctor schedule starts one run per
 * slot (a retried timer starts none twice); a Data Protection action taken from the app's identity makes a
 * check fail, and the failure reaches a real webhook sink once, naming the plan, the instance, the check, its
 * evidence and its fix; given back, the next run passes and tells the recovery once; a fleet plan's run checks
 * every instance in its scope with its template; GET /api/plans/{name}/doctor shows the latest results.
 */
import { DefaultAzureCredential } from '@azure/identity';
import type { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyVaultSecretReader } from '../../src/activities/secrets';
import { alertsInstanceId } from '../../src/activities/outcome';
import { createPlanDoctorHandler } from '../../src/functions/planDoctor';
import { createDrillTimerHandler, type PlanRun } from '../../src/functions/timer';
import { driverClient } from '../../src/host/driverClient';
import type { Alert } from '../../src/lib/alerts/alerts';
import { AlertSender, parseAlertConfig } from '../../src/lib/alerts/deliver';
import type { DoctorResult } from '../../src/lib/doctor/types';
import { parsePlans, type NormalizedPlan } from '../../src/lib/drill/plans';
import type { DoctorRunReport } from '../../src/orchestrators/planDoctor';
import type { DeliveryResult } from '../../src/orchestrators/deliverAlerts';
import type { SinkRecord } from '../../emulator/sinks';
import { arm, armToken } from '../support/emulator';
import {
  FAST_SETTINGS,
  FLEX_BI,
  SINGLE_BI,
  singleDatabaseRequest,
  startDrillRig,
  V,
  type DrillRig,
} from '../support/drill';
import { expectNoSecrets, secretNeedles } from '../support/secrets';
import { context, TIMER } from '../support/triggers';

const KV = 'https://kv-test.vault.azure.net/secrets';
const VALIDATE = 'Microsoft.DataProtection/backupVaults/backupInstances/validateRestore/action';
const credential = new DefaultAzureCredential();
let rig: DrillRig;

beforeAll(async () => {
  const config = parseAlertConfig(
    JSON.stringify({
      webhooks: [
        {
          name: 'doctor',
          format: 'generic',
          urlSecretUri: `${KV}/hook-doctor`,
          on: ['doctorFailed', 'doctorRecovered'],
        },
        { name: 'teams', format: 'teams', urlSecretUri: `${KV}/hook-doctor-teams`, on: ['doctorFailed'] },
      ],
      retry: { maxAttempts: 3, firstDelaySeconds: 0.3, maxDelaySeconds: 1 },
    }),
  )!;
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    deps: () => ({
      alerts: { config, sender: new AlertSender({ credential, secret: keyVaultSecretReader(credential) }) },
    }),
  });
  const vault = rig.emu.ctx.secrets.get('kv-test')!;
  vault.set('hook-doctor', `${rig.emu.arm}/_sinks/webhooks/doctor`);
  vault.set('hook-doctor-teams', `${rig.emu.arm}/_sinks/webhooks/doctor-teams`);
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

async function admin(method: string, path: string, body?: unknown) {
  const res = await arm(rig.emu, await armToken(rig.emu), method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body;
}

/** What the emulator's webhook sinks received, as a test outside the process sees them. */
async function received(name: string): Promise<SinkRecord[]> {
  const body = (await admin('GET', '/_emulator/sinks')) as { received: SinkRecord[] };
  return body.received.filter((r) => r.name === name && r.status === 200);
}

function timerAt(plans: NormalizedPlan[], at: string) {
  return createDrillTimerHandler({
    clientFor: () => driverClient(rig.driver),
    settings: () => FAST_SETTINGS,
    plans: () => plans,
    recordSkip: (skip) => rig.reports.recordSkip(skip),
    now: () => new Date(at),
  });
}

async function fire(plans: NormalizedPlan[], at: string): Promise<PlanRun[]> {
  return timerAt(plans, at)(TIMER, context().ctx);
}

async function finished(runId: string): Promise<DoctorRunReport> {
  const status = await rig.driver.waitForCompletion(runId, 120_000);
  expect(status.runtimeStatus, String(status.output)).toBe('Completed');
  return status.output as DoctorRunReport;
}

async function delivered(alertId: string): Promise<DeliveryResult[]> {
  const status = await rig.driver.waitForCompletion(alertsInstanceId(alertId), 60_000);
  expect(status.runtimeStatus).toBe('Completed');
  return status.output as DeliveryResult[];
}

describe('a single plan with a doctor schedule', () => {
  // Drills at 03:00; the doctor every hour. The timer fires at 10:05, 11:05, 12:05 and 13:05.
  const plan = parsePlans(
    JSON.stringify([
      {
        name: 'sched-db',
        schedule: '0 0 3 * * *',
        doctor: { schedule: '0 0 * * * *' },
        request: singleDatabaseRequest(),
      },
    ]),
  );
  const at = (hour: number) => `2030-01-07T${hour}:05:00.000Z`;
  const runId = (hour: number) => `doctor-sched-db@20300107T${hour}0000Z`;

  it('starts one doctor run per slot, however often the timer fires; every check passes; nothing is alerted', async () => {
    await admin('DELETE', '/_emulator/permissions');
    const first = await fire(plan, at(10));
    expect(first).toEqual([
      { plan: 'sched-db', slot: '', outcome: 'notDue' },
      { plan: 'sched-db', slot: '2030-01-07T10:00:00.000Z', outcome: 'doctorStarted', instanceId: runId(10) },
    ]);
    // The timer retried (a crash after the start), while the run goes and after it ended: nothing new.
    const again = await fire(plan, at(10));
    expect(again[1]).toMatchObject({ outcome: 'doctorAlreadyStarted', instanceId: runId(10) });
    const report = await finished(runId(10));
    expect((await fire(plan, '2030-01-07T10:40:00.000Z'))[1]).toMatchObject({
      outcome: 'doctorAlreadyStarted',
      instanceId: runId(10),
    });
    expect(report).toMatchObject({ plan: 'sched-db', status: 'passed', slot: '2030-01-07T10:00:00.000Z' });
    expect(report.counts).toEqual({ requests: 1, passed: 1, failed: 0, errors: 0 });
    expect(report.results).toEqual([
      expect.objectContaining({ backupInstanceId: SINGLE_BI, ok: true, failed: [], alerts: [] }),
    ]);
    // The log names the plan and the instance.
    const line = rig.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'doctor checked');
    expect(line).toMatchObject({ plan: 'sched-db', backupInstanceId: SINGLE_BI, runId: runId(10), ok: true });
  }, 300_000);

  it('a revoked Data Protection action fails a check: one alert names the plan, instance, check, evidence and fix; a second failing run alerts nothing new', async () => {
    await admin('POST', '/_emulator/permissions', { revoke: VALIDATE });
    expect((await fire(plan, at(11)))[1]).toMatchObject({ outcome: 'doctorStarted', instanceId: runId(11) });
    const report = await finished(runId(11));
    expect(report.status).toBe('failed');
    const result = report.results[0]!;
    expect(result.error).toBeUndefined();
    if (result.error) return;
    expect(result.failed).toContain('validate-restore');
    expect(result.alerts).toHaveLength(1);
    const deliveries = await delivered(result.alerts[0]!);
    expect(deliveries.map((d) => [d.destination, d.status])).toEqual([
      ['doctor', 'delivered'],
      ['teams', 'delivered'],
    ]);
    const alerts = (await received('doctor')).map((r) => r.body as Alert & { schema: string });
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(alert).toMatchObject({
      schema: 'pg-restore-drill/alert@1',
      kind: 'doctorFailed',
      severity: 'error',
      plan: 'sched-db',
      doctorRunId: runId(11),
      backupInstanceId: SINGLE_BI,
      restoreFrom: 'primaryRegion',
    });
    expect(alert.title).toBe('Pre-flight check failed for bi-single (plan sched-db)');
    const check = alert.checks!.find((c) => c.id === 'validate-restore')!;
    expect(check.title).toBe('Azure validates the restore request');
    expect(check.evidence).toContain(VALIDATE);
    expect(check.fix).toMatch(/^Grant the app's identity/);
    expect(alert.summary).toContain('Azure validates the restore request');
    // The Teams card shows the check with its evidence and fix as a fact.
    const card = JSON.stringify((await received('doctor-teams'))[0]!.body);
    expect(card).toContain('Failed: Azure validates the restore request');
    expect(card).toContain('Fix: Grant the app');
    expectNoSecrets(JSON.stringify(await received('doctor')) + card, secretNeedles(rig.emu));

    // Still broken an hour later: the run fails again, and nothing is alerted again.
    expect((await fire(plan, at(12)))[1]).toMatchObject({ outcome: 'doctorStarted' });
    const still = await finished(runId(12));
    expect(still.status).toBe('failed');
    expect(still.results[0]).toMatchObject({ alerts: [] });
    expect(await received('doctor')).toHaveLength(1);
  }, 300_000);

  it('given back, the next run passes and tells the recovery once; the API shows the latest results', async () => {
    await admin('DELETE', '/_emulator/permissions');
    expect((await fire(plan, at(13)))[1]).toMatchObject({ outcome: 'doctorStarted' });
    const report = await finished(runId(13));
    expect(report.status).toBe('passed');
    const result = report.results[0]!;
    if (result.error) throw new Error(result.error.message);
    expect(result.alerts).toHaveLength(1);
    await delivered(result.alerts[0]!);
    const kinds = (await received('doctor')).map((r) => (r.body as Alert).kind);
    expect(kinds).toEqual(['doctorFailed', 'doctorRecovered']);
    const recovered = (await received('doctor'))[1]!.body as Alert;
    expect(recovered).toMatchObject({ plan: 'sched-db', backupInstanceId: SINGLE_BI, severity: 'info' });
    expect(recovered.summary).toContain('validate-restore');
    // Teams asked for failures only.
    expect(await received('doctor-teams')).toHaveLength(1);

    const get = createPlanDoctorHandler({
      clientFor: () => driverClient(rig.driver),
      plans: () => plan,
      reports: () => rig.reports,
    });
    const res = await get({ params: { name: 'sched-db' } } as unknown as HttpRequest, context().ctx);
    expect(res.status).toBe(200);
    const body = res.jsonBody as {
      schedule: string;
      lastRun: { runId: string; runtimeStatus: string; report: DoctorRunReport };
      results: (DoctorResult & { runId: string })[];
    };
    expect(body.schedule).toBe('0 0 * * * *');
    expect(body.lastRun).toMatchObject({ runId: runId(13), runtimeStatus: 'Completed' });
    expect(body.lastRun.report.status).toBe('passed');
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({ runId: runId(13), backupInstanceId: SINGLE_BI, ok: true });
    expect(body.results[0]!.checks.find((c) => c.id === 'validate-restore')!.status).toBe('passed');
    const missing = await get({ params: { name: 'nope' } } as unknown as HttpRequest, context().ctx);
    expect(missing.status).toBe(404);
    expect(JSON.stringify(missing.jsonBody)).toContain('sched-db');
  }, 300_000);
});

describe('a fleet plan with a doctor schedule', () => {
  it('checks every instance in scope with its template, within the caps, and keeps each result', async () => {
    await admin('DELETE', '/_emulator/permissions');
    const fleet = parsePlans(
      JSON.stringify([
        {
          name: 'sched-fleet',
          schedule: '0 0 3 * * 1',
          doctor: { schedule: '0 30 * * * *' },
          scope: { vaults: [V] },
          templates: [
            { kind: 'flexibleServer', request: { target: rig.filesTarget() } },
            { kind: 'singleServerDatabase', request: { target: singleDatabaseRequest().target } },
          ],
          coverage: { everyDays: 7 },
          maxConcurrent: { total: 1 },
        },
      ]),
    );
    const runs = await fire(fleet, '2030-01-07T10:31:00.000Z');
    expect(runs[1]).toMatchObject({
      outcome: 'doctorStarted',
      instanceId: 'doctor-sched-fleet@20300107T103000Z',
    });
    const report = await finished(runs[1]!.instanceId!);
    expect(report.problems).toEqual([]);
    // Both instances of the vault, each checked with its kind's template, one at a time (total 1).
    expect(report.results.map((r) => r.backupInstanceId).sort()).toEqual([FLEX_BI, SINGLE_BI].sort());
    expect(report.counts).toEqual({ requests: 2, passed: 2, failed: 0, errors: 0 });
    for (const r of report.results) expect(r, JSON.stringify(r)).toMatchObject({ ok: true, alerts: [] });
    expect(report.status).toBe('passed');
    const kept = await rig.reports.doctorResults('sched-fleet');
    expect(kept.map((k) => k.result.backupInstanceId).sort()).toEqual(
      report.results.map((r) => r.backupInstanceId).sort(),
    );
  }, 300_000);
});
