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

async function preflight(request: HttpRequest): Promise<HttpResponseInit> {
  const read = await readDrillRequest(request);
  if ('problem' in read) return read.problem;
  // runDoctor never throws for a failing dependency: each becomes a failed check in the 200 answer.
  return { status: 200, jsonBody: await runDoctor(appServices().activityDeps, read.request) };
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
