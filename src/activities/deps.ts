/**
 * What the activities need from the outside world, passed in by the composition root (src/app/services.ts)
 * or by tests, which pass real-but-local ones (the emulator, PostgreSQL, Azurite).
 */
import type { DataProtectionClient } from '../lib/dataprotection/client';
import { AppError } from '../lib/errors';
import type { PgLogin } from '../lib/postgres/admin';
import { parseConnectionString } from '../lib/postgres/connection';
import type { ContainerAccess } from '../lib/storage/blobs';
import type { ReportStore } from '../lib/storage/reportStore';
import type { SecretReader } from './secrets';

export interface ActivityDeps {
  dataProtection: DataProtectionClient;
  secrets: SecretReader;
  containers: ContainerAccess;
  reports: ReportStore;
  /** pg_restore executable: a path, or a name looked up on searchPath. */
  pgRestore: string;
  /** PATH of the PostgreSQL client tools (the app's PATH setting). */
  searchPath?: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
}

/**
 * A PostgreSQL login from a Key Vault secret (a connection string), read here, inside the activity, and never
 * returned. `override` names the server when the drill request does (the drill server of a load).
 */
export async function loginFromSecret(
  deps: ActivityDeps,
  secretUri: string,
  override: { host?: string; port?: number; sslMode?: string } = {},
): Promise<PgLogin> {
  const creds = parseConnectionString(await deps.secrets(secretUri));
  const host = override.host ?? creds.host;
  if (!host)
    throw new AppError(
      'SecretHasNoServer',
      `the connection string in ${secretUri} has no Server, and no host was given`,
    );
  const sslMode = override.sslMode ?? creds.sslMode;
  return {
    host,
    port: override.port ?? creds.port ?? 5432,
    user: creds.user,
    password: creds.password,
    ...(sslMode ? { sslMode } : {}),
  };
}
