/**
 * Connections to PostgreSQL servers, the one way the app opens them: TLS as the policy decided
 * (connection.ts), a connect timeout, a query timeout, an 'error' listener (a lost connection is an error of the
 * query that was running, never an uncaught event that ends the process), and the ambient activity deadline
 * (deadline.ts) ends the connection when it passes.
 */
import pg from 'pg';
import { currentSignal } from '../deadline';
import { nodeSsl, type TlsMode } from './connection';

export interface PgLogin {
  host: string;
  port: number;
  user: string;
  password: string;
  /** TLS as the policy decided (tlsModeFor); undefined only for loopback defaults. */
  tls?: TlsMode;
}

export interface ConnectOptions {
  applicationName?: string;
  /** Client-side limit of one query (server-side limits are statement_timeout). */
  queryTimeoutMs?: number;
}

export const CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_QUERY_TIMEOUT_MS = 120_000;

/** A connected client; the caller ends it. */
export async function connect(
  login: PgLogin,
  database: string,
  options: ConnectOptions = {},
): Promise<pg.Client> {
  const client = new pg.Client({
    host: login.host,
    port: login.port,
    user: login.user,
    password: login.password,
    database,
    ssl: nodeSsl(login.tls, login.host),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    application_name: options.applicationName ?? 'pg-restore-drill',
  });
  // Without a listener, a connection lost between queries is an unhandled 'error' event: the process dies.
  client.on('error', () => undefined);
  const signal = currentSignal();
  const onAbort = (): void => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  client.once('end', () => signal?.removeEventListener('abort', onAbort));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

export async function withConnection<T>(
  login: PgLogin,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const client = await connect(login, database, options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal for DDL that cannot take parameters. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
