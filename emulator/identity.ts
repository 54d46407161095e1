/**
 * The App Service managed identity endpoint (api-version 2019-08-01), as DefaultAzureCredential calls it in
 * Azure Functions: GET /msi/token?resource=...&client_id=... with the X-IDENTITY-HEADER secret. It issues the
 * emulator's own tokens for ARM and Key Vault.
 */
import type { IncomingMessage } from 'node:http';
import { EVENT_GRID_AUDIENCE, MONITOR_AUDIENCE } from './sinks';
import type { EmulatorContext } from './context';
import type { Reply } from './http';

export interface IdentityRequest {
  url: URL;
  headers: IncomingMessage['headers'];
}

export function identityToken(ctx: EmulatorContext, identityHeader: string, req: IdentityRequest): Reply {
  if (req.headers['x-identity-header'] !== identityHeader) {
    return {
      status: 401,
      body: { statusCode: 401, message: 'The X-IDENTITY-HEADER header is missing or wrong.' },
    };
  }
  const resource = req.url.searchParams.get('resource');
  const known = [
    ctx.config.armAudience,
    ctx.config.keyVaultAudience,
    EVENT_GRID_AUDIENCE,
    MONITOR_AUDIENCE,
  ].map((a) => a.replace(/\/+$/, ''));
  if (!resource || !known.includes(resource.replace(/\/+$/, ''))) {
    return {
      status: 400,
      body: {
        statusCode: 400,
        message: `Unknown resource '${resource}'. This identity endpoint issues tokens for: ${known.join(', ')}.`,
      },
    };
  }
  const clientId = req.url.searchParams.get('client_id') ?? undefined;
  const t = ctx.tokens.issue(resource, clientId);
  return {
    status: 200,
    body: {
      access_token: t.token,
      expires_on: String(Math.floor(t.expiresAt / 1000)),
      resource,
      token_type: 'Bearer',
      client_id: clientId ?? '00000000-0000-0000-0000-00000000e0e0',
    },
  };
}
