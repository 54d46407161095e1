/**
 * What the standalone host checks before it reads any state, so that the two usual start failures on a laptop
 * are one line naming the setting and the fix, within seconds, rather than `listen EADDRINUSE` or `connect
 * ECONNREFUSED 127.0.0.1:10002` after the storage SDK's retries: its port is taken, or its storage (Azurite)
 * is not running. And the one line any other start failure prints.
 */
import { connect, createServer } from 'node:net';
import type { AppConfig } from '../lib/config';
import { AppError } from '../lib/errors';
import { connectionStringFields } from '../lib/storage/blobs';

/** How Azurite is started for the host (docs/deploy.md's laptop recipe). */
export const START_AZURITE = 'npx azurite --silent --skipApiVersionCheck --location .tmp/azurite';

/** One storage service the host needs, and the setting that names it. */
export interface StorageEndpoint {
  setting: string;
  service: 'blob' | 'queue' | 'table';
  url: string;
}

const SERVICES = ['blob', 'queue', 'table'] as const;

/** The storage endpoints the host will use, from the connection string or the identity-based settings (pure). */
export function storageEndpoints(config: AppConfig, connectionString: string | undefined): StorageEndpoint[] {
  if (connectionString) {
    const kv = connectionStringFields(connectionString);
    const protocol = kv.get('defaultendpointsprotocol') ?? 'https';
    const account = kv.get('accountname');
    const suffix = kv.get('endpointsuffix') ?? 'core.windows.net';
    return SERVICES.flatMap((service) => {
      const url =
        kv.get(`${service}endpoint`) ??
        (account ? `${protocol}://${account}.${service}.${suffix}` : undefined);
      return url ? [{ setting: 'AzureWebJobsStorage', service, url }] : [];
    });
  }
  const uris = {
    blob: config.AzureWebJobsStorage__blobServiceUri,
    queue: config.AzureWebJobsStorage__queueServiceUri,
    table: config.AzureWebJobsStorage__tableServiceUri,
  };
  return SERVICES.flatMap((service) => {
    const url = uris[service];
    return url ? [{ setting: `AzureWebJobsStorage__${service}ServiceUri`, service, url }] : [];
  });
}

/** host:port of a URL, with the scheme's default port. */
function address(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** Connects to host:port: undefined when it answered, else the error code (ECONNREFUSED, ENOTFOUND, timeout). */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/**
 * Every storage endpoint accepts a connection, or an error naming the first that did not, its setting and how
 * to start Azurite (a local endpoint) or what to point the setting at.
 */
export async function checkStorageReachable(endpoints: StorageEndpoint[], timeoutMs = 3_000): Promise<void> {
  const results = await Promise.all(
    endpoints.map(async (e) => {
      const a = address(e.url);
      return { e, a, why: a ? await tcpProbe(a.host, a.port, timeoutMs) : undefined };
    }),
  );
  const down = results.find((r) => r.why !== undefined);
  if (!down?.a) return;
  const { e, a, why } = down;
  const local = ['127.0.0.1', 'localhost', '::1'].includes(a.host);
  const fix = local
    ? `start Azurite (${START_AZURITE}) or point ${e.setting} at a reachable storage account`
    : `check ${e.setting} and the network, or point it at a reachable storage account`;
  throw new AppError(
    'HostStorageUnreachable',
    `cannot reach the host storage's ${e.service} endpoint ${a.host}:${a.port} (${e.setting}): ${why}: ${fix}`,
    { isUserError: true, recommendedActions: [fix] },
  );
}

function portInUse(port: number, setting: string): AppError {
  const fix = `set ${setting} to a free port (0 picks any)`;
  return new AppError('HostPortInUse', `port ${port} is in use: ${fix}`, {
    isUserError: true,
    recommendedActions: [fix],
  });
}

/** The host's port can be bound now (0 always can), else an error naming the setting that chose it. */
export function checkPortFree(port: number, host = '127.0.0.1', setting = 'DRILL_HOST_PORT'): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? portInUse(port, setting) : err),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/**
 * The one line a failed start prints (pure): the error's message, with its fix when it has one of its own; a
 * taken port that was taken after the check still names the setting. The stack only when asked (DEBUG).
 */
export function startErrorLine(err: unknown, options: { port?: number; debug?: boolean } = {}): string {
  const e = err as NodeJS.ErrnoException & { port?: number };
  let line: string;
  if (e?.code === 'EADDRINUSE') line = portInUse(e.port ?? options.port ?? 0, 'DRILL_HOST_PORT').message;
  else if (err instanceof AppError) {
    const fixes = err.recommendedActions.filter((a) => !err.message.includes(a));
    line = [err.message, ...fixes.map((f) => `fix: ${f}`)].join('; ');
  } else line = err instanceof Error ? err.message : String(err);
  line = `error: ${line.replace(/\s*\n\s*/g, ' ')}`;
  return options.debug && err instanceof Error && err.stack ? `${line}\n${err.stack}` : line;
}
