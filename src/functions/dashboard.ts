/**
 * GET /api/dashboard: every backup instance the history has seen, its last verdict and age, coverage, RTO and
 * RPO sparklines and regressions (src/lib/drill/dashboard.ts). JSON by default; the page with ?format=html (or
 * when the caller accepts text/html first, as a browser does). Built from the history on each request (the copy
 * stored after each drill, dashboard.html in the report container, may be a drill behind). Function-level auth.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { appServices } from '../app/services';
import { buildDashboard, DASHBOARD_MAX_DRILLS, renderDashboardHtml } from '../lib/drill/dashboard';
import { toFailure } from '../lib/errors';
import { PAGE_HEADERS } from '../lib/drill/reportPage';
import type { ReportStore } from '../lib/storage/reportStore';
import type { HttpFunctionDefinition } from './definitions';

export function createDashboardHandler(deps: {
  reports: () => ReportStore;
  coverageDays: () => number;
  now?: () => Date;
}) {
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    const format = request.query.get('format');
    if (format !== null && format !== 'json' && format !== 'html')
      return {
        status: 400,
        jsonBody: { error: { code: 'InvalidQuery', message: 'format: json or html' } },
      };
    const html =
      format === 'html' || (format === null && /^\s*text\/html/i.test(request.headers.get('accept') ?? ''));
    let rows;
    try {
      rows = await deps.reports().recentDrills(DASHBOARD_MAX_DRILLS);
    } catch (err) {
      const f = toFailure(err);
      return {
        status: 503,
        jsonBody: {
          error: {
            code: 'HistoryUnavailable',
            message: `the drill history cannot be read (${f.code}): ${f.message}`,
          },
        },
      };
    }
    const dashboard = buildDashboard(rows, deps.now?.() ?? new Date(), deps.coverageDays());
    if (html) return { status: 200, headers: PAGE_HEADERS, body: renderDashboardHtml(dashboard) };
    return { status: 200, jsonBody: dashboard };
  };
}

export const dashboardFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'dashboard',
  options: {
    route: 'dashboard',
    methods: ['GET'],
    authLevel: 'function',
    handler: createDashboardHandler({
      reports: () => appServices().reports,
      coverageDays: () => appServices().config.DRILL_COVERAGE_DAYS,
    }),
  },
};
