/**
 * The pure parts of alerts, dashboard and metrics: the alert configuration's errors name the field, each
 * destination gets the kinds it asked for, chat formats escape what they must, the p90 is by nearest rank, a
 * regression needs three previous drills, coverage and ordering on the dashboard, the page has no scripts and
 * escapes hostile ids, and the Application Insights connection string and envelope.
 */
import { describe, expect, it } from 'vitest';
import { alertsInstanceId } from '../../src/activities/outcome';
import { alertsForDrill, cloudEvent, slackBody, type Alert } from '../../src/lib/alerts/alerts';
import { destinationsFor, parseAlertConfig, wantedKinds } from '../../src/lib/alerts/deliver';
import {
  buildDashboard,
  percentile,
  regressionOf,
  renderDashboardHtml,
  type DashboardDrill,
} from '../../src/lib/drill/dashboard';
import type { DrillReport } from '../../src/lib/drill/report';
import { ValidationError } from '../../src/lib/errors';
import { eventEnvelope, metricsOf, parseAppInsights } from '../../src/lib/telemetry/metrics';

const KV = 'https://kv.vault.azure.net/secrets/hook';

describe('alert configuration', () => {
  it('fills defaults and routes kinds per destination', () => {
    const c = parseAlertConfig(
      JSON.stringify({
        webhooks: [
          { name: 'a', format: 'teams', urlSecretUri: KV },
          { name: 'b', format: 'slack', urlSecretUri: KV, on: ['passed'] },
        ],
      }),
    )!;
    expect(c.on).toEqual([
      'failed',
      'targetMissed',
      'regression',
      'overdue',
      'doctorFailed',
      'doctorRecovered',
    ]);
    expect(c.retry).toEqual({ maxAttempts: 8, firstDelaySeconds: 30, maxDelaySeconds: 3600 });
    expect(destinationsFor(c, 'failed').map((d) => d.name)).toEqual(['a']);
    expect(destinationsFor(c, 'passed').map((d) => d.name)).toEqual(['b']);
    expect(wantedKinds(c).sort()).toEqual([
      'doctorFailed',
      'doctorRecovered',
      'failed',
      'overdue',
      'passed',
      'regression',
      'targetMissed',
    ]);
    expect(parseAlertConfig(undefined)).toBeUndefined();
    expect(wantedKinds(undefined)).toEqual([]);
  });

  it.each([
    ['{', ''],
    [JSON.stringify({ webhooks: [{ name: 'a', format: 'email', urlSecretUri: KV }] }), '/webhooks/0/format'],
    [
      JSON.stringify({
        webhooks: [{ name: 'a', format: 'teams', urlSecretUri: 'https://hooks.slack.com/x' }],
      }),
      '/webhooks/0/urlSecretUri',
    ],
    [
      JSON.stringify({
        webhooks: [
          { name: 'a', format: 'teams', urlSecretUri: KV },
          { name: 'A', format: 'slack', urlSecretUri: KV },
        ],
      }),
      '/webhooks/1/name',
    ],
    [JSON.stringify({ on: ['sometimes'] }), '/on/0'],
    [JSON.stringify({ eventGrid: { topicEndpoint: 'http://topic/api/events' } }), '/eventGrid/topicEndpoint'],
    [JSON.stringify({ retry: { maxAttempts: 0 } }), '/retry/maxAttempts'],
  ])('refuses %s naming %s', (json, pointer) => {
    try {
      parseAlertConfig(json);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors.map((e) => e.pointer)).toContain(pointer);
      expect((err as ValidationError).message).toContain('DRILL_ALERTS');
    }
  });
});

const report = (over: Partial<DrillReport> = {}): DrillReport =>
  ({
    schemaVersion: 1,
    drillId: 'drill-1',
    startedAt: '2026-12-01T10:00:00.000Z',
    endedAt: '2026-12-01T10:05:00.000Z',
    durationSeconds: 300,
    request: {
      backupInstanceId:
        '/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi-<b>',
      target: { kind: 'database' },
    },
    phases: [
      { name: 'restore', status: 'succeeded', startedAt: '2026-12-01T10:00:00.000Z', durationSeconds: 120 },
    ],
    verification: [],
    cleanup: { policy: 'always', status: 'done', actions: [] },
    verdict: 'passed',
    rtoSeconds: 150,
    rpoSeconds: 3600,
    ...over,
  }) as unknown as DrillReport;

describe('alerts of a drill', () => {
  it('raises failed, targetMissed, regression and passed only as asked; cancelled raises none', () => {
    const all = ['failed', 'targetMissed', 'regression', 'overdue', 'passed'] as const;
    expect(alertsForDrill(report(), undefined, all).map((a) => a.kind)).toEqual(['passed']);
    expect(alertsForDrill(report(), undefined, ['failed'])).toEqual([]);
    const failed = report({
      verdict: 'failed',
      failure: { code: 'TargetMissed', message: 'RTO over', phase: 'verify' },
    });
    expect(alertsForDrill(failed, undefined, all).map((a) => a.id)).toEqual(['drill-1:targetMissed']);
    const reg = { drillId: 'drill-1', rtoSeconds: 150, p90Seconds: 60, thresholdSeconds: 90, previous: 10 };
    expect(alertsForDrill(report(), reg, all).map((a) => a.kind)).toEqual(['regression', 'passed']);
    // A regression of another drill is not this drill's.
    expect(alertsForDrill(report(), { ...reg, drillId: 'other' }, ['regression'])).toEqual([]);
    expect(alertsForDrill(report({ verdict: 'cancelled' }), reg, ['failed', 'passed'])).toEqual([]);
  });

  it('keeps a long failure within Slack block limits (a 400 would lose the alert)', () => {
    const long = report({
      verdict: 'failed',
      failure: {
        code: 'LoadFailed',
        message: '<x> & '.repeat(2000),
        phase: 'load',
        recommendedActions: ['y'.repeat(5000)],
      },
    });
    const body = slackBody(alertsForDrill(long, undefined, ['failed'])[0]!) as {
      blocks: { text?: { text: string }; fields?: { text: string }[] }[];
    };
    expect(body.blocks[0]!.text!.text.length).toBeLessThanOrEqual(150);
    expect(body.blocks[1]!.text!.text.length).toBeLessThanOrEqual(3000);
    expect(body.blocks[2]!.fields!.length).toBeLessThanOrEqual(10);
    for (const f of body.blocks[2]!.fields!) expect(f.text.length).toBeLessThanOrEqual(2000);
  });

  it('gives every alert its own delivery instance, however long its ARM id', () => {
    const id = (n: string, since: string) =>
      `overdue:/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-backup-prod/providers/microsoft.dataprotection/backupvaults/bv-prod-weu/backupinstances/pgflexprod-pgflexprod-${n}:${since}`;
    const a = alertsInstanceId(id('11111111-1111-1111-1111-111111111111', '2026-01-01T00:00:00.000Z'));
    const b = alertsInstanceId(id('11111111-1111-1111-1111-111111111111', '2026-03-01T00:00:00.000Z'));
    const c = alertsInstanceId(id('11111111-1111-1111-1111-111111111112', '2026-01-01T00:00:00.000Z'));
    expect(new Set([a, b, c]).size).toBe(3);
    for (const x of [a, b, c]) expect(x).toMatch(/^alerts-[A-Za-z0-9._@-]{1,150}$/);
    expect(alertsInstanceId('drill-1')).toBe(alertsInstanceId('drill-1'));
  });

  it('escapes Slack mrkdwn and makes a CloudEvent', () => {
    const [a] = alertsForDrill(report(), undefined, ['passed']) as [Alert];
    expect(JSON.stringify(slackBody(a))).toContain('bi-&lt;b&gt;');
    expect(cloudEvent(a, 'src')).toMatchObject({
      specversion: '1.0',
      id: 'drill-1:passed',
      type: 'pg-restore-drill.passed',
      source: 'src',
    });
  });
});

const drills = (rtos: (number | undefined)[], instance = 'bi', verdict = 'passed'): DashboardDrill[] =>
  rtos.map((rto, i) => ({
    drillId: `${instance}-${i}`,
    backupInstanceId: `/x/backupInstances/${instance}`,
    startedAt: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
    verdict,
    ...(rto !== undefined ? { rtoSeconds: rto } : {}),
  }));

describe('dashboard', () => {
  it('takes the p90 by nearest rank', () => {
    expect(percentile([1], 90)).toBe(1);
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([10, 20, 30], 90)).toBe(30);
  });

  it('flags a regression only above 1.5 x p90 of up to 10 previous drills, with at least 3', () => {
    const newestFirst = (l: DashboardDrill[]) => [...l].reverse();
    expect(regressionOf(newestFirst(drills([10, 10, 100])))).toBeUndefined();
    expect(regressionOf(newestFirst(drills([10, 10, 10, 15])))).toBeUndefined();
    expect(regressionOf(newestFirst(drills([10, 10, 10, 15.01])))).toMatchObject({
      rtoSeconds: 15.01,
      p90Seconds: 10,
      previous: 3,
    });
    // Only the 10 before it count: an old slow drill (100 s) has left the window.
    expect(regressionOf(newestFirst(drills([100, ...Array(10).fill(10), 40])))).toMatchObject({
      previous: 10,
      p90Seconds: 10,
    });
    // Only drills of the same target kind are compared: files-only drills do not load or verify.
    const mixed = [
      ...drills([10, 10, 10]).map((d) => ({ ...d, targetKind: 'files' })),
      { ...drills([100, 100, 100, 100])[3]!, drillId: 'db', targetKind: 'database' },
    ];
    expect(regressionOf(newestFirst(mixed))).toBeUndefined();
    // Drills without an RTO (failed before restoring) are not counted.
    expect(regressionOf(newestFirst(drills([10, 10, 10, undefined, 40])))).toMatchObject({ drillId: 'bi-4' });
  });

  it('puts failing and overdue instances first and says why', () => {
    const now = new Date(Date.UTC(2026, 11, 10));
    const d = buildDashboard(
      [...drills([10, 10], 'ok'), ...drills([10], 'broken', 'failed'), ...drills([10, 10, 10, 40], 'slow')],
      now,
      45,
    );
    expect(d.instances.map((e) => [e.name, e.coverage, e.last.verdict, Boolean(e.regression)])).toEqual([
      ['broken', 'never', 'failed', false],
      ['slow', 'current', 'passed', true],
      ['ok', 'current', 'passed', false],
    ]);
    expect(d.totals).toEqual({ instances: 3, lastPassed: 2, lastFailed: 1, overdue: 1, regressions: 1 });
    expect(buildDashboard(drills([10], 'old'), now, 10).instances[0]!.coverage).toBe('overdue');
    const html = renderDashboardHtml(buildDashboard(drills([10, 12], '<script>x</script>'), now, 45));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html.match(/<svg class="spark"/g)).toHaveLength(1);
  });
});

describe('metrics', () => {
  it('has the dimensions and measurements operators chart', () => {
    const m = metricsOf(report({ trigger: { kind: 'timer', plan: 'nightly' } } as never));
    expect(m.properties).toMatchObject({
      verdict: 'passed',
      plan: 'nightly',
      trigger: 'timer',
      backupInstance: 'bi-<b>',
    });
    expect(m.measurements).toMatchObject({
      rtoSeconds: 150,
      rpoSeconds: 3600,
      restoreSeconds: 120,
      checksFailed: 0,
    });
    const env = eventEnvelope(m, '1111-22', 'role');
    expect(env).toMatchObject({
      name: 'Microsoft.ApplicationInsights.111122.Event',
      iKey: '1111-22',
      data: { baseType: 'EventData' },
    });
  });

  it('reads the connection string, and says what is missing', () => {
    expect(
      parseAppInsights('InstrumentationKey=k;IngestionEndpoint=https://x.in.applicationinsights.azure.com'),
    ).toEqual({
      iKey: 'k',
      ingestion: 'https://x.in.applicationinsights.azure.com/',
    });
    expect(parseAppInsights('InstrumentationKey=k').ingestion).toBe('https://dc.services.visualstudio.com/');
    expect(() => parseAppInsights('IngestionEndpoint=https://x/')).toThrow(/InstrumentationKey/);
  });
});
