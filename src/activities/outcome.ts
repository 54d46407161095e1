/**
 * What happens once a drill's verdict is saved: alerts are handed to their own orchestration (deliverAlerts,
 * which retries on durable timers), the dashboard is rebuilt and stored, and the metrics event is logged and
 * sent. Only handing over the alerts may fail the activity (so the drill's call retries it and no alert is
 * lost); the dashboard and the metrics are best effort, logged when they fail, and never fail a drill.
 */
import { createHash } from 'node:crypto';
import { alertsForDrill, overdueAlert, type Alert } from '../lib/alerts/alerts';
import { destinationsFor, wantedKinds, type Destination } from '../lib/alerts/deliver';
import { buildDashboard, DASHBOARD_MAX_DRILLS, type Dashboard } from '../lib/drill/dashboard';
import type { DrillReport } from '../lib/drill/report';
import { AppError } from '../lib/errors';
import { metricsOf } from '../lib/telemetry/metrics';
import { orchestrationClientOf, type ActivityDeps, type OrchestrationClient } from './deps';

/** One alert to one destination: what the deliverAlerts orchestration works through. */
export interface AlertDelivery {
  alert: Alert;
  destination: Destination;
}

export interface DeliverAlertsInput {
  deliveries: AlertDelivery[];
  retry: { maxAttempts: number; firstDelaySeconds: number; maxDelaySeconds: number };
}

export const DELIVER_ALERTS = 'deliverAlerts';

/** Instance id of the delivery of a drill's alerts, or of one overdue alert. */
export function alertsInstanceId(alertId: string): string {
  // Readable start, and a hash of the whole id: ARM ids are long, and a cut id would let two alerts (two
  // instances, or two overdue stretches of one) share an instance, and the second never be sent.
  const hash = createHash('sha256').update(alertId).digest('hex').slice(0, 32);
  return `alerts-${alertId.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 80)}-${hash}`;
}

export interface PublishOutcomeOutput {
  alerts: { ids: string[]; instanceId?: string };
  dashboardUrl?: string;
  metrics: 'logged' | 'sent' | 'logged; not sent';
}

/**
 * Starts delivery of `alerts` as one deliverAlerts orchestration (once: an instance that already exists is
 * left alone, so a retried activity sends nothing twice). Says whether it started it, found it started, or
 * had no destination for them.
 */
export async function handOverAlerts(
  deps: ActivityDeps,
  alerts: Alert[],
  instanceId: string,
  client?: OrchestrationClient,
): Promise<'started' | 'exists' | 'none'> {
  const config = deps.alerts?.config;
  if (!config) return 'none';
  const deliveries = alerts.flatMap((alert) =>
    destinationsFor(config, alert.kind).map((destination) => ({ alert, destination })),
  );
  if (!deliveries.length) return 'none';
  const c = orchestrationClientOf(deps, client, 'to start alert delivery');
  if (await c.getStatus(instanceId)) return 'exists';
  const input: DeliverAlertsInput = { deliveries, retry: config.retry };
  await c.startNew(DELIVER_ALERTS, instanceId, input);
  deps.log?.('alerts handed over for delivery', {
    instanceId,
    alerts: alerts.map((a) => a.id),
    destinations: deliveries.length,
  });
  return 'started';
}

export function outcomeActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const coverageDays = deps.coverageDays ?? 31;

  const handOver = (alerts: Alert[], instanceId: string, client?: OrchestrationClient) =>
    handOverAlerts(deps, alerts, instanceId, client);

  async function dashboardNow(): Promise<Dashboard> {
    const rows = await deps.reports.recentDrills(DASHBOARD_MAX_DRILLS);
    return buildDashboard(rows, now(), coverageDays);
  }

  return {
    /**
     * After a drill's report is saved: alerts, dashboard, metrics. The report is the one the drill saved
     * (with its evidence), `reportUrl` where its JSON is.
     */
    publishDrillOutcome: async (
      input: { report: DrillReport; reportUrl?: string },
      client?: OrchestrationClient,
    ): Promise<PublishOutcomeOutput> => {
      const { report } = input;
      let dashboard: Dashboard | undefined;
      try {
        dashboard = await dashboardNow();
      } catch (err) {
        log('the dashboard could not be built (no regression check for this drill)', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
      const entry = dashboard?.instances.find(
        (e) => e.backupInstanceId.toLowerCase() === report.request.backupInstanceId.toLowerCase(),
      );
      const alerts = alertsForDrill(
        report,
        entry?.regression,
        wantedKinds(deps.alerts?.config),
        input.reportUrl,
      );
      const instanceId = alertsInstanceId(report.drillId);
      // Throws when delivery cannot be started: the drill's call retries, so no alert is lost.
      const started = alerts.length ? (await handOver(alerts, instanceId, client)) !== 'none' : false;

      let dashboardUrl: string | undefined;
      if (dashboard)
        try {
          dashboardUrl = (await deps.reports.saveDashboard(dashboard)).htmlUrl;
        } catch (err) {
          log('the dashboard could not be stored', {
            error: err instanceof Error ? err.message : String(err),
          });
        }

      const event = metricsOf(report);
      // One structured line per finished drill: in Azure a trace, queryable with parse_json (docs/operations.md).
      log('drill metrics', {
        event: event.name,
        properties: event.properties,
        measurements: event.measurements,
      });
      let metrics: PublishOutcomeOutput['metrics'] = 'logged';
      if (deps.metrics)
        try {
          await deps.metrics.track(event);
          metrics = 'sent';
        } catch (err) {
          metrics = 'logged; not sent';
          log('the metrics event could not be sent to Application Insights', {
            error: err instanceof Error ? err.message : String(err),
          });
        }
      return {
        alerts: { ids: alerts.map((a) => a.id), ...(started ? { instanceId } : {}) },
        ...(dashboardUrl ? { dashboardUrl } : {}),
        metrics,
      };
    },

    /** One delivery attempt (the orchestration retries what may pass). */
    sendAlert: async (input: AlertDelivery): Promise<{ status: number }> => {
      if (!deps.alerts)
        throw new AppError('AlertsNotConfigured', 'alerts are not configured (DRILL_ALERTS is unset)');
      return deps.alerts.sender.send(input.destination, input.alert);
    },

    /**
     * The sweeper's look at coverage: each backup instance without a passed drill in DRILL_COVERAGE_DAYS
     * raises one overdue alert per stretch of being overdue. Returns the instances found overdue.
     */
    alertOverdue: async (
      _input: Record<string, never>,
      client?: OrchestrationClient,
    ): Promise<{ overdue: string[]; alerted: string[] }> => {
      const dashboard = await dashboardNow();
      // Never passed: overdue once its first drill is older than the window (a new instance's first failed
      // drill is told by its failed alert, not as overdue).
      const cutoff = now().getTime() - coverageDays * 86_400_000;
      const overdue = dashboard.instances.filter(
        (e) => e.coverage === 'overdue' || (e.coverage === 'never' && Date.parse(e.firstStartedAt) < cutoff),
      );
      const alerted: string[] = [];
      if (wantedKinds(deps.alerts?.config).includes('overdue'))
        for (const entry of overdue) {
          const alert = overdueAlert(entry, coverageDays, now());
          if ((await handOver([alert], alertsInstanceId(alert.id), client)) === 'started')
            alerted.push(alert.id);
        }
      return { overdue: overdue.map((e) => e.backupInstanceId), alerted };
    },
  };
}
