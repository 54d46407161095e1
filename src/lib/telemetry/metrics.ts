/**
 * The metrics event of a finished drill: one `DrillFinished` event with its dimensions (verdict, code, plan,
 * instance, trigger) and measurements (RTO, RPO, each phase's seconds). It is logged as one structured line
 * (in Azure, a trace), and, when APPLICATIONINSIGHTS_CONNECTION_STRING is set, also sent to Application
 * Insights as a custom event, where the dimensions become customDimensions and the measurements
 * customMeasurements (docs/operations.md has the KQL). Nothing here is a secret: ids, names, codes and numbers.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { DrillReport } from '../drill/report';
import { AppError } from '../errors';

export const METRICS_EVENT = 'DrillFinished';

export interface MetricsEvent {
  name: typeof METRICS_EVENT;
  time: string;
  properties: Record<string, string>;
  measurements: Record<string, number>;
}

/** The metrics event of a report. Pure. */
export function metricsOf(report: DrillReport): MetricsEvent {
  const properties: Record<string, string> = {
    drillId: report.drillId,
    verdict: report.verdict,
    backupInstanceId: report.request.backupInstanceId,
    backupInstance: report.request.backupInstanceId.split('/').filter(Boolean).at(-1) ?? '',
    targetKind: report.request.target.kind,
    trigger: report.trigger?.kind ?? 'http',
  };
  if (report.failure) {
    properties.failureCode = report.failure.code;
    properties.failurePhase = report.failure.phase;
  }
  if (report.trigger?.plan) properties.plan = report.trigger.plan;
  if (report.trigger?.fleetId) properties.fleetId = report.trigger.fleetId;
  if (report.rtoBasis) properties.rtoBasis = report.rtoBasis;
  if (report.recoveryPoint) properties.dataStore = report.recoveryPoint.dataStore;
  if (report.objectives?.rto) properties.rtoTargetMet = String(report.objectives.rto.met);
  if (report.objectives?.rpo) properties.rpoTargetMet = String(report.objectives.rpo.met);
  if (report.cleanup) properties.cleanupStatus = report.cleanup.status;

  const measurements: Record<string, number> = { durationSeconds: report.durationSeconds };
  if (report.rtoSeconds !== undefined) measurements.rtoSeconds = report.rtoSeconds;
  if (report.rpoSeconds !== undefined) measurements.rpoSeconds = report.rpoSeconds;
  if (report.detectionLagSeconds !== undefined) measurements.detectionLagSeconds = report.detectionLagSeconds;
  if (report.job?.azureDurationSeconds !== undefined)
    measurements.azureJobSeconds = report.job.azureDurationSeconds;
  if (report.objectives?.rto) measurements.rtoTargetSeconds = report.objectives.rto.targetSeconds;
  if (report.objectives?.rpo) measurements.rpoTargetSeconds = report.objectives.rpo.targetSeconds;
  for (const p of report.phases)
    if (p.durationSeconds !== undefined) measurements[`${p.name}Seconds`] = p.durationSeconds;
  measurements.checks = report.verification.length;
  measurements.checksFailed = report.verification.filter(
    (c) => c.status === 'failed' || c.status === 'error',
  ).length;
  return { name: METRICS_EVENT, time: report.endedAt, properties, measurements };
}

/** The parts of an Application Insights connection string the ingestion call needs. */
export function parseAppInsights(connectionString: string): { iKey: string; ingestion: string } {
  const parts = new Map(
    connectionString
      .split(';')
      .map((kv) => kv.split(/=(.*)/s, 2) as [string, string | undefined])
      .filter(([k, v]) => k.trim() && v !== undefined)
      .map(([k, v]) => [k.trim().toLowerCase(), v!.trim()]),
  );
  const iKey = parts.get('instrumentationkey');
  if (!iKey)
    throw new AppError(
      'InvalidAppInsightsConnectionString',
      'APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey',
      {
        recommendedActions: ["Copy the connection string from the Application Insights resource's Overview."],
      },
    );
  const ingestion = (parts.get('ingestionendpoint') ?? 'https://dc.services.visualstudio.com/').replace(
    /\/?$/,
    '/',
  );
  return { iKey, ingestion };
}

/** The Application Insights envelope of a custom event (the ingestion API's EventData). Pure. */
export function eventEnvelope(event: MetricsEvent, iKey: string, role: string): Record<string, unknown> {
  return {
    name: `Microsoft.ApplicationInsights.${iKey.replace(/-/g, '')}.Event`,
    time: event.time,
    iKey,
    tags: { 'ai.cloud.role': role },
    data: {
      baseType: 'EventData',
      baseData: { ver: 2, name: event.name, properties: event.properties, measurements: event.measurements },
    },
  };
}

/** Monitor's scope for Microsoft Entra-authenticated ingestion. */
export const MONITOR_SCOPE = 'https://monitor.azure.com//.default';

/** Sends custom events to Application Insights' ingestion endpoint (one attempt, 10 s). */
export class AppInsightsSink {
  private readonly pipeline: Pipeline;
  private readonly http: HttpClient;
  private readonly target: { iKey: string; ingestion: string };

  constructor(options: {
    connectionString: string;
    /** Entra authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING with Authorization=AAD). */
    credential?: TokenCredential;
    role?: string;
    httpClient?: HttpClient;
  }) {
    this.target = parseAppInsights(options.connectionString);
    this.http = options.httpClient ?? createDefaultHttpClient();
    this.pipeline = createEmptyPipeline();
    if (options.credential)
      this.pipeline.addPolicy(
        bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: MONITOR_SCOPE }),
      );
    this.role = options.role ?? 'pg-restore-drill';
  }

  private readonly role: string;

  async track(event: MetricsEvent): Promise<void> {
    const request = createPipelineRequest({
      url: `${this.target.ingestion}v2.1/track`,
      method: 'POST',
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify([eventEnvelope(event, this.target.iKey, this.role)]),
      timeout: 10_000,
    });
    const response = await this.pipeline.sendRequest(this.http, request);
    if (response.status !== 200 && response.status !== 206)
      throw new AppError('MetricsRejected', `Application Insights answered HTTP ${response.status}`, {
        isRetryable: response.status === 429 || response.status >= 500,
      });
  }
}
