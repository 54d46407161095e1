/**
 * Alerts, dashboard and metrics of real drills (emulator over HTTPS, real PostgreSQL, Azurite, the replay
 * engine): a failed drill's alert reaches the emulator's sinks in all three webhook formats and as a CloudEvent
 * published with the managed identity, a webhook that fails twice is retried on durable timers and gets it the
 * third time, one that refuses (404) is not retried; a missed target raises targetMissed; the metrics event
 * reaches Application Insights' ingestion with its dimensions and measurements; the dashboard (stored after each
 * drill and served) flags an RTO regression; an overdue instance raises one alert, however often it is looked at.
 * No alert carries a webhook URL or a password.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/lib/alerts/alerts';
import { AlertSender, parseAlertConfig, type AlertConfig } from '../../src/lib/alerts/deliver';
import type { ActivityDeps } from '../../src/activities/deps';
import { driverClient } from '../../src/host/driverClient';
import { keyVaultSecretReader } from '../../src/activities/secrets';
import { alertsInstanceId, outcomeActivities } from '../../src/activities/outcome';
import type { DeliveryResult } from '../../src/orchestrators/deliverAlerts';
import { createDashboardHandler } from '../../src/functions/dashboard';
import type { Dashboard } from '../../src/lib/drill/dashboard';
import type { DrillReport } from '../../src/lib/drill/report';
import { AppInsightsSink } from '../../src/lib/telemetry/metrics';
import type { SinkRecord } from '../../emulator/sinks';
import { SINGLE_BI, singleDatabaseRequest, startDrillRig, type DrillRig } from '../support/drill';

const KV = 'https://kv-test.vault.azure.net/secrets';
const IKEY = '11111111-2222-3333-4444-555555555555';

let rig: DrillRig;
const credential = new DefaultAzureCredential();
let config: AlertConfig;

/** What the emulator's sinks received so far. */
async function received(): Promise<SinkRecord[]> {
  // Through the admin route, as a test outside the process would see them.
  const res = await fetch(`${rig.emu.arm}/_emulator/sinks`, {
    headers: {
      authorization: `Bearer ${(await credential.getToken('https://management.azure.com/.default')).token}`,
    },
  });
  return ((await res.json()) as { received: SinkRecord[] }).received;
}

async function delivered(drillOrAlertId: string): Promise<DeliveryResult[]> {
  const status = await rig.driver.waitForCompletion(alertsInstanceId(drillOrAlertId), 60_000);
  expect(status.runtimeStatus).toBe('Completed');
  return status.output as DeliveryResult[];
}

beforeAll(async () => {
  config = parseAlertConfig(
    JSON.stringify({
      on: ['failed', 'targetMissed', 'regression', 'overdue'],
      webhooks: [
        { name: 'generic', format: 'generic', urlSecretUri: `${KV}/hook-generic` },
        { name: 'teams', format: 'teams', urlSecretUri: `${KV}/hook-teams` },
        { name: 'slack', format: 'slack', urlSecretUri: `${KV}/hook-slack`, on: ['failed'] },
        { name: 'refusing', format: 'generic', urlSecretUri: `${KV}/hook-refusing`, on: ['failed'] },
      ],
      eventGrid: { topicEndpoint: 'https://placeholder/api/events' },
      retry: { maxAttempts: 5, firstDelaySeconds: 0.3, maxDelaySeconds: 1 },
    }),
  )!;
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    deps: (emu) => {
      config.eventGrid = { topicEndpoint: `${emu.arm}/_sinks/eventgrid/drills/api/events` };
      return {
        alerts: { config, sender: new AlertSender({ credential, secret: keyVaultSecretReader(credential) }) },
        metrics: new AppInsightsSink({
          connectionString: `InstrumentationKey=${IKEY};IngestionEndpoint=${emu.arm}/_sinks/appinsights/`,
          credential,
        }),
        coverageDays: 31,
      };
    },
  });
  const vault = rig.emu.ctx.secrets.get('kv-test')!;
  vault.set('hook-generic', `${rig.emu.arm}/_sinks/webhooks/generic?failFirst=2`);
  vault.set('hook-teams', `${rig.emu.arm}/_sinks/webhooks/teams`);
  vault.set('hook-slack', `${rig.emu.arm}/_sinks/webhooks/slack`);
  vault.set('hook-refusing', `${rig.emu.arm}/_sinks/webhooks/refusing?failFirst=100&status=404`);
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

describe('alerts of a failed drill', () => {
  let report: DrillReport;
  let results: DeliveryResult[];

  beforeAll(async () => {
    // A check that cannot pass on this data: the drill restores, verifies and fails.
    report = (
      await rig.run(singleDatabaseRequest({ verify: { tables: [{ name: 'public.orders', minRows: 1e9 }] } }))
    ).report;
    results = await delivered(report.drillId);
  }, 240_000);

  it('fails the drill and delivers to every destination that wants it, retrying what may pass', () => {
    expect(report.verdict).toBe('failed');
    const by = Object.fromEntries(results.map((r) => [r.destination, r]));
    expect(Object.keys(by).sort()).toEqual(['eventGrid', 'generic', 'refusing', 'slack', 'teams']);
    expect(by.generic).toMatchObject({ status: 'delivered', attempts: 3, httpStatus: 200 });
    expect(by.teams).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(by.slack).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(by.eventGrid).toMatchObject({ status: 'delivered', attempts: 1 });
    // 404 will not pass by waiting: one attempt, and the reason.
    expect(by.refusing).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'AlertRejected' } });
    expect(by.refusing!.error!.message).toContain('HTTP 404');
  });

  it('writes each format as its receiver expects', async () => {
    const mine = (await received()).filter((r) => JSON.stringify(r.body).includes(report.drillId));
    const generic = mine.filter((r) => r.name === 'generic');
    expect(generic.map((r) => r.status)).toEqual([503, 503, 200]);
    const g = generic[2]!.body as Alert & { schema: string };
    expect(g).toMatchObject({
      schema: 'pg-restore-drill/alert@1',
      kind: 'failed',
      drillId: report.drillId,
      backupInstanceId: SINGLE_BI,
      verdict: 'failed',
      severity: 'error',
    });
    expect(g.summary).toBe(
      'VerificationFailed in verify: table public.orders (shop): 10 row(s) counted in public.orders; minimum 1000000000',
    );

    const teams = mine.find((r) => r.name === 'teams')!.body as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; body: { type: string; facts?: { title: string; value: string }[] }[] };
      }[];
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard');
    const facts = teams.attachments[0]!.content.body.find((b) => b.type === 'FactSet')!.facts!;
    expect(facts).toContainEqual({ title: 'Drill', value: report.drillId });

    const slack = mine.find((r) => r.name === 'slack')!.body as { text: string; blocks: { type: string }[] };
    expect(slack.text).toContain('FAILED');
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);

    const grid = mine.find((r) => r.sink === 'eventGrid')!;
    expect(grid.contentType).toMatch(/^application\/cloudevents-batch\+json/);
    const [event] = grid.body as Record<string, unknown>[];
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'pg-restore-drill.failed',
      subject: SINGLE_BI,
      id: `${report.drillId}:failed`,
      source: 'pg-restore-drill',
    });
  });

  it('never sends a webhook URL or a password', async () => {
    const text = JSON.stringify(await received());
    expect(text).not.toContain('_sinks/webhooks');
    expect(text).not.toMatch(/password/i);
    expect(rig.logs.join('\n')).not.toContain('_sinks/webhooks');
  });

  it('sends the metrics event to Application Insights with dimensions and measurements, and logs it', async () => {
    const track = (await received()).filter(
      (r) => r.sink === 'appInsights' && JSON.stringify(r.body).includes(report.drillId),
    );
    expect(track).toHaveLength(1);
    expect(track[0]!.status).toBe(200);
    const [envelope] = track[0]!.body as {
      iKey: string;
      name: string;
      data: {
        baseType: string;
        baseData: { name: string; properties: Record<string, string>; measurements: Record<string, number> };
      };
    }[];
    expect(envelope!.iKey).toBe(IKEY);
    expect(envelope!.data.baseType).toBe('EventData');
    expect(envelope!.data.baseData.name).toBe('DrillFinished');
    expect(envelope!.data.baseData.properties).toMatchObject({
      drillId: report.drillId,
      verdict: 'failed',
      failureCode: report.failure?.code ?? expect.any(String),
      backupInstance: 'bi-single',
    });
    expect(envelope!.data.baseData.measurements.checksFailed).toBe(1);
    expect(envelope!.data.baseData.measurements.restoreSeconds).toBeGreaterThan(0);
    expect(rig.logs.some((l) => l.includes('"drill metrics"') && l.includes(report.drillId))).toBe(true);
  });

  it('stores the dashboard after the drill', async () => {
    const blob = rig.reports['blobs' as never] as import('@azure/storage-blob').BlobServiceClient;
    const container = blob.getContainerClient(`${rig.storagePrefix}-reports`);
    const json = JSON.parse(
      (await container.getBlockBlobClient('dashboard.json').downloadToBuffer()).toString('utf8'),
    ) as Dashboard;
    const entry = json.instances.find((e) => e.backupInstanceId === SINGLE_BI)!;
    expect(entry.last.drillId).toBe(report.drillId);
    expect(entry.last.verdict).toBe('failed');
    const html = (await container.getBlockBlobClient('dashboard.html').downloadToBuffer()).toString('utf8');
    expect(html).toContain('<svg class="spark"');
    expect(html).not.toMatch(/<script/i);
  });
});

describe('a missed target', () => {
  it('raises targetMissed (not failed), to the destinations that want it', async () => {
    const { report } = await rig.run(singleDatabaseRequest({ targets: { rtoMinutes: 0.001 } }));
    expect(report.failure?.code).toBe('TargetMissed');
    const results = await delivered(report.drillId);
    expect(results.map((r) => r.destination).sort()).toEqual(['eventGrid', 'generic', 'teams']);
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
    const generic = (await received()).find(
      (r) => r.name === 'generic' && r.status === 200 && JSON.stringify(r.body).includes(report.drillId),
    )!.body as Alert;
    expect(generic.kind).toBe('targetMissed');
    expect(generic.severity).toBe('warning');
  }, 240_000);
});

describe('the dashboard and regressions', () => {
  it('flags an RTO above 1.5 x the p90 of the drills before it, and alerts once', async () => {
    const instance = `${SINGLE_BI.replace('bi-single', 'bi-regress')}`;
    const base = (await rig.run(singleDatabaseRequest())).report;
    const t0 = Date.parse(base.startedAt) - 3600_000;
    const saveAs = async (i: number, rto: number) => {
      const { evidence: _e, ...rest } = base;
      const r: DrillReport = {
        ...rest,
        drillId: `${base.drillId}-r${i}`,
        startedAt: new Date(t0 + i * 60_000).toISOString(),
        endedAt: new Date(t0 + i * 60_000 + 30_000).toISOString(),
        request: { ...base.request, backupInstanceId: instance },
        rtoSeconds: rto,
      };
      await rig.reports.save(r);
      return r;
    };
    for (const [i, rto] of [20, 22, 21, 25, 19, 23].entries()) await saveAs(i, rto);
    const handler = createDashboardHandler({ reports: () => rig.reports, coverageDays: () => 31 });
    const get = async (query = '') =>
      handler({
        query: new URLSearchParams(query),
        headers: new Headers(),
      } as never);
    let d = (await get()).jsonBody as Dashboard;
    expect(d.instances.find((e) => e.backupInstanceId === instance)!.regression).toBeUndefined();

    const slow = await saveAs(6, 60);
    d = (await get()).jsonBody as Dashboard;
    const entry = d.instances.find((e) => e.backupInstanceId === instance)!;
    // p90 of the six before it (nearest rank) is 25 s: 60 s is above 37.5 s.
    expect(entry.regression).toEqual({
      drillId: slow.drillId,
      rtoSeconds: 60,
      p90Seconds: 25,
      thresholdSeconds: 37.5,
      previous: 6,
    });
    expect(entry.rto.map((p) => p.seconds)).toEqual([20, 22, 21, 25, 19, 23, 60]);
    const page = await get('format=html');
    expect(page.headers).toMatchObject({
      'Content-Security-Policy': expect.stringContaining("default-src 'none'"),
    });
    expect(page.body as string).toContain('REGRESSION');
    expect((await get('format=xml')).status).toBe(400);

    // The drill's outcome raises the regression alert.
    const out = await rig.activities.publishDrillOutcome({ report: slow });
    expect(out.alerts.ids).toContain(`${slow.drillId}:regression`);
    const results = await delivered(slow.drillId);
    expect(
      results
        .filter((r) => r.alertId.endsWith(':regression'))
        .map((r) => r.destination)
        .sort(),
    ).toEqual(['eventGrid', 'generic', 'teams']);
  }, 240_000);
});

describe('coverage overdue', () => {
  it('alerts once per instance for one stretch of being overdue', async () => {
    // The same activities 40 days on: every instance's last passed drill is older than the 31-day window.
    const later = outcomeActivities({
      ...({} as ActivityDeps),
      reports: rig.reports,
      alerts: { config, sender: new AlertSender({ credential, secret: keyVaultSecretReader(credential) }) },
      coverageDays: 31,
      now: () => new Date(Date.now() + 40 * 86_400_000),
      orchestrations: { client: driverClient(rig.driver) },
    });
    const first = await later.alertOverdue({});
    expect(first.overdue).toContain(SINGLE_BI);
    const mine = first.alerted.find((id) => id.startsWith(`overdue:${SINGLE_BI.toLowerCase()}:`))!;
    expect(mine).toBeDefined();
    const results = await delivered(mine);
    expect(results.map((r) => r.destination).sort()).toEqual(['eventGrid', 'generic', 'teams']);
    const body = (await received()).find(
      (r) => r.name === 'teams' && JSON.stringify(r.body).includes('No passed restore drill'),
    );
    expect(body).toBeDefined();
    // Looked at again (the next sweep): the same stretch, no second alert.
    const second = await later.alertOverdue({});
    expect(second.overdue).toContain(SINGLE_BI);
    expect(second.alerted).toEqual([]);
  }, 120_000);
});
