/**
 * Alerts: what is worth telling people (a drill failed, a target was missed, an RTO regressed, an instance has
 * gone without a passed drill for too long, optionally a drill passed) and how each destination wants it
 * written: generic JSON, a Microsoft Teams or Slack incoming webhook, or a CloudEvent for Event Grid. Pure:
 * delivery and retries are in src/lib/alerts/deliver.ts and src/orchestrators/deliverAlerts.ts.
 *
 * An alert never carries a secret: ids, names, verdicts, codes, durations and the report's location only.
 */
import type { DashboardEntry, Regression } from '../drill/dashboard';
import type { DrillReport } from '../drill/report';
import { dur } from '../drill/report';

export type AlertKind =
  'failed' | 'targetMissed' | 'regression' | 'overdue' | 'passed' | 'doctorFailed' | 'doctorRecovered';
export const ALERT_KINDS: readonly AlertKind[] = [
  'failed',
  'targetMissed',
  'regression',
  'overdue',
  'passed',
  'doctorFailed',
  'doctorRecovered',
];
/** What is alerted when the configuration does not say (a passed drill is news only to those who ask). */
export const DEFAULT_ALERT_ON: readonly AlertKind[] = [
  'failed',
  'targetMissed',
  'regression',
  'overdue',
  'doctorFailed',
  'doctorRecovered',
];

/** A failed pre-flight check as an alert names it (evidence and fix are never secrets: the doctor's contract). */
export interface AlertCheck {
  id: string;
  title: string;
  evidence: string;
  fix?: string;
}

export interface Alert {
  /** Stable: the same occurrence always has the same id (receivers can drop duplicates of a retry). */
  id: string;
  kind: AlertKind;
  severity: 'error' | 'warning' | 'info';
  title: string;
  summary: string;
  occurredAt: string;
  backupInstanceId: string;
  drillId?: string;
  verdict?: string;
  failureCode?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  regression?: Regression;
  lastPassedAt?: string;
  coverageDays?: number;
  /** Where the report (JSON) is kept. */
  reportUrl?: string;
  /** Recommended actions of the failure. */
  actions?: string[];
  /** The plan whose scheduled doctor run raised the alert (doctorFailed, doctorRecovered). */
  plan?: string;
  /** The doctor run (doctorFailed, doctorRecovered). */
  doctorRunId?: string;
  restoreFrom?: 'primaryRegion' | 'secondaryRegion';
  /** The checks that failed (doctorFailed). */
  checks?: AlertCheck[];
}

function instanceName(id: string): string {
  return id.split('/').filter(Boolean).at(-1) ?? id;
}

/**
 * The alerts one finished drill raises: failed (any failure but a missed target), targetMissed, regression
 * (the drill's RTO regressed), passed; those in `on` only. A cancelled drill raises none.
 */
export function alertsForDrill(
  report: DrillReport,
  regression: Regression | undefined,
  on: readonly AlertKind[],
  reportUrl?: string,
): Alert[] {
  const name = instanceName(report.request.backupInstanceId);
  const base = {
    occurredAt: report.endedAt,
    backupInstanceId: report.request.backupInstanceId,
    drillId: report.drillId,
    verdict: report.verdict,
    ...(report.rtoSeconds !== undefined ? { rtoSeconds: report.rtoSeconds } : {}),
    ...(report.rpoSeconds !== undefined ? { rpoSeconds: report.rpoSeconds } : {}),
    ...(reportUrl ? { reportUrl } : {}),
  };
  const out: Alert[] = [];
  const failure = report.failure;
  if (report.verdict === 'failed') {
    const kind: AlertKind = failure?.code === 'TargetMissed' ? 'targetMissed' : 'failed';
    const code = failure?.code ?? 'CheckFailed';
    const what =
      failure?.message ??
      `${report.verification.filter((c) => c.status !== 'passed' && c.status !== 'skipped').length} check(s) failed`;
    out.push({
      ...base,
      id: `${report.drillId}:${kind}`,
      kind,
      severity: kind === 'failed' ? 'error' : 'warning',
      title:
        kind === 'failed'
          ? `Restore drill FAILED for ${name}`
          : `Restore drill missed its target for ${name}`,
      summary: `${code}${failure?.phase ? ` in ${failure.phase}` : ''}: ${what}`,
      failureCode: code,
      ...(failure?.recommendedActions?.length ? { actions: failure.recommendedActions } : {}),
    });
  }
  if (regression && regression.drillId === report.drillId)
    out.push({
      ...base,
      id: `${report.drillId}:regression`,
      kind: 'regression',
      severity: 'warning',
      title: `Restore time regressed for ${name}`,
      summary: `RTO ${dur(regression.rtoSeconds)}, above 1.5 × the 90th percentile (${dur(regression.p90Seconds)}) of the ${regression.previous} drills before it`,
      regression,
    });
  if (report.verdict === 'passed')
    out.push({
      ...base,
      id: `${report.drillId}:passed`,
      kind: 'passed',
      severity: 'info',
      title: `Restore drill passed for ${name}`,
      summary: `RTO ${dur(report.rtoSeconds)}, RPO ${dur(report.rpoSeconds)}`,
    });
  return out.filter((a) => on.includes(a.kind));
}

/**
 * The overdue alert of an instance without a passed drill within the coverage window. Its id names the last
 * passed drill's time, so one stretch of being overdue raises one alert, however often it is looked at.
 */
export function overdueAlert(entry: DashboardEntry, coverageDays: number, now: Date): Alert {
  const since = entry.lastPassedAt ?? 'never';
  return {
    id: `overdue:${entry.backupInstanceId.toLowerCase()}:${since}`,
    kind: 'overdue',
    severity: 'warning',
    title: entry.lastPassedAt
      ? `No passed restore drill for ${entry.name} in ${coverageDays} days`
      : `No restore drill of ${entry.name} has ever passed (first drill ${entry.firstStartedAt})`,
    summary: entry.lastPassedAt
      ? `last passed drill started ${entry.lastPassedAt}; the last drill (${entry.last.drillId}) ${entry.last.verdict}`
      : `no drill of this instance has passed; the last one (${entry.last.drillId}) ${entry.last.verdict}`,
    occurredAt: now.toISOString(),
    backupInstanceId: entry.backupInstanceId,
    drillId: entry.last.drillId,
    verdict: entry.last.verdict,
    ...(entry.lastPassedAt ? { lastPassedAt: entry.lastPassedAt } : {}),
    coverageDays,
  };
}

/** Facts shown by the chat formats, in order. */
function facts(a: Alert): [string, string][] {
  const f: [string, string][] = [['Backup instance', a.backupInstanceId]];
  if (a.plan) f.push(['Plan', a.plan]);
  if (a.doctorRunId) f.push(['Doctor run', a.doctorRunId]);
  if (a.drillId) f.push(['Drill', a.drillId]);
  if (a.verdict) f.push(['Verdict', a.verdict]);
  if (a.failureCode) f.push(['Code', a.failureCode]);
  if (a.rtoSeconds !== undefined) f.push(['RTO', dur(a.rtoSeconds)]);
  if (a.rpoSeconds !== undefined) f.push(['RPO', dur(a.rpoSeconds)]);
  if (a.lastPassedAt) f.push(['Last passed', a.lastPassedAt]);
  if (a.reportUrl) f.push(['Report', a.reportUrl]);
  for (const action of a.actions ?? []) f.push(['Recommended action', action]);
  for (const c of a.checks ?? [])
    f.push([`Failed: ${c.title}`, c.fix ? `${c.evidence} Fix: ${c.fix}` : c.evidence]);
  return f;
}

export type WebhookFormat = 'generic' | 'teams' | 'slack';

/** The generic JSON body: the alert itself, with a schema name receivers can route on. */
export function genericBody(a: Alert): Record<string, unknown> {
  return { schema: 'pg-restore-drill/alert@1', ...a };
}

/** A Microsoft Teams incoming-webhook (Workflows) message: one Adaptive Card. */
export function teamsBody(a: Alert): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              wrap: true,
              color: a.severity === 'error' ? 'Attention' : a.severity === 'warning' ? 'Warning' : 'Good',
              text: a.title,
            },
            { type: 'TextBlock', wrap: true, text: a.summary },
            { type: 'FactSet', facts: facts(a).map(([title, value]) => ({ title, value })) },
          ],
        },
      },
    ],
  };
}

/** Slack's mrkdwn needs &, < and > escaped; cut (after escaping) to `max`, Slack's limit for the block. */
function slackText(s: string, max = 2900): string {
  const text = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A Slack incoming-webhook message: text for notifications, blocks for the channel. */
export function slackBody(a: Alert): Record<string, unknown> {
  return {
    text: slackText(`${a.title}: ${a.summary}`),
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: a.title.length > 150 ? `${a.title.slice(0, 149)}…` : a.title },
      },
      { type: 'section', text: { type: 'mrkdwn', text: slackText(a.summary) } },
      {
        type: 'section',
        fields: facts(a)
          .slice(0, 10)
          .map(([k, v]) => ({ type: 'mrkdwn', text: `*${slackText(k, 100)}*\n${slackText(v, 1800)}` })),
      },
    ],
  };
}

export function webhookBody(a: Alert, format: WebhookFormat): Record<string, unknown> {
  return format === 'teams' ? teamsBody(a) : format === 'slack' ? slackBody(a) : genericBody(a);
}

/** CloudEvents 1.0 (JSON) for Event Grid: type pg-restore-drill.<kind>, the backup instance as subject. */
export function cloudEvent(a: Alert, source: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: a.id,
    type: `pg-restore-drill.${a.kind}`,
    source,
    subject: a.backupInstanceId,
    time: a.occurredAt,
    datacontenttype: 'application/json',
    data: genericBody(a),
  };
}
