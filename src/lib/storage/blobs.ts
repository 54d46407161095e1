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

/** Azure Storage blob endpoints (public, DNS-zone, US Government and China clouds), where a token may go. */
const BLOB_HOST =
  /^[a-z0-9]+\.(?:blob\.core\.windows\.net|z\d+\.blob\.storage\.azure\.net|blob\.core\.usgovcloudapi\.net|blob\.core\.chinacloudapi\.cn)$/i;

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
    // The token's audience is every storage account the identity may reach: it goes to Azure Storage only,
    // never to a host a drill request names (the doctor opens the container before Azure validates anything).
    if (!BLOB_HOST.test(url.hostname))
      throw new AppError(
        'ContainerHostNotAllowed',
        `container URL host ${url.hostname} is not an Azure Storage blob endpoint ({account}.blob.core.windows.net, {account}.{zone}.blob.storage.azure.net, or the US Government or China cloud's): the app's storage token is sent to Azure Storage only`,
        { isUserError: true },
      );
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
