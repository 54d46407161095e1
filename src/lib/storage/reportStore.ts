/**
 * Where drill records live: one table row per drill (the index: verdict, times, RTO/RPO, where the report
 * is) and the full report as JSON and HTML blobs. Plan skips are rows too. Azure Table storage in Azure,
 * Azurite locally.
 */
import type { TokenCredential } from '@azure/core-auth';
import { odata, RestError, TableClient } from '@azure/data-tables';
import type { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { currentSignal, deadlinePolicy } from '../deadline';
import { AppError, type FailureInfo } from '../errors';
import type { DrillReport } from '../drill/report';
import type { RestoreFrom } from '../drill/request';
import { renderReportHtml } from '../drill/reportPage';
import { withEvidence, type EvidenceLink } from '../drill/evidence';
import { renderFleetHtml, type FleetReport } from '../drill/fleetReport';
import { renderDashboardHtml, type Dashboard } from '../drill/dashboard';
import { assertValid, schemaRef } from '../validation';
import type { DoctorResult } from '../doctor/types';

export interface ReportLocation {
  table: string;
  blobUrl: string;
  htmlUrl: string;
  /** The evidence the saved report carries (its hash and chain link). */
  evidence: NonNullable<DrillReport['evidence']>;
}

/** The newest report version of a backup instance: the head its next version links to. */
interface ChainHead {
  drillId: string;
  sha256: string;
  /** This version's own link, kept so that saving the same drill again links the same way. */
  previous: string;
}

export interface ReportRow {
  drillId: string;
  /** The request's label, when it had one. */
  label?: string;
  verdict: string;
  startedAt: string;
  endedAt: string;
  backupInstanceId: string;
  targetKind: string;
  rpoSeconds?: number;
  rtoSeconds?: number;
  failureCode?: string;
  cleanupPolicy?: string;
  cleanupStatus?: string;
  reportUrl: string;
  /** The report's evidence hash (evidence.sha256). */
  sha256?: string;
  /** The plan (and fleet run) that started the drill, and how it was started. */
  plan?: string;
  fleetId?: string;
  triggerKind?: string;
  /** The alert that started the drill (trigger kind alert). */
  alertId?: string;
  /** secondaryRegion for a cross-region drill; absent (and on every older row): primaryRegion. */
  restoreFrom?: RestoreFrom;
}

/** What GET /api/drills and `pgdrill history` ask of the history. */
export interface HistoryQuery {
  backupInstance?: string;
  plan?: string;
  verdict?: string;
  since?: Date;
  until?: Date;
  /** At most this many (newest first). */
  top: number;
  /** The cursor a previous page returned: the page after it. */
  after?: string;
}

export interface HistoryPage {
  items: ReportRow[];
  /** Where the next page starts; absent on the last. */
  next?: string;
}

/**
 * History rows sort newest first by their key: 13 digits of (max - startedAt in ms), then the drill id. Pure.
 */
export function historyKey(startedAt: string, drillId: string): string {
  const inverted = 9_999_999_999_999 - Date.parse(startedAt);
  return `${String(inverted).padStart(13, '0')}_${tableKey(drillId)}`;
}

/** A restore POST of a drill: when, and how it failed when it did (definite: Azure refused it for sure). */
export interface RestoreAttempt {
  at: Date;
  error?: FailureInfo;
  definite: boolean;
}

/** The latest doctor result of one plan, backup instance and region (what the next run compares with). */
export interface DoctorRecord {
  plan: string;
  /** The doctor run that produced it. */
  runId: string;
  result: DoctorResult;
}

export interface PlanSkip {
  plan: string;
  slot: string;
  reason: string;
  runningInstanceId?: string;
}

/** Table keys may not contain / \ # ? or control characters. */
export function tableKey(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys refuse
  return value.replace(/[/\\#?\u0000-\u001f\u007f-\u009f]/g, '_');
}

/** Every table request has a time limit, and stops at the current activity's deadline. */
const TABLE_OPTIONS = {
  retryOptions: { maxRetries: 3 },
  additionalPolicies: [{ policy: deadlinePolicy(30_000), position: 'perCall' as const }],
};

export class ReportStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly blobs: BlobServiceClient,
    private readonly containerName: string,
  ) {}

  static create(options: {
    connectionString?: string;
    tableServiceUri?: string;
    blobs: BlobServiceClient;
    tableName: string;
    containerName: string;
    credential: TokenCredential;
  }): ReportStore {
    let table: TableClient;
    if (options.connectionString)
      table = TableClient.fromConnectionString(options.connectionString, options.tableName, {
        allowInsecureConnection: true,
        ...TABLE_OPTIONS,
      });
    else if (options.tableServiceUri)
      table = new TableClient(options.tableServiceUri, options.tableName, options.credential, TABLE_OPTIONS);
    else
      throw new AppError(
        'MissingStorageSetting',
        'set AzureWebJobsStorage (local) or AzureWebJobsStorage__tableServiceUri (Azure) for the drill history table',
      );
    return new ReportStore(table, options.blobs, options.containerName);
  }

  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      await this.table.createTable();
      await this.blobs.getContainerClient(this.containerName).createIfNotExists();
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** A report as `{base}.json` and its page as `{base}.html`, stopping at the current activity's deadline. */
  private async uploadPair(
    base: string,
    report: unknown,
    page: string,
  ): Promise<{ json: BlockBlobClient; html: BlockBlobClient }> {
    await this.ensure();
    const container = this.blobs.getContainerClient(this.containerName);
    const json = container.getBlockBlobClient(`${base}.json`);
    const html = container.getBlockBlobClient(`${base}.html`);
    const abortSignal = currentSignal();
    const text = JSON.stringify(report, null, 2);
    await json.upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      ...(abortSignal ? { abortSignal } : {}),
    });
    await html.upload(page, Buffer.byteLength(page), {
      blobHTTPHeaders: { blobContentType: 'text/html; charset=utf-8' },
      ...(abortSignal ? { abortSignal } : {}),
    });
    return { json, html };
  }

  /**
   * Links a report version into its backup instance's hash chain and keeps the version unchanged as
   * evidence/{drillId}/{sha256}.json. The chain's head row is updated with ETag concurrency, so two drills of one
   * instance saving at once still make one chain. A drill saved again keeps the link it had.
   */
  private async chain(report: DrillReport): Promise<DrillReport> {
    const key = tableKey(report.request.backupInstanceId.toLowerCase());
    const container = this.blobs.getContainerClient(this.containerName);
    for (let attempt = 1; ; attempt++) {
      let head: (ChainHead & { etag?: string }) | undefined;
      try {
        head = await this.table.getEntity<ChainHead>('chain', key);
      } catch (err) {
        ignoreNotFound(err);
      }
      const isHead = head?.drillId === report.drillId;
      // An older drill saved again (cleanup after keepFor, the sweeper) keeps its link, and the head stays.
      const earlier = isHead ? undefined : await this.keptEvidence(report.drillId);
      const previous: EvidenceLink | null = isHead
        ? (JSON.parse(head!.previous) as EvidenceLink | null)
        : earlier
          ? earlier.previous
          : head
            ? { drillId: head.drillId, sha256: head.sha256 }
            : null;
      const linked = withEvidence(report, previous);
      const sha256 = linked.evidence!.sha256;
      const text = JSON.stringify(linked, null, 2);
      const version = container.getBlockBlobClient(`evidence/${tableKey(report.drillId)}/${sha256}.json`);
      await version.upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        abortSignal: currentSignal(),
      });
      if (earlier) return linked;
      const entity = {
        partitionKey: 'chain',
        rowKey: key,
        drillId: report.drillId,
        sha256,
        previous: JSON.stringify(previous),
      };
      try {
        if (head?.etag) await this.table.updateEntity(entity, 'Replace', { etag: head.etag });
        else await this.table.createEntity(entity);
        return linked;
      } catch (err) {
        const lost = err instanceof RestError && (err.statusCode === 412 || err.statusCode === 409);
        // Another drill moved the head first: this version's link is stale, so it is not kept (no fork).
        if (lost) await version.deleteIfExists();
        if (!lost || attempt >= 8) throw err;
      }
    }
  }

  /**
   * The evidence of a version of this drill's report kept earlier, if any (every version of a drill links the
   * same way). Kept versions, not the main report blob, say whether the drill was linked: a save that moved the
   * head and then failed before writing its report has still linked.
   */
  private async keptEvidence(drillId: string): Promise<DrillReport['evidence'] | undefined> {
    const container = this.blobs.getContainerClient(this.containerName);
    for await (const v of container.listBlobsFlat({ prefix: `evidence/${tableKey(drillId)}/` })) {
      const text = (await container.getBlockBlobClient(v.name).downloadToBuffer()).toString('utf8');
      return (JSON.parse(text) as DrillReport).evidence;
    }
    return undefined;
  }

  /** Every kept version of a drill's report (evidence/{drill}/{sha256}.json), as stored. */
  async versions(drillId: string): Promise<{ sha256: string; text: string }[]> {
    await this.ensure();
    const container = this.blobs.getContainerClient(this.containerName);
    const out: { sha256: string; text: string }[] = [];
    for await (const v of container.listBlobsFlat({ prefix: `evidence/${tableKey(drillId)}/` }))
      out.push({
        sha256: v.name
          .split('/')
          .pop()!
          .replace(/\.json$/, ''),
        text: (await container.getBlockBlobClient(v.name).downloadToBuffer()).toString('utf8'),
      });
    return out;
  }

  async save(unlinked: DrillReport): Promise<ReportLocation> {
    assertValid<DrillReport>(schemaRef('drill-report.schema.json'), unlinked, 'drill report');
    await this.ensure();
    const report = await this.chain(unlinked);
    const { json, html } = await this.uploadPair(tableKey(report.drillId), report, renderReportHtml(report));
    const row: ReportRow = {
      ...(report.trigger?.plan ? { plan: report.trigger?.plan } : {}),
      ...(report.trigger?.fleetId ? { fleetId: report.trigger?.fleetId } : {}),
      ...(report.trigger ? { triggerKind: report.trigger.kind } : {}),
      ...(report.trigger?.alertId ? { alertId: report.trigger.alertId } : {}),
      ...(report.request.restoreFrom ? { restoreFrom: report.request.restoreFrom } : {}),
      drillId: report.drillId,
      ...(report.label ? { label: report.label } : {}),
      verdict: report.verdict,
      startedAt: report.startedAt,
      endedAt: report.endedAt,
      backupInstanceId: report.request.backupInstanceId,
      targetKind: report.request.target.kind,
      ...(report.rpoSeconds !== undefined ? { rpoSeconds: report.rpoSeconds } : {}),
      ...(report.rtoSeconds !== undefined ? { rtoSeconds: report.rtoSeconds } : {}),
      ...(report.failure ? { failureCode: report.failure.code } : {}),
      cleanupPolicy: report.cleanup.policy,
      cleanupStatus: report.cleanup.status,
      reportUrl: json.url,
      sha256: report.evidence!.sha256,
    };
    await this.table.upsertEntity(
      { partitionKey: 'drill', rowKey: tableKey(report.drillId), ...row },
      'Replace',
    );
    // The same row in the history partition, keyed newest first (GET /api/drills, pgdrill history).
    await this.table.upsertEntity(
      {
        partitionKey: 'history',
        rowKey: historyKey(report.startedAt, report.drillId),
        ...row,
        backupInstanceKey: row.backupInstanceId.toLowerCase(),
      },
      'Replace',
    );
    return { table: this.table.tableName, blobUrl: json.url, htmlUrl: html.url, evidence: report.evidence! };
  }

  /**
   * One page of finished drills, newest first, filtered in the table service. The cursor is the key of the
   * last row returned, so a page never skips or repeats a drill however the service splits its own pages.
   */
  async history(q: HistoryQuery): Promise<HistoryPage> {
    await this.ensure();
    const filters = [odata`PartitionKey eq 'history'`];
    if (q.after) filters.push(odata`RowKey gt ${q.after}`);
    if (q.until) filters.push(odata`RowKey gt ${historyKey(q.until.toISOString(), '')}`);
    if (q.since) filters.push(odata`RowKey lt ${historyKey(q.since.toISOString(), '~')}`);
    if (q.backupInstance) filters.push(odata`backupInstanceKey eq ${q.backupInstance.toLowerCase()}`);
    if (q.plan) filters.push(odata`plan eq ${q.plan}`);
    if (q.verdict) filters.push(odata`verdict eq ${q.verdict}`);
    const items: (ReportRow & { rowKey: string })[] = [];
    const pages = this.table
      .listEntities<ReportRow>({ queryOptions: { filter: filters.join(' and ') } })
      .byPage({ maxPageSize: Math.min(1000, q.top + 1) });
    for await (const page of pages) {
      for (const e of page) items.push(e as ReportRow & { rowKey: string });
      if (items.length > q.top) break;
    }
    const pageItems = items.slice(0, q.top);
    return {
      items: pageItems.map(({ rowKey: _k, ...r }) => publicRow(r)),
      ...(items.length > q.top ? { next: pageItems.at(-1)!.rowKey } : {}),
    };
  }

  /** The newest `max` finished drills of every instance, newest first (what the dashboard is built from). */
  async recentDrills(max: number): Promise<ReportRow[]> {
    await this.ensure();
    const out: ReportRow[] = [];
    // One walk through the history partition, page by page, stopping at `max`.
    const pages = this.table
      .listEntities<ReportRow>({ queryOptions: { filter: odata`PartitionKey eq 'history'` } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      for (const e of page) {
        const { rowKey: _k, ...row } = e as ReportRow & { rowKey?: string };
        out.push(publicRow(row));
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  /** The dashboard as dashboard.json and dashboard.html in the report container. */
  async saveDashboard(dashboard: Dashboard): Promise<{ blobUrl: string; htmlUrl: string }> {
    const { json, html } = await this.uploadPair('dashboard', dashboard, renderDashboardHtml(dashboard));
    return { blobUrl: json.url, htmlUrl: html.url };
  }

  /**
   * Drops what is older than `before` from the history: the rows (both partitions), the report blobs and the
   * kept evidence versions of drills that started before it (DRILL_HISTORY_RETENTION_DAYS). Returns how many drills went.
   */
  async expire(before: Date): Promise<number> {
    await this.ensure();
    let expired = 0;
    const container = this.blobs.getContainerClient(this.containerName);
    for await (const e of this.table.listEntities<ReportRow>({
      queryOptions: {
        filter: odata`PartitionKey eq 'history' and RowKey gt ${historyKey(before.toISOString(), '~')}`,
      },
    })) {
      // A drill whose cleanup is still owed keeps its record: it is what the sweeper cleans from.
      if (['failed', 'partial', 'deferred'].includes(e.cleanupStatus ?? '')) continue;
      for (const ext of ['json', 'html'])
        await container.getBlockBlobClient(`${tableKey(e.drillId)}.${ext}`).deleteIfExists();
      for await (const v of container.listBlobsFlat({ prefix: `evidence/${tableKey(e.drillId)}/` }))
        await container.getBlockBlobClient(v.name).deleteIfExists();
      await this.table.deleteEntity('drill', tableKey(e.drillId)).catch(ignoreNotFound);
      await this.table.deleteEntity('history', e.rowKey!).catch(ignoreNotFound);
      expired++;
    }
    return expired;
  }

  /** A fleet run's report: blobs fleets/{id}.json and .html, and a row in partition "fleet". */
  async saveFleet(report: FleetReport): Promise<{ blobUrl: string; htmlUrl: string }> {
    const { json: blob, html } = await this.uploadPair(
      `fleets/${tableKey(report.fleetId)}`,
      report,
      renderFleetHtml(report),
    );
    await this.table.upsertEntity(
      {
        partitionKey: 'fleet',
        rowKey: tableKey(report.fleetId),
        fleetId: report.fleetId,
        plan: report.plan,
        slot: report.slot,
        startedAt: report.startedAt,
        endedAt: report.endedAt,
        status: report.status,
        counts: JSON.stringify(report.counts),
        reportUrl: blob.url,
      },
      'Replace',
    );
    return { blobUrl: blob.url, htmlUrl: html.url };
  }

  async getFleet(fleetId: string): Promise<FleetReport | undefined> {
    await this.ensure();
    const blob = this.blobs
      .getContainerClient(this.containerName)
      .getBlockBlobClient(`fleets/${tableKey(fleetId)}.json`);
    if (!(await blob.exists())) return undefined;
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as FleetReport;
  }

  async get(drillId: string): Promise<DrillReport | undefined> {
    await this.ensure();
    const blob = this.blobs
      .getContainerClient(this.containerName)
      .getBlockBlobClient(`${tableKey(drillId)}.json`);
    if (!(await blob.exists())) return undefined;
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as DrillReport;
  }

  async list(): Promise<ReportRow[]> {
    await this.ensure();
    const rows: ReportRow[] = [];
    for await (const e of this.table.listEntities<ReportRow>({
      queryOptions: { filter: "PartitionKey eq 'drill'" },
    }))
      rows.push(e);
    return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Drills whose cleanup failed (in whole or part) and that ended before `endedBefore`. */
  async needingSweep(endedBefore: Date): Promise<ReportRow[]> {
    return (await this.list()).filter(
      (r) =>
        (r.cleanupStatus === 'failed' || r.cleanupStatus === 'partial') &&
        r.endedAt < endedBefore.toISOString(),
    );
  }

  /**
   * This drill's last restore POST: written before each POST (and again with its error when it failed), so an
   * attempt that may still be in flight after a crash or a lost answer is known to the next one.
   */
  async lastRestoreAttempt(drillId: string): Promise<RestoreAttempt | undefined> {
    await this.ensure();
    try {
      const e = await this.table.getEntity<{ at: string; error?: string; definite?: boolean }>(
        'restoreAttempt',
        tableKey(drillId),
      );
      return {
        at: new Date(e.at),
        ...(e.error ? { error: JSON.parse(e.error) as FailureInfo } : {}),
        definite: e.definite === true,
      };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  async recordRestoreAttempt(drillId: string, attempt: RestoreAttempt): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity(
      {
        partitionKey: 'restoreAttempt',
        rowKey: tableKey(drillId),
        drillId,
        at: attempt.at.toISOString(),
        ...(attempt.error ? { error: JSON.stringify(attempt.error) } : {}),
        definite: attempt.definite,
      },
      'Replace',
    );
  }

  /** Keeps `record` as the latest doctor result of its plan, instance and region (partition "doctor"). */
  async saveDoctorResult(record: DoctorRecord): Promise<void> {
    await this.ensure();
    const r = record.result;
    await this.table.upsertEntity(
      {
        partitionKey: 'doctor',
        rowKey: doctorRowKey(record.plan, r.backupInstanceId, r.restoreFrom),
        plan: record.plan,
        runId: record.runId,
        backupInstanceId: r.backupInstanceId,
        restoreFrom: r.restoreFrom,
        checkedAt: r.checkedAt,
        ok: r.ok,
        result: doctorResultText(r),
      },
      'Replace',
    );
  }

  async lastDoctorResult(
    plan: string,
    backupInstanceId: string,
    restoreFrom: DoctorResult['restoreFrom'],
  ): Promise<DoctorRecord | undefined> {
    await this.ensure();
    try {
      const e = await this.table.getEntity<{ plan: string; runId: string; result: string }>(
        'doctor',
        doctorRowKey(plan, backupInstanceId, restoreFrom),
      );
      return { plan: e.plan, runId: e.runId, result: JSON.parse(e.result) as DoctorResult };
    } catch (err) {
      ignoreNotFound(err);
      return undefined;
    }
  }

  /** The latest doctor result of each instance and region of `plan`, by instance id. */
  async doctorResults(plan: string): Promise<DoctorRecord[]> {
    await this.ensure();
    const out: DoctorRecord[] = [];
    for await (const e of this.table.listEntities<{ plan: string; runId: string; result: string }>({
      queryOptions: { filter: odata`PartitionKey eq 'doctor' and plan eq ${plan}` },
    }))
      out.push({ plan: e.plan, runId: e.runId, result: JSON.parse(e.result) as DoctorResult });
    return out.sort(
      (a, b) =>
        a.result.backupInstanceId.localeCompare(b.result.backupInstanceId) ||
        a.result.restoreFrom.localeCompare(b.result.restoreFrom),
    );
  }

  async recordSkip(skip: PlanSkip): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity(
      { partitionKey: 'planSkip', rowKey: tableKey(`${skip.plan}-${skip.slot}`), ...skip },
      'Replace',
    );
  }

  async listSkips(): Promise<PlanSkip[]> {
    await this.ensure();
    const out: PlanSkip[] = [];
    for await (const e of this.table.listEntities<PlanSkip>({
      queryOptions: { filter: "PartitionKey eq 'planSkip'" },
    }))
      out.push(e);
    return out;
  }
}

/** A row as the API shows it: the drill's fields, not the table's (etag, keys, timestamp). */
export function publicRow(e: ReportRow & Record<string, unknown>): ReportRow {
  const { etag: _e, partitionKey: _p, rowKey: _r, timestamp: _t, backupInstanceKey: _b, ...row } = e;
  return row;
}

/**
 * The result as JSON for one table property (at most 32K characters): ample for the doctor's checks, and when
 * not, each evidence is cut rather than the save failing.
 */
function doctorResultText(r: DoctorResult): string {
  const text = JSON.stringify(r);
  if (text.length <= 30_000) return text;
  const cut = (s: string) => (s.length > 400 ? `${s.slice(0, 399)}…` : s);
  return JSON.stringify({
    ...r,
    checks: r.checks.map((c) => ({ ...c, evidence: cut(c.evidence), ...(c.fix ? { fix: cut(c.fix) } : {}) })),
  });
}

function doctorRowKey(plan: string, backupInstanceId: string, restoreFrom: string): string {
  return tableKey(`${plan}|${backupInstanceId.toLowerCase()}|${restoreFrom}`);
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof RestError && err.statusCode === 404)) throw err;
}
