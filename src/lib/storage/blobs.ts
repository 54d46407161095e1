/**
 * Blob access for restore-as-files containers. In Azure the app's managed identity reads and cleans them
 * (Storage Blob Data Contributor); for a local emulator (Azurite), whose blob service does not take Entra
 * tokens over plain HTTP, RESTORE_STORAGE_CONNECTION_STRING gives the account's key instead.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  BlobServiceClient,
  ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { AppError } from '../errors';

export type ContainerAccess = (containerUrl: string) => ContainerClient;

/** Every storage request has a time limit (each try), and a few tries; calls also pass the activity's signal. */
export const STORAGE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { tryTimeoutInMs: 60_000, maxTries: 4, retryDelayInMs: 1_000, maxRetryDelayInMs: 15_000 },
};

/** A storage connection string's fields, by lower-case name. */
export function connectionStringFields(cs: string): Map<string, string> {
  return new Map(
    cs
      .split(';')
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
      }),
  );
}

function parseConnectionString(cs: string): {
  accountName?: string;
  accountKey?: string;
  blobEndpoint?: string;
} {
  const kv = connectionStringFields(cs);
  return {
    accountName: kv.get('accountname'),
    accountKey: kv.get('accountkey'),
    blobEndpoint: kv.get('blobendpoint'),
  };
}

export function containerAccess(options: {
  connectionString?: string;
  credential: TokenCredential;
}): ContainerAccess {
  const shared = options.connectionString ? parseConnectionString(options.connectionString) : undefined;
  return (containerUrl: string) => {
    let url: URL;
    try {
      url = new URL(containerUrl);
    } catch {
      throw new AppError('InvalidContainerUrl', `container URL ${containerUrl} is not a URL`);
    }
    const clean = url.href.replace(/\/+$/, '');
    if (
      shared?.accountName &&
      shared.accountKey &&
      shared.blobEndpoint &&
      clean.toLowerCase().startsWith(shared.blobEndpoint.replace(/\/+$/, '').toLowerCase() + '/')
    ) {
      return new ContainerClient(
        clean,
        new StorageSharedKeyCredential(shared.accountName, shared.accountKey),
        STORAGE_OPTIONS,
      );
    }
    if (url.protocol !== 'https:') {
      throw new AppError(
        'InsecureContainerUrl',
        `container URL ${containerUrl} is not https: Entra ID tokens are sent over HTTPS only (for a local emulator set RESTORE_STORAGE_CONNECTION_STRING)`,
      );
    }
    return new ContainerClient(clean, options.credential, STORAGE_OPTIONS);
  };
}

/** A BlobServiceClient for host storage (reports), from a connection string or a service URI + identity. */
export function blobService(options: {
  connectionString?: string;
  serviceUri?: string;
  credential: TokenCredential;
}): BlobServiceClient {
  if (options.connectionString)
    return BlobServiceClient.fromConnectionString(options.connectionString, STORAGE_OPTIONS);
  if (options.serviceUri)
    return new BlobServiceClient(options.serviceUri, options.credential, STORAGE_OPTIONS);
  throw new AppError(
    'MissingStorageSetting',
    'set AzureWebJobsStorage (local) or AzureWebJobsStorage__blobServiceUri (Azure) for drill reports',
  );
}
