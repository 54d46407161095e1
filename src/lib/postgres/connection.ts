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

/** node-postgres ssl option from an Npgsql/libpq ssl mode. */
export function sslOption(mode: string | undefined): boolean | { rejectUnauthorized: boolean } {
  switch ((mode ?? 'prefer').toLowerCase()) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      return { rejectUnauthorized: true };
  }
}

/** PGSSLMODE for the libpq tools (pg_restore). */
export function libpqSslMode(mode: string | undefined): string {
  const m = (mode ?? 'prefer').toLowerCase();
  return ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(m) ? m : 'prefer';
}
