/**
 * Reading Key Vault secrets inside activities (never in orchestrations): one SecretClient per vault, the
 * unmodified @azure/keyvault-secrets client with the app's credential.
 */
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import { currentSignal, deadlinePolicy } from '../lib/deadline';
import { AppError } from '../lib/errors';

export type SecretReader = (secretUri: string) => Promise<string>;

export function keyVaultSecretReader(credential: TokenCredential): SecretReader {
  const clients = new Map<string, SecretClient>();
  return async (secretUri: string) => {
    let url: URL;
    try {
      url = new URL(secretUri);
    } catch {
      throw new AppError('InvalidSecretUri', `${secretUri} is not a Key Vault secret URI`, {
        isUserError: true,
      });
    }
    // Key Vault's own naming rules: a name is 1-127 letters, digits and dashes; a version 32 hex digits.
    const m = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9A-Fa-f]{32}))?\/?$/.exec(url.pathname);
    // The app's Key Vault token goes to Key Vault only (public, US Government and China clouds), never to a host
    // a request names; a port, user info or query has no place in a secret URI either.
    const vaultHost = /^[0-9a-z-]+\.vault\.(?:azure\.net|usgovcloudapi\.net|azure\.cn)$/i.test(url.hostname);
    if (
      url.protocol !== 'https:' ||
      !m ||
      !vaultHost ||
      url.port ||
      url.username ||
      url.password ||
      url.search
    )
      throw new AppError(
        'InvalidSecretUri',
        `${secretUri} is not a Key Vault secret URI (https://{vault}.vault.azure.net/secrets/{name}[/{version}]; a name is letters, digits and dashes, a version 32 hexadecimal digits)`,
        { isUserError: true },
      );
    let client = clients.get(url.origin);
    if (!client) {
      client = new SecretClient(url.origin, credential, {
        // A few quick tries here; the orchestrator retries the whole step on durable timers.
        retryOptions: { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4_000 },
        additionalPolicies: [{ policy: deadlinePolicy(30_000), position: 'perCall' }],
      });
      clients.set(url.origin, client);
    }
    try {
      const secret = await client.getSecret(m[1]!, m[2] ? { version: m[2] } : {});
      if (secret.value === undefined)
        throw new AppError('SecretHasNoValue', `secret ${url.origin}${url.pathname} has no value`);
      return secret.value;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const signal = currentSignal();
      if (signal?.aborted && signal.reason instanceof AppError) throw signal.reason;
      throw keyVaultError(err, `${url.origin}${url.pathname}`, url.hostname, m[1]!);
    }
  };
}

/** A Key Vault failure as the app reports it: what went wrong, and who must do what about it. */
function keyVaultError(err: unknown, secret: string, vaultHost: string, name: string): AppError {
  const e = (err ?? {}) as { statusCode?: number; code?: string; message?: string };
  const said = e.message ?? String(err);
  const identity =
    "the app's identity (the function app's managed identity; AZURE_CLIENT_ID names a user-assigned one; az login on a laptop)";
  switch (e.statusCode) {
    case 401:
    case 403:
      return new AppError(
        'KeyVaultForbidden',
        `reading secret ${secret} was refused (HTTP ${e.statusCode}): ${said}`,
        {
          isUserError: true,
          recommendedActions: [
            `Grant ${identity} the "Key Vault Secrets User" role on the Key Vault ${vaultHost} (or, for a vault using access policies, Get on secrets).`,
          ],
        },
      );
    case 404:
      return new AppError('SecretNotFound', `secret ${secret} does not exist: ${said}`, {
        isUserError: true,
        recommendedActions: [
          `Create the secret ${name} in ${vaultHost}, or fix the secret URI in the drill request.`,
        ],
      });
    case undefined:
      return new AppError('KeyVaultUnreachable', `could not reach ${vaultHost} to read ${secret}: ${said}`, {
        isRetryable: true,
        recommendedActions: [
          `Check the Key Vault name in the secret URI and the network path from the function app to ${vaultHost} (private endpoint, firewall, DNS).`,
        ],
      });
    default:
      return new AppError(
        e.statusCode === 429 ? 'KeyVaultThrottled' : `KeyVaultHttp${e.statusCode}`,
        `reading secret ${secret} failed (HTTP ${e.statusCode}): ${said}`,
        {
          isRetryable: e.statusCode === 429 || e.statusCode >= 500,
          recommendedActions: [
            e.statusCode === 429 || e.statusCode >= 500
              ? "Key Vault is busy or failing: the drill retries; if it persists, check the vault's health in the Azure portal."
              : `Check the secret URI and ${identity}'s access to ${vaultHost}.`,
          ],
        },
      );
  }
}
