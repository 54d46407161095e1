/**
 * What the activities need from the outside world, passed in by the composition root (src/app/services.ts)
 * or by tests, which pass real-but-local ones (the emulator, PostgreSQL, Azurite).
 */
import type { AlertConfig, AlertSender } from '../lib/alerts/deliver';
import type { DataProtectionClient } from '../lib/dataprotection/client';
import { AppError } from '../lib/errors';
import { recommendedActionFor } from '../lib/recommendedActions';
import type { PgLogin } from '../lib/postgres/client';
import { parseConnectionString, tlsModeFor, type TlsPolicy } from '../lib/postgres/connection';
import type { ContainerAccess } from '../lib/storage/blobs';
import type { ReportStore } from '../lib/storage/reportStore';
import type { AppInsightsSink } from '../lib/telemetry/metrics';
import type { SecretReader } from './secrets';

/**
 * What the job-watch activities need of Durable Functions' client: in Azure it comes with each invocation (an
 * activity binding), in the standalone host and tests from the in-process driver (set once it exists).
 */
export interface OrchestrationClient {
  startNew(name: string, instanceId: string, input: unknown): Promise<void>;
  getStatus(
    instanceId: string,
  ): Promise<{ runtimeStatus: string; customStatus: unknown; createdTime: string } | undefined>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean>;
}

export interface ActivityDeps {
  dataProtection: DataProtectionClient;
  secrets: SecretReader;
  containers: ContainerAccess;
  reports: ReportStore;
  /** pg_restore executable: a path, or a name looked up on searchPath. */
  pgRestore: string;
  /** PATH of the PostgreSQL client tools (the app's PATH setting). */
  searchPath?: string;
  /** CA bundle libpq verifies servers against (PGSSLROOTCERT). */
  sslRootCert?: string;
  /** TLS the operator allows (DRILL_ALLOW_UNVERIFIED_TLS). */
  tls?: TlsPolicy;
  /** Servers (host or host:port) a secret without a Server may be sent to (DRILL_ALLOWED_SERVERS). */
  allowedServers?: string[];
  /** How long an earlier restore attempt may still be accepted (DRILL_RESTORE_SETTLE_SECONDS). */
  restoreSettleSeconds?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
  /** Alerts (DRILL_ALERTS) and what sends them; absent: no alerts. */
  alerts?: { config?: AlertConfig; sender: AlertSender };
  /** Application Insights, where the metrics event is also sent; absent: it is only logged. */
  metrics?: Pick<AppInsightsSink, 'track'>;
  /** DRILL_COVERAGE_DAYS: without a passed drill for longer, an instance is overdue. */
  coverageDays?: number;
  /** The orchestration client of a runtime without per-invocation bindings (standalone host, tests). */
  orchestrations?: { client?: OrchestrationClient };
}

/** The server a request names for a secret (the drill server of a load); sslMode as asked. */
export interface RequestedServer {
  host?: string;
  port?: number;
  sslMode?: string;
}

function sameServer(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.host.trim().toLowerCase() === b.host.trim().toLowerCase() && a.port === b.port;
}

function allowed(list: readonly string[], host: string, port: number): boolean {
  return list.some((entry) => {
    const [h, p] = entry
      .trim()
      .toLowerCase()
      .split(/:(?=\d+$)/) as [string, string | undefined];
    return h === host.trim().toLowerCase() && (p === undefined || Number(p) === port);
  });
}

/**
 * A PostgreSQL login from a Key Vault secret (a connection string in the format Azure Backup reads), read here,
 * inside the activity, and never returned. The secret goes only to the server named inside it: a request that
 * names another host or port for it is refused before any connection. A secret that names no server may only
 * be sent to a server the operator allowed (DRILL_ALLOWED_SERVERS). TLS as tlsModeFor decides.
 */
export async function loginFromSecret(
  deps: ActivityDeps,
  secretUri: string,
  requested: RequestedServer = {},
): Promise<PgLogin> {
  const creds = parseConnectionString(await deps.secrets(secretUri));
  let host: string;
  let port: number;
  if (creds.host) {
    host = creds.host;
    port = creds.port ?? 5432;
    if (requested.host && !sameServer({ host, port }, { host: requested.host, port: requested.port ?? 5432 }))
      throw new AppError(
        'SecretServerMismatch',
        `the secret ${secretUri} is for ${host}:${port}, but the drill asks to send it to ${requested.host}:${requested.port ?? 5432}; a secret is only ever sent to the server it names`,
        {
          recommendedActions: [
            `Name ${host}:${port} as the drill server (target.load.host/port), or use a Key Vault secret whose Server is the drill server.`,
          ],
        },
      );
  } else {
    if (!requested.host)
      throw new AppError(
        'SecretHasNoServer',
        `the connection string in ${secretUri} has no Server, and no host was given`,
        {
          recommendedActions: ['Put Server=<host>;Port=<port> in the Key Vault secret.'],
        },
      );
    host = requested.host;
    port = requested.port ?? 5432;
    if (!allowed(deps.allowedServers ?? [], host, port))
      throw new AppError(
        'ServerNotAllowed',
        `the secret ${secretUri} names no server, and ${host}:${port} is not in DRILL_ALLOWED_SERVERS`,
        {
          recommendedActions: [
            `Put Server=${host};Port=${port} in the Key Vault secret, or add ${host}:${port} to the DRILL_ALLOWED_SERVERS setting.`,
          ],
        },
      );
  }
  return {
    host,
    port,
    user: creds.user,
    password: creds.password,
    tls: tlsModeFor(host, requested.sslMode ?? creds.sslMode, deps.tls ?? { allowUnverified: false }),
  };
}

/**
 * Durable Functions' client of an activity: the invocation's (Azure), else the runtime's (standalone host,
 * tests). Its absence is retryable: the host sets its client once its driver exists.
 */
export function orchestrationClientOf(
  deps: ActivityDeps,
  client: OrchestrationClient | undefined,
  purpose: string,
): OrchestrationClient {
  const c = client ?? deps.orchestrations?.client;
  if (!c)
    throw new AppError('NoOrchestrationClient', `no Durable Functions client ${purpose}`, {
      isRetryable: true,
      recommendedActions: [recommendedActionFor('NoOrchestrationClient')!],
    });
  return c;
}
