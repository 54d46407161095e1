/**
 * Credentials from a Key Vault secret holding a connection string in the format Azure Backup reads
 * (Npgsql style: Server=…;Port=…;Database=…;User Id=…;Password=…;Ssl Mode=…; keys case-insensitive,
 * values with ';' double-quoted). Errors never quote the secret's value.
 */
import { AppError } from '../errors';

export class ConnectionStringError extends AppError {
  constructor(reason: string) {
    super(
      'SecretValueInUnsupportedFormat',
      `the Key Vault secret is not a supported connection string: ${reason}`,
    );
  }
}

export interface PgCredentials {
  host?: string;
  port?: number;
  database?: string;
  user: string;
  password: string;
  sslMode?: string;
}

function parsePairs(value: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) {
      if (value.slice(i).trim())
        throw new ConnectionStringError('a part has no "=" (expected key=value pairs separated by ";")');
      break;
    }
    const key = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    let val = '';
    if (value[j] === '"') {
      j++;
      for (;;) {
        if (j >= value.length) throw new ConnectionStringError(`the quoted value of "${key}" is not closed`);
        if (value[j] === '"' && value[j + 1] === '"') {
          val += '"';
          j += 2;
        } else if (value[j] === '"') {
          j++;
          break;
        } else val += value[j++];
      }
      const semi = value.indexOf(';', j);
      j = semi < 0 ? value.length : semi + 1;
    } else {
      const semi = value.indexOf(';', j);
      val = value.slice(j, semi < 0 ? value.length : semi).trim();
      j = semi < 0 ? value.length : semi + 1;
    }
    if (!key) throw new ConnectionStringError('a key is empty');
    out.set(key, val);
    i = j;
  }
  return out;
}

/** The credentials in a connection string. Single Server logins (user@servername) are kept as given. */
export function parseConnectionString(value: string): PgCredentials {
  const kv = parsePairs(value);
  const pick = (...keys: string[]) => keys.map((k) => kv.get(k)).find((v) => v !== undefined);
  const user = pick('user id', 'userid', 'username', 'user', 'uid');
  const password = pick('password', 'pwd');
  if (!user) throw new ConnectionStringError('the "User Id" key is missing');
  if (password === undefined) throw new ConnectionStringError('the "Password" key is missing');
  const host = pick('server', 'host', 'data source');
  const portText = pick('port');
  const port = portText ? Number(portText) : undefined;
  if (portText && (!Number.isInteger(port) || port! <= 0 || port! > 65535))
    throw new ConnectionStringError(`"Port" is not a port number`);
  const database = pick('database', 'initial catalog');
  const sslMode = pick('ssl mode', 'sslmode');
  return {
    ...(host ? { host } : {}),
    ...(port ? { port } : {}),
    ...(database ? { database } : {}),
    user,
    password,
    ...(sslMode ? { sslMode: sslMode.toLowerCase().replace(/\s+/g, '') } : {}),
  };
}

/** The TLS modes a drill connects with (libpq names). */
export type TlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** What the operator allows (app settings). */
export interface TlsPolicy {
  /** Allow TLS without certificate verification (sslMode require) to non-loopback servers. */
  allowUnverified: boolean;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.trim());
}

/**
 * The TLS mode a connection to `host` uses, from the mode asked for (request or secret) and the operator's
 * policy: to a server that is not on this machine, TLS is verified against the system's CA bundle
 * (verify-full) unless the operator allows unverified TLS and `require` was asked; no TLS at all is only for
 * loopback addresses. Loopback servers get what was asked (default prefer).
 */
export function tlsModeFor(host: string, requested: string | undefined, policy: TlsPolicy): TlsMode {
  // libpq spells verify-full, Npgsql (the secret's format) VerifyFull: compare without separators.
  const asked = (requested ?? '').toLowerCase().replace(/[\s_-]+/g, '');
  const modes: Record<string, TlsMode> = {
    disable: 'disable',
    allow: 'prefer',
    prefer: 'prefer',
    require: 'require',
    verifyca: 'verify-ca',
    verifyfull: 'verify-full',
  };
  const mode: TlsMode | undefined = asked === '' ? undefined : modes[asked];
  if (asked !== '' && !mode)
    throw new AppError(
      'UnknownSslMode',
      `ssl mode "${requested}" is not one of disable, prefer, require, verify-ca, verify-full`,
      { recommendedActions: ['Use verify-full (the default), or another libpq ssl mode.'] },
    );
  if (isLoopback(host)) return mode ?? 'prefer';
  if (mode === 'disable')
    throw new AppError(
      'TlsRequired',
      `a connection to ${host} without TLS was asked for; only servers on this machine (loopback) may be reached without TLS`,
      { recommendedActions: ['Remove sslMode "disable", or use verify-full (the default).'] },
    );
  if (mode === 'verify-ca') return 'verify-ca';
  if (mode === 'require' && policy.allowUnverified) return 'require';
  return 'verify-full';
}

/** node-postgres ssl option for a TLS mode (certificates checked against Node's CA store). */
export function nodeSsl(
  mode: TlsMode | undefined,
  host: string,
): false | { rejectUnauthorized: boolean; servername?: string; checkServerIdentity?: () => undefined } {
  switch (mode ?? 'prefer') {
    case 'disable':
    case 'prefer':
      return false;
    case 'require':
      // Encrypted but unverified. tlsModeFor yields 'require' only for a loopback server or when the
      // operator set DRILL_ALLOW_UNVERIFIED_TLS; every other off-machine connection is verify-full.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(isLoopback(host) ? {} : { servername: host }) };
  }
}
