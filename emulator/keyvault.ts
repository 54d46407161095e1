/**
 * Key Vault secrets (GET {vault}/secrets/{name}[/{version}]) with Key Vault's challenge flow, so the
 * unmodified SecretClient from @azure/keyvault-secrets works: the first request comes without a token and gets
 * a 401 whose WWW-Authenticate names the resource (https://vault.azure.net); the client then gets a token for
 * that audience from the identity endpoint and retries. Vaults are addressed by their real host names
 * ({name}.vault.azure.net), which reach this server through the emulator's HTTPS proxy.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordRequest, type EmulatorContext, type RequestLogEntry } from './context';
import { send, type Reply } from './http';

export const KEY_VAULT_HOST = /^([a-z0-9-]+)\.vault\.azure\.net$/i;

function secretVersion(vault: string, name: string): string {
  return createHash('sha256').update(`${vault}/${name}`).digest('hex').slice(0, 32);
}

export function keyVaultHandler(ctx: EmulatorContext, nextSeq: () => number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res).catch(() => req.socket.destroy());
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const url = new URL(req.url ?? '/', `https://${host}`);
    // Faults on secret reads (operation KeyVault_GetSecret) once the caller has a token, as for ARM.
    const authorized = ctx.tokens.check(req.headers.authorization, ctx.config.keyVaultAudience).ok;
    const fault = authorized
      ? ctx.faults.take('KeyVault_GetSecret', ['status', 'reset', 'delay'])
      : undefined;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    const reply =
      fault?.kind === 'status'
        ? kvError(
            fault.status!,
            {
              403: 'Forbidden',
              404: 'SecretNotFound',
              429: 'Throttled',
              500: 'InternalServerError',
              503: 'ServiceUnavailable',
            }[fault.status!] ?? 'Error',
            `Injected by an emulator fault rule (${fault.id}).`,
            fault.retryAfterSeconds !== undefined
              ? { 'Retry-After': String(fault.retryAfterSeconds) }
              : undefined,
          )
        : answer(ctx, req, host, url);
    send(res, reply);
    const entry: RequestLogEntry = {
      seq: nextSeq(),
      service: 'keyvault',
      method: req.method ?? 'GET',
      path: `${host}${url.pathname}`,
      query: url.search,
      status: reply.status,
      time: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      tokenPresent: /^Bearer\s+\S+/i.test(req.headers.authorization ?? ''),
    };
    recordRequest(ctx, entry);
    req.resume();
  }
}

function kvError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

function answer(ctx: EmulatorContext, req: IncomingMessage, host: string, url: URL): Reply {
  const vault = KEY_VAULT_HOST.exec(host)?.[1]?.toLowerCase();
  const secrets = vault ? ctx.secrets.get(vault) : undefined;
  if (!vault || !secrets) return kvError(404, 'VaultNotFound', `No Key Vault answers for host ${host}.`);
  const check = ctx.tokens.check(req.headers.authorization, ctx.config.keyVaultAudience);
  if (!check.ok) {
    const challenge = `Bearer authorization="https://login.microsoftonline.com/${ctx.config.tenantId}", resource="${ctx.config.keyVaultAudience}"`;
    return kvError(
      401,
      'Unauthorized',
      `AKV10000: Request is missing a Bearer or PoP token. (${check.code}: ${check.message})`,
      { 'WWW-Authenticate': challenge },
    );
  }
  const m = /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/.exec(url.pathname);
  if (req.method !== 'GET' || !m)
    return kvError(
      405,
      'BadParameter',
      `${req.method} ${url.pathname} is not supported by the emulator (secrets can be read only).`,
    );
  const name = decodeURIComponent(m[1]!);
  // A secret the app's identity may not read (POST /_emulator/keyvault/forbid): Key Vault's RBAC refusal.
  if (ctx.forbiddenSecrets.has(`${vault}/${name.toLowerCase()}`))
    return {
      status: 403,
      body: {
        error: {
          code: 'Forbidden',
          message: `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: oid=5f0c2a8e-7d1b-4c3e-9a6f-1e2d3c4b5a69\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '/secrets/${name.toLowerCase()}'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\nVault: ${vault};location=${ctx.config.location}\r\n`,
          innererror: { code: 'ForbiddenByRbac' },
        },
      },
    };
  const value = secrets.get(name);
  const version = secretVersion(vault, name);
  if (value === undefined || (m[2] && m[2] !== version)) {
    return kvError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${name}${m[2] ? `/${m[2]}` : ''} was not found in this key vault.`,
    );
  }
  const created = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: {
      value,
      id: `https://${vault}.vault.azure.net/secrets/${name}/${version}`,
      attributes: {
        enabled: true,
        created,
        updated: created,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      },
      tags: {},
    },
  };
}
