/**
 * Reading Key Vault secrets inside activities (never in orchestrations): one SecretClient per vault, the
 * unmodified @azure/keyvault-secrets client with the app's credential.
 */
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { AppError } from '../lib/errors';

export type SecretReader = (secretUri: string) => Promise<string>;

export function keyVaultSecretReader(credential: TokenCredential): SecretReader {
  const clients = new Map<string, SecretClient>();
  return async (secretUri: string) => {
    let url: URL;
    try {
      url = new URL(secretUri);
    } catch {
      throw new AppError('InvalidSecretUri', `${secretUri} is not a Key Vault secret URI`);
    }
    const m = /^\/secrets\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!m)
      throw new AppError(
        'InvalidSecretUri',
        `${secretUri} is not a Key Vault secret URI (https://{vault}.vault.azure.net/secrets/{name}[/{version}])`,
      );
    let client = clients.get(url.origin);
    if (!client) {
      client = new SecretClient(url.origin, credential);
      clients.set(url.origin, client);
    }
    try {
      const secret = await client.getSecret(decodeURIComponent(m[1]!), m[2] ? { version: m[2] } : {});
      if (secret.value === undefined)
        throw new AppError('SecretHasNoValue', `secret ${url.origin}${url.pathname} has no value`);
      return secret.value;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const e = err as { statusCode?: number; code?: string; message: string };
      const retryable = e.statusCode === undefined || e.statusCode === 429 || e.statusCode >= 500;
      throw new AppError(
        e.code ?? 'KeyVaultError',
        `reading secret ${url.origin}${url.pathname} failed: ${e.message}`,
        { isRetryable: retryable },
      );
    }
  };
}
