/**
 * Blob storage for the emulator: the vault store (where backups live) and restore-as-files targets, in
 * Azurite, either started here as a child process or already running (tests share one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { freePort } from './postgres';

export interface AzuriteProcess {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Starts Azurite (Blob, Queue, Table) in memory on free ports on 127.0.0.1. */
export interface AzuriteOptions {
  /** Keep data on disk in this folder (so a restarted Azurite has it) instead of in memory. */
  location?: string;
  /** Ports to listen on (a restart on the same endpoints); default free ports. */
  ports?: { blob: number; queue: number; table: number };
}

export async function startAzurite(
  account = 'devstoreaccount1',
  options: AzuriteOptions = {},
): Promise<AzuriteProcess> {
  const bin = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const [blobPort, queuePort, tablePort] = options.ports
    ? [options.ports.blob, options.ports.queue, options.ports.table]
    : [await freePort(), await freePort(), await freePort()];
  // In memory, but Azurite still writes its debug/extent bookkeeping under the working directory.
  const workspace = options.location ?? mkdtempSync(join(tmpdir(), 'pgdrill-azurite-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--silent',
      ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
      '--skipApiVersionCheck',
      '--disableProductStyleUrl',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(blobPort),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(queuePort),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(tablePort),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: workspace },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Azurite exited (${code}): ${stderr.trim()}`))),
  );
  await Promise.race([
    Promise.all([
      waitForPort(blobPort, 20_000),
      waitForPort(queuePort, 20_000),
      waitForPort(tablePort, 20_000),
    ]),
    exited,
  ]);
  exited.catch(() => undefined);
  return {
    blobEndpoint: `http://127.0.0.1:${blobPort}/${account}`,
    queueEndpoint: `http://127.0.0.1:${queuePort}/${account}`,
    tableEndpoint: `http://127.0.0.1:${tablePort}/${account}`,
    stop: () =>
      new Promise<void>((resolve) => {
        // A folder the caller gave is the caller's (a restart reads it again).
        const tidy = (): void => {
          if (!options.location) rmSync(workspace, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return tidy();
        child.once('exit', tidy);
        child.kill('SIGTERM');
      }),
  };
}

export class BlobStore {
  readonly service: BlobServiceClient;

  constructor(
    readonly blobEndpoint: string,
    accountName: string,
    accountKey: string,
  ) {
    this.service = new BlobServiceClient(
      blobEndpoint,
      new StorageSharedKeyCredential(accountName, accountKey),
    );
  }

  async ensureContainer(name: string): Promise<void> {
    await this.service.getContainerClient(name).createIfNotExists();
  }

  async containerExists(name: string): Promise<boolean> {
    return this.service.getContainerClient(name).exists();
  }

  /** The container a URL points at, when the URL is in this account; undefined for anything else. */
  containerOfUrl(url: string): string | undefined {
    const base = this.blobEndpoint.replace(/\/+$/, '');
    const u = url.replace(/\/+$/, '');
    if (!u.toLowerCase().startsWith(base.toLowerCase() + '/')) return undefined;
    const rest = u.slice(base.length + 1);
    return /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(rest) ? rest : undefined;
  }

  async upload(
    container: string,
    blob: string,
    file: string,
    metadata: Record<string, string> = {},
  ): Promise<number> {
    const client = this.service.getContainerClient(container).getBlockBlobClient(blob);
    await client.uploadFile(file, { metadata });
    const props = await client.getProperties();
    return props.contentLength ?? 0;
  }

  async download(container: string, blob: string, file: string): Promise<void> {
    await this.service.getContainerClient(container).getBlockBlobClient(blob).downloadToFile(file);
  }

  /** Copies a blob inside the account (through this process: dumps here are emulator-sized). */
  async copy(
    fromContainer: string,
    fromBlob: string,
    toContainer: string,
    toBlob: string,
    metadata: Record<string, string> = {},
  ): Promise<number> {
    const data = await this.service
      .getContainerClient(fromContainer)
      .getBlockBlobClient(fromBlob)
      .downloadToBuffer();
    await this.service
      .getContainerClient(toContainer)
      .getBlockBlobClient(toBlob)
      .uploadData(data, { metadata });
    return data.length;
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
