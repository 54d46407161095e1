/**
 * Access tokens: opaque random strings tied to an audience and an expiry, issued by the managed identity
 * endpoint (App Service protocol) and checked by the ARM and Key Vault routes.
 */
import { randomBytes } from 'node:crypto';

export interface IssuedToken {
  token: string;
  audience: string;
  expiresAt: number;
  clientId?: string;
}

export type TokenCheck =
  | { ok: true; token: IssuedToken }
  | {
      ok: false;
      code:
        | 'AuthenticationFailed'
        | 'InvalidAuthenticationToken'
        | 'ExpiredAuthenticationToken'
        | 'InvalidAuthenticationTokenAudience';
      message: string;
    };

function normalise(audience: string): string {
  return audience.replace(/\/+$/, '').toLowerCase();
}

export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(audience: string, clientId?: string): IssuedToken {
    const token: IssuedToken = {
      token: randomBytes(32).toString('base64url'),
      audience: normalise(audience),
      expiresAt: this.now() + this.lifetimeSeconds * 1000,
      ...(clientId ? { clientId } : {}),
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** Checks an Authorization header value against the audience a route requires. */
  check(authorization: string | undefined, audience: string): TokenCheck {
    if (!authorization)
      return {
        ok: false,
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
      };
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m)
      return {
        ok: false,
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      };
    const token = this.tokens.get(m[1]!);
    if (!token)
      return { ok: false, code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' };
    if (token.expiresAt <= this.now()) {
      return {
        ok: false,
        code: 'ExpiredAuthenticationToken',
        message: 'The access token expiry UTC time is earlier than current UTC time.',
      };
    }
    if (token.audience !== normalise(audience)) {
      return {
        ok: false,
        code: 'InvalidAuthenticationTokenAudience',
        message: `The access token has been obtained for wrong audience or resource '${token.audience}'. It should exactly match with one of the allowed audiences '${audience}'.`,
      };
    }
    return { ok: true, token };
  }

  /** Ends every token now (tests of expiry). */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }
}
