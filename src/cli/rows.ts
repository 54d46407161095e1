/**
 * Drills as `pgdrill list` and `pgdrill history` show them: one clean object per drill (the drill's own fields,
 * picked by name, so no storage field such as etag, partitionKey, rowKey or timestamp can leak through) and
 * text tables with a header row and aligned columns. Pure.
 */
import { dur } from '../lib/drill/report';

/** A drill in a list: running (with its phase) or finished (with its verdict as the status). */
export interface DrillRow {
  drillId: string;
  /** running, or the verdict: passed, failed, cancelled. */
  status: string;
  phase?: string;
  label?: string;
  backupInstanceId?: string;
  plan?: string;
  targetKind?: string;
  restoreFrom?: string;
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  rtoSeconds?: number;
  rpoSeconds?: number;
  failureCode?: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Keeps the named fields that are present, in this order. */
function compact(row: { [K in keyof DrillRow]: DrillRow[K] | undefined }): DrillRow {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as unknown as DrillRow;
}

/** A running drill from GET /api/drills' `running`. */
export function runningRow(r: { id: string; phase?: string | null; createdTime?: string }): DrillRow {
  return compact({ drillId: r.id, status: 'running', phase: text(r.phase), startedAt: text(r.createdTime) });
}

/** A finished drill from GET /api/drills' `finished` (a row of the report table). */
export function finishedRow(r: Record<string, unknown>): DrillRow {
  const startedAt = text(r.startedAt);
  const endedAt = text(r.endedAt);
  const seconds = startedAt && endedAt ? (Date.parse(endedAt) - Date.parse(startedAt)) / 1000 : Number.NaN;
  return compact({
    drillId: String(r.drillId),
    status: text(r.verdict) ?? 'unknown',
    label: text(r.label),
    backupInstanceId: text(r.backupInstanceId),
    plan: text(r.plan),
    targetKind: text(r.targetKind),
    restoreFrom: text(r.restoreFrom),
    startedAt,
    endedAt,
    durationSeconds: Number.isFinite(seconds) ? Math.round(seconds) : undefined,
    rtoSeconds: num(r.rtoSeconds),
    rpoSeconds: num(r.rpoSeconds),
    failureCode: text(r.failureCode),
  });
}

/** Rows under a header, each column as wide as its widest cell (the last one is not padded). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const time = (iso: string | undefined): string => (iso ? iso.slice(0, 19) + 'Z' : '–');
const hours = (s: number | undefined): string => (s === undefined ? '–' : `${(s / 3600).toFixed(1)} h`);

/** `pgdrill history`: finished drills. */
export function historyTable(rows: DrillRow[]): string {
  return table(
    ['DRILL', 'VERDICT', 'STARTED', 'RTO', 'RPO', 'FAILURE', 'BACKUP INSTANCE'],
    rows.map((r) => [
      r.drillId,
      r.status,
      time(r.startedAt),
      dur(r.rtoSeconds),
      hours(r.rpoSeconds),
      r.failureCode ?? '–',
      r.backupInstanceId ?? '',
    ]),
  );
}

/** `pgdrill list`: running drills (with their phase), then finished ones. */
export function listTable(rows: DrillRow[]): string {
  return table(
    ['DRILL', 'STATUS', 'STARTED', 'DURATION', 'RTO', 'RPO', 'PHASE / FAILURE', 'BACKUP INSTANCE'],
    rows.map((r) => [
      r.drillId,
      r.status,
      time(r.startedAt),
      dur(r.durationSeconds),
      dur(r.rtoSeconds),
      hours(r.rpoSeconds),
      r.phase ?? r.failureCode ?? '–',
      r.backupInstanceId ?? '',
    ]),
  );
}
