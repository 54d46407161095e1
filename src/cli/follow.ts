/**
 * Following a drill (`pgdrill run` after it starts one, and `pgdrill watch`): GET /api/drills/{id} every
 * interval, a callback for each change of what the drill is doing (status, phase, detail, the backup job's
 * status and progress), until the orchestration ends. Elapsed time is the drill's own (from its creation).
 */
import type { DrillReport } from '../lib/drill/report';
import { call, failure, type ApiBody, type Connection } from './http';

/** What a drill is doing at one poll: what `watch --json` prints, one line per change. */
export interface DrillProgress {
  drillId: string;
  runtimeStatus: string;
  phase: string | null;
  detail: string | null;
  job?: { status?: string; progress?: string };
  elapsedSeconds: number;
  /** Once the drill completed. */
  verdict?: DrillReport['verdict'];
}

export type FollowEnd =
  | { kind: 'completed'; report: DrillReport; last: DrillProgress }
  | { kind: 'ended'; runtimeStatus: string; error: string; last: DrillProgress }
  | { kind: 'timeout'; last: DrillProgress };

export interface FollowOptions {
  intervalMs: number;
  /** Give up (the drill keeps running) after this long; none: until it ends. */
  timeoutMs?: number;
  onChange(p: DrillProgress): void;
}

/** The part of a status that, when it changes, is worth a line. */
function changeKey(p: DrillProgress): string {
  return JSON.stringify([p.runtimeStatus, p.phase, p.detail, p.job?.status, p.job?.progress]);
}

export function progressOf(id: string, body: ApiBody, followedSinceMs: number, nowMs: number): DrillProgress {
  const created = body.createdTime ? Date.parse(body.createdTime) : Number.NaN;
  const since = Number.isFinite(created) && created <= nowMs ? created : followedSinceMs;
  return {
    drillId: id,
    runtimeStatus: body.runtimeStatus ?? 'Unknown',
    phase: body.phase ?? null,
    detail: body.detail ?? null,
    ...(body.job ? { job: { status: body.job.status, progress: body.job.progress } } : {}),
    elapsedSeconds: Math.max(0, Math.round((nowMs - since) / 1000)),
    ...(body.runtimeStatus === 'Completed' && body.report ? { verdict: body.report.verdict } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls drill `id` until it ends (or `timeoutMs`); an unknown drill or an unexpected answer throws. */
export async function followDrill(conn: Connection, id: string, opts: FollowOptions): Promise<FollowEnd> {
  const t0 = Date.now();
  let lastKey = '';
  for (;;) {
    const s = await call(conn, 'GET', `/api/drills/${encodeURIComponent(id)}`);
    if (s.status === 404) throw new Error(`no drill ${id} at ${conn.base} (pgdrill list shows the drills)`);
    if (s.status !== 200) throw failure(s, `status of ${id}`);
    const p = progressOf(id, s.body, t0, Date.now());
    const key = changeKey(p);
    if (key !== lastKey) opts.onChange(p);
    lastKey = key;
    if (p.runtimeStatus === 'Completed') {
      // GET /api/drills/{id} answers for any orchestration: a fleet run or a doctor run ends with no verdict.
      if (typeof s.body.report?.verdict !== 'string')
        throw new Error(
          `${id} completed without a drill report: it is not a drill (a fleet run: pgdrill fleet status ${id}; a doctor run: GET /api/plans/{plan}/doctor)`,
        );
      return { kind: 'completed', report: s.body.report, last: p };
    }
    if (['Failed', 'Terminated'].includes(p.runtimeStatus))
      return {
        kind: 'ended',
        runtimeStatus: p.runtimeStatus,
        error: typeof s.body.error === 'string' ? s.body.error : JSON.stringify(s.body.error ?? ''),
        last: p,
      };
    if (opts.timeoutMs !== undefined && Date.now() - t0 > opts.timeoutMs) return { kind: 'timeout', last: p };
    await sleep(opts.intervalMs);
  }
}
