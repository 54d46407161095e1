/** GET /api/health: is the app configured? Reports the non-secret settings, or the configuration error. */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { appServices } from '../app/services';
import { messageOf } from '../lib/errors';
import type { HttpFunctionDefinition } from './definitions';

export function healthHandler(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const config = appServices().config;
    return Promise.resolve({
      status: 200,
      jsonBody: {
        status: 'ok',
        dataProtection: {
          endpoint: config.DATAPROTECTION_ENDPOINT,
          audience: config.DATAPROTECTION_AUDIENCE,
          apiVersion: config.DATAPROTECTION_API_VERSION,
        },
      },
    });
  } catch (err) {
    context.error(`health: ${messageOf(err)}`);
    return Promise.resolve({ status: 500, jsonBody: { status: 'misconfigured', error: messageOf(err) } });
  }
}

export const healthFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'health',
  options: { methods: ['GET'], authLevel: 'function', route: 'health', handler: healthHandler },
};
