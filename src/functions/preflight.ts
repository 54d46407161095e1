/**
 * POST /api/drills/preflight: the pre-flight doctor (src/activities/doctor.ts) on a drill request: the same body
 * and the same 400s as POST /api/drills, a 200 DoctorResult, no orchestration started and nothing restored.
 * Function-level auth. The route's literal segment keeps it apart from drills/{id} (GET) and drills/{id}/cancel.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { runDoctor } from '../activities/doctor';
import { appServices } from '../app/services';
import type { HttpFunctionDefinition } from './definitions';
import { readDrillRequest } from './drills';

/**
 * Doctor runs at once in this process: each holds up to three PostgreSQL connections and Key Vault and ARM calls
 * for up to a minute, so a caller fanning requests out gets 429 instead of exhausting them.
 */
export const MAX_CONCURRENT_PREFLIGHTS = 4;
let running = 0;

async function preflight(request: HttpRequest): Promise<HttpResponseInit> {
  const read = await readDrillRequest(request);
  if ('problem' in read) return read.problem;
  if (running >= MAX_CONCURRENT_PREFLIGHTS)
    return {
      status: 429,
      headers: { 'Retry-After': '10' },
      jsonBody: {
        error: {
          code: 'TooManyPreflights',
          message: `${running} doctor runs are already going (at most ${MAX_CONCURRENT_PREFLIGHTS} at once): retry after the Retry-After seconds.`,
        },
      },
    };
  running++;
  try {
    // runDoctor never throws for a failing dependency: each becomes a failed check in the 200 answer.
    return { status: 200, jsonBody: await runDoctor(appServices().activityDeps, read.request) };
  } finally {
    running--;
  }
}

export const preflightFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'drillPreflight',
  options: {
    route: 'drills/preflight',
    methods: ['POST'],
    authLevel: 'function',
    handler: preflight,
  },
};
