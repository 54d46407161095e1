/**
 * The CLI's HTTP client for the app's API: where it is (--url / PGDRILL_URL, checked before any call), the
 * function key, a timeout on every call, and one-line errors that say what went wrong and what to do: a refused
 * key, a missing key, a host that cannot be reached (with the cause fetch keeps in err.cause).
 */
import { UsageError } from './args';

export const DEFAULT_URL = 'http://127.0.0.1:7071';
/** Each call's limit; PGDRILL_REQUEST_TIMEOUT_SECONDS changes it (a slow link, or a test of the timeout). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

/** The app's JSON answers, as far as the CLI reads them. */
export interface ApiBody {
  id?: string;
  runtimeStatus?: string;
  phase?: string | null;
  detail?: string | null;
  job?: { status?: string; progress?: string; polls?: number };
  createdTime?: string;
  report?: import('../lib/drill/report').DrillReport;
  error?: { code: string; message: string; errors?: { pointer: string; message: string }[] } | string;
  running?: { id: string; runtimeStatus?: string; phase?: string | null; createdTime?: string }[];
  finished?: Record<string, unknown>[];
  nextLink?: string;
  progress?: { phase?: string; due?: number; running?: number; done?: number; passed?: number } | null;
}

export interface ApiResponse {
  status: number;
  body: ApiBody;
}

export interface Connection {
  base: string;
  key?: string;
  timeoutMs: number;
}

/** The host's URL from --url or PGDRILL_URL: empty or not http(s) is a usage error naming where it came from. */
export function resolveConnection(
  flags: { url?: string; key?: string },
  env: NodeJS.ProcessEnv,
  usage: string,
): Connection {
  const from = flags.url !== undefined ? '--url' : env.PGDRILL_URL !== undefined ? 'PGDRILL_URL' : undefined;
  const raw = (flags.url ?? env.PGDRILL_URL ?? DEFAULT_URL).trim();
  if (!raw)
    throw new UsageError(
      `${from} is empty: give the host's URL, e.g. --url ${DEFAULT_URL} (or set PGDRILL_URL)`,
      usage,
    );
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname)
    throw new UsageError(
      `${from} ${JSON.stringify(raw)} is not an http(s) URL: give one like ${DEFAULT_URL} (--url or PGDRILL_URL)`,
      usage,
    );
  if (flags.key === '')
    throw new UsageError('--key is empty: give the function key, or leave --key out', usage);
  const key = flags.key ?? env.PGDRILL_KEY ?? env.DRILL_FUNCTION_KEY;
  const t = env.PGDRILL_REQUEST_TIMEOUT_SECONDS;
  const timeoutSeconds = t === undefined || t === '' ? DEFAULT_REQUEST_TIMEOUT_SECONDS : Number(t);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError(`PGDRILL_REQUEST_TIMEOUT_SECONDS=${t}: give a positive number of seconds`, usage);
  return {
    base: raw.replace(/\/+$/, ''),
    ...(key ? { key } : {}),
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** Why fetch could not reach the host, in words, from the cause it keeps (err.cause, or its first error). */
export function unreachableReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: unknown };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer in ${timeoutMs / 1000} s (PGDRILL_REQUEST_TIMEOUT_SECONDS changes the limit)`;
  const cause = (e.cause ?? e) as Error & { code?: string; errors?: (Error & { code?: string })[] };
  const code = cause.code ?? cause.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the host running? `npm run serve`)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host name (check --url / PGDRILL_URL)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer came';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `its TLS certificate is not trusted (${code}; NODE_EXTRA_CA_CERTS names an extra CA file)`;
    default:
      return `${cause.message || e.message}${code ? ` (${code})` : ''}`;
  }
}

/** One call to the app, with the key and a timeout; a host that cannot be reached throws the reason. */
export async function call(
  conn: Connection,
  method: string,
  path: string,
  body?: string,
): Promise<ApiResponse> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(`${conn.base}${path}`, {
      method,
      headers: {
        ...(conn.key ? { 'x-functions-key': conn.key } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(conn.timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new Error(`cannot reach ${conn.base}: ${unreachableReason(err, conn.timeoutMs)}`);
  }
  if ((status === 401 || status === 403) && conn.key)
    throw new Error(`the function key was refused by ${conn.base}: check --key / PGDRILL_KEY`);
  let parsed: ApiBody;
  try {
    parsed = text ? (JSON.parse(text) as ApiBody) : {};
  } catch {
    parsed = { error: text.slice(0, 200) };
  }
  if (status === 401 || status === 403) {
    const e = parsed.error;
    const said = typeof e === 'object' ? `${e.code}: ${e.message}` : e;
    throw new Error(`HTTP ${status}${said ? ` ${said}` : ''} (${conn.base}: pass --key or set PGDRILL_KEY)`);
  }
  return { status, body: parsed };
}

/** An answer the command did not expect, as one line (plus the JSON pointer of each bad field, if any). */
export function failure(res: ApiResponse, what: string): Error {
  const e = res.body.error;
  if (typeof e === 'string' || e === undefined)
    return new Error(`${what}: HTTP ${res.status}${e ? ` ${e}` : ''}`);
  const details = e.errors
    ? `\n${e.errors.map((x) => `  ${x.pointer || '(root)'}: ${x.message}`).join('\n')}`
    : '';
  return new Error(`${what}: HTTP ${res.status} ${e.code}: ${e.message}${details}`);
}
