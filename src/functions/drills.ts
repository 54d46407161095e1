/**
 * HTTP triggers: POST /api/drills (start), GET /api/drills/{id} (status and report), GET /api/drills/{id}/report
 * (the report page), GET /api/drills/{id}/evidence, POST /api/drills/{id}/cancel, GET /api/drills (list). Thin:
 * parse, validate, call the client. Function-level auth.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { input } from 'durable-functions';
import { appServices } from '../app/services';
import { HistoryQueryError, nextPageLink, parseHistoryQuery } from '../lib/drill/history';
import { childInstanceId, validInstanceId } from '../lib/drill/instanceIds';
import { MAX_REQUEST_BYTES, parseDrillRequest, type NormalizedRequest } from '../lib/drill/request';
import { duplicateKey, jsonNesting, MAX_NESTING } from '../lib/json';
import type { DrillReport } from '../lib/drill/report';
import { PAGE_HEADERS, renderReportHtml } from '../lib/drill/reportPage';
import type { DrillSettings } from '../lib/drill/settings';
import { ValidationError } from '../lib/errors';
import type { ReportStore } from '../lib/storage/reportStore';
import { ORCHESTRATORS } from '../orchestrators/names';
import type { HttpFunctionDefinition } from './definitions';
import { durableClientFactory, isActive, requestCancel, type ClientFactory } from './drillClient';
import { startDrill } from './drillStart';

export interface DrillHttpDeps {
  clientFor: ClientFactory;
  settings: () => DrillSettings;
  newId?: () => string;
  /** Where finished drills are listed from (GET /api/drills). */
  reports?: () => ReportStore;
}

function problem(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): HttpResponseInit {
  return { status, jsonBody: { error: { code, message, ...extra } } };
}

/**
 * Where to follow a drill: the app's own endpoints (function key). Durable's management links are not handed
 * out: they carry the system key, and their terminate would end a drill without its cleanup.
 */
function drillLinks(drillId: string): { statusUri: string; cancelUri: string } {
  const id = encodeURIComponent(drillId);
  return { statusUri: `/api/drills/${id}`, cancelUri: `/api/drills/${id}/cancel` };
}

function badId(id: string): HttpResponseInit {
  return problem(
    400,
    'InvalidDrillId',
    `${JSON.stringify(id.slice(0, 80))} is not a drill id: up to 256 letters, digits and . _ - : @`,
  );
}

/**
 * A drill request from an HTTP body (POST /api/drills, POST /api/drills/preflight): the size limit, the JSON, each
 * key once, the schema (defaults filled in); a bad body is the 4xx answer naming the field.
 */
export async function readDrillRequest(
  request: HttpRequest,
): Promise<{ request: NormalizedRequest } | { problem: HttpResponseInit }> {
  const bad = (status: number, code: string, message: string, extra?: Record<string, unknown>) => ({
    problem: problem(status, code, message, extra),
  });
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_REQUEST_BYTES)
    return bad(413, 'RequestTooLarge', `the body is ${length} bytes; the limit is ${MAX_REQUEST_BYTES}`);
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES)
    return bad(413, 'RequestTooLarge', `the body is larger than ${MAX_REQUEST_BYTES} bytes`);
  // Nesting is counted before parsing: a deeply nested body would only exhaust the stack.
  if (jsonNesting(text) > MAX_NESTING)
    return bad(
      400,
      'InvalidJson',
      `the body nests deeper than ${MAX_NESTING} levels; a drill request does not`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return bad(400, 'InvalidJson', `the body is not JSON: ${(err as Error).message}`);
  }
  const twice = duplicateKey(text);
  if (twice !== undefined)
    return bad(400, 'InvalidDrillRequest', 'the drill request is invalid; see errors (JSON pointers)', {
      errors: [{ pointer: twice, message: 'is given twice: give each field once' }],
    });
  try {
    return { request: parseDrillRequest(body) };
  } catch (err) {
    if (err instanceof ValidationError)
      return bad(400, 'InvalidDrillRequest', 'the drill request is invalid; see errors (JSON pointers)', {
        errors: err.errors,
      });
    throw err;
  }
}

export function createDrillHttpHandlers(deps: DrillHttpDeps) {
  const newId = deps.newId ?? (() => randomUUID());

  async function start(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const read = await readDrillRequest(request);
    if ('problem' in read) return read.problem;
    const parsed = read.request;
    const client = deps.clientFor(context);
    const outcome = await startDrill(client, deps.settings(), parsed, { kind: 'http', newId }, context);
    const drillId = outcome.drillId;
    if (!outcome.started && 'collision' in outcome) {
      const c = outcome.collision;
      return problem(
        409,
        'NameInUse',
        `${c.what} "${c.mine}" could be confused with "${c.theirs}" of running drill ${c.drillId}: choose another ${c.what}, or wait for that drill to end`,
        { field: `/target/${c.what}`, runningDrillId: c.drillId },
      );
    }
    if (!outcome.started) {
      const existing = outcome.existing;
      const links = drillLinks(drillId);
      if (isActive(existing))
        return problem(
          409,
          'DrillAlreadyRunning',
          `drill ${drillId} (same idempotency key) is still ${existing.runtimeStatus}`,
          links,
        );
      // A retried request for a drill that already ran: answer with it instead of running a second one.
      return {
        status: 200,
        jsonBody: { ...links, id: drillId, runtimeStatus: existing.runtimeStatus, existing: true },
      };
    }
    return {
      status: 202,
      headers: { Location: `/api/drills/${drillId}` },
      jsonBody: { id: drillId, ...drillLinks(drillId) },
    };
  }

  async function status(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id ?? '';
    if (!validInstanceId(id)) return badId(id);
    const s = await deps.clientFor(context).getStatus(id);
    if (!s || s.name !== ORCHESTRATORS.restoreDrill) return problem(404, 'DrillNotFound', `no drill ${id}`);
    const custom = (s.customStatus ?? {}) as { phase?: string; detail?: string };
    // While the restore runs, the backup job's own progress is in the job monitor's status.
    let job: { status?: string; progress?: string; polls?: number } | undefined;
    if (custom.phase === 'restore' && isActive(s)) {
      const monitor = await deps.clientFor(context).getStatus(childInstanceId(s.instanceId, 'job'));
      if (monitor && monitor.customStatus && typeof monitor.customStatus === 'object')
        job = monitor.customStatus;
    }
    const detail = job
      ? [custom.detail, `job ${job.status ?? ''}`.trim(), job.progress].filter(Boolean).join(', ')
      : custom.detail;
    return {
      status: 200,
      jsonBody: {
        id: s.instanceId,
        runtimeStatus: s.runtimeStatus,
        phase: custom.phase ?? null,
        detail: detail ?? null,
        ...(job ? { job } : {}),
        createdTime: s.createdTime,
        lastUpdatedTime: s.lastUpdatedTime,
        ...(s.runtimeStatus === 'Completed' ? { report: s.output } : {}),
        ...(s.runtimeStatus === 'Failed' ? { error: String(s.output) } : {}),
      },
    };
  }

  async function cancel(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id ?? '';
    if (!validInstanceId(id)) return badId(id);
    const client = deps.clientFor(context);
    const s = await client.getStatus(id);
    if (!s || s.name !== ORCHESTRATORS.restoreDrill) return problem(404, 'DrillNotFound', `no drill ${id}`);
    if (!isActive(s))
      return problem(409, 'DrillNotRunning', `drill ${id} is ${s.runtimeStatus}; nothing to cancel`);
    await requestCancel(client, id, 'cancelled over HTTP');
    context.log(JSON.stringify({ message: 'drill cancel requested', drillId: id }));
    return { status: 202, jsonBody: { id, cancelRequested: true, statusUri: `/api/drills/${id}` } };
  }

  /**
   * The running drills, and one page of the finished ones, newest first, filtered by backupInstance, plan,
   * verdict, since and until (top, after: paging).
   */
  async function list(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    let query;
    try {
      query = parseHistoryQuery(request.query);
    } catch (err) {
      if (err instanceof HistoryQueryError)
        return problem(400, 'InvalidQuery', err.message, { parameter: err.parameter });
      throw err;
    }
    const active = (await deps.clientFor(context).listActive()).filter(
      (s) => s.name === ORCHESTRATORS.restoreDrill,
    );
    const page = deps.reports ? await deps.reports().history(query) : { items: [] };
    const next = nextPageLink(new URLSearchParams(request.query), page.next);
    return {
      status: 200,
      jsonBody: {
        running: active.map((s) => ({
          id: s.instanceId,
          runtimeStatus: s.runtimeStatus,
          phase: (s.customStatus as { phase?: string } | undefined)?.phase ?? null,
          createdTime: s.createdTime,
        })),
        finished: page.items,
        ...(next ? { nextLink: next } : {}),
      },
    };
  }

  /** Every kept version of a finished drill's report, byte for byte as stored (for evidence bundles). */
  async function evidence(request: HttpRequest): Promise<HttpResponseInit> {
    const id = request.params.id ?? '';
    if (!validInstanceId(id)) return badId(id);
    const versions = deps.reports ? await deps.reports().versions(id) : [];
    if (!versions.length) return problem(404, 'EvidenceNotFound', `no kept report version of drill ${id}`);
    return { status: 200, jsonBody: { drillId: id, versions } };
  }

  /**
   * The drill's report page (self-contained HTML), rendered from its stored report; from the orchestration's own
   * output when the report could not be stored. 404 while the drill runs (saying so) or when there is no drill.
   */
  async function report(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id ?? '';
    if (!validInstanceId(id)) return badId(id);
    let stored: DrillReport | undefined = deps.reports ? await deps.reports().get(id) : undefined;
    if (!stored) {
      const s = await deps.clientFor(context).getStatus(id);
      if (!s || s.name !== ORCHESTRATORS.restoreDrill) return problem(404, 'DrillNotFound', `no drill ${id}`);
      if (isActive(s)) {
        const phase = (s.customStatus as { phase?: string } | undefined)?.phase;
        return problem(
          404,
          'ReportNotReady',
          `drill ${id} is still running${phase ? ` (phase ${phase})` : ''}: its report is written when it ends; follow it at /api/drills/${encodeURIComponent(id)}`,
          { runtimeStatus: s.runtimeStatus, ...(phase ? { phase } : {}) },
        );
      }
      const output = s.output as Partial<DrillReport> | undefined;
      if (s.runtimeStatus !== 'Completed' || !output || typeof output !== 'object' || !output.verdict)
        return problem(404, 'ReportNotFound', `drill ${id} ended ${s.runtimeStatus} without a report`, {
          runtimeStatus: s.runtimeStatus,
        });
      stored = output as DrillReport;
    }
    return {
      status: 200,
      headers: PAGE_HEADERS,
      body: renderReportHtml(stored),
    };
  }

  return { start, status, cancel, list, evidence, report };
}

const handlers = createDrillHttpHandlers({
  clientFor: durableClientFactory,
  settings: () => appServices().settings,
  reports: () => appServices().reports,
});
const durableClient = input.durableClient();

export const startDrillFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'startDrill',
  options: {
    route: 'drills',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.start,
  },
};
export const drillStatusFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'drillStatus',
  options: {
    route: 'drills/{id}',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.status,
  },
};
export const drillEvidenceFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'drillEvidence',
  options: {
    route: 'drills/{id}/evidence',
    methods: ['GET'],
    authLevel: 'function',
    handler: handlers.evidence,
  },
};
export const drillReportFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'drillReport',
  options: {
    route: 'drills/{id}/report',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.report,
  },
};
export const listDrillsFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'listDrills',
  options: {
    route: 'drills',
    methods: ['GET'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.list,
  },
};
export const cancelDrillFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'cancelDrill',
  options: {
    route: 'drills/{id}/cancel',
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [durableClient],
    handler: handlers.cancel,
  },
};
