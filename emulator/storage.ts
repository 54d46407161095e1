/**
 * Blob storage for the emulator: the vault store (where backups live) and restore-as-files targets, in
 * Azurite, either started here as a child process or already running (tests share one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

export interface AzuriteProcess {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  stop(): Promise<void>;
}

/** Starts Azurite (Blob, Queue, Table) in memory on 127.0.0.1. */
export interface AzuriteOptions {
  /** Keep data on disk in this folder (so a restarted Azurite has it) instead of in memory. */
  location?: string;
  /** Ports to listen on (a restart on the same endpoints); default: ports Azurite binds itself (0). */
  ports?: { blob: number; queue: number; table: number };
}

const SERVICES = ['Blob', 'Queue', 'Table'] as const;

/**
 * Azurite binds the ports it is given (0: any free one) and says which it got ("Azurite Blob service is
 * successfully listening at http://127.0.0.1:PORT"): the ports are read from that, never probed beforehand.
 */
export async function startAzurite(
  account = 'devstoreaccount1',
  options: AzuriteOptions = {},
): Promise<AzuriteProcess> {
  const bin = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const asked = options.ports ?? { blob: 0, queue: 0, table: 0 };
  // In memory, but Azurite still writes its debug/extent bookkeeping under the working directory.
  const workspace = options.location ?? mkdtempSync(join(tmpdir(), 'pgdrill-azurite-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--silent',
      '--disableTelemetry',
      ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
      '--skipApiVersionCheck',
      '--disableProductStyleUrl',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(asked.blob),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(asked.queue),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(asked.table),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: workspace },
  );
  let output = '';
  const ports: Partial<Record<(typeof SERVICES)[number], number>> = {};
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not listen within 30 s: ${output.trim().slice(-2000)}`)),
      30_000,
    );
    const read = (d: Buffer): void => {
      output += d.toString();
      for (const service of SERVICES) {
        const m = new RegExp(
          `Azurite ${service} service is successfully listening at http://[^:]+:(\\d+)`,
        ).exec(output);
        if (m) ports[service] = Number(m[1]);
      }
      if (SERVICES.every((x) => ports[x])) {
        clearTimeout(timer);
        child.stdout?.off('data', read);
        child.stdout?.resume(); // keep draining, unread
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}): ${output.trim().slice(-2000)}`));
    });
  });
  try {
    await listening;
  } catch (err) {
    child.kill('SIGKILL');
    if (!options.location) rmSync(workspace, { recursive: true, force: true });
    throw err;
  }
  return {
    blobEndpoint: `http://127.0.0.1:${ports.Blob}/${account}`,
    queueEndpoint: `http://127.0.0.1:${ports.Queue}/${account}`,
    tableEndpoint: `http://127.0.0.1:${ports.Table}/${account}`,
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
    transform?: (data: Buffer) => Buffer,
  ): Promise<number> {
    const original = await this.service
      .getContainerClient(fromContainer)
      .getBlockBlobClient(fromBlob)
      .downloadToBuffer();
    const data = transform ? transform(original) : original;
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
