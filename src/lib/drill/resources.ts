/**
 * What a drill creates, as it records it (names and URIs only, never a secret), and what its cleanup did.
 * Recorded before each resource is created, so cleanup — the drill's own, or the sweeper's later — touches
 * exactly these and nothing else (docs/design.md, "Safety"). Pure.
 */
import { DB_PREFIX, drillToken, FILE_PREFIX, sandboxRoleName } from './names';

export type CreatedResource =
  /** A database Azure Backup restores onto a Single Server target (restore as database). */
  | { kind: 'database'; name: string; serverId: string; secretUri: string }
  /**
   * A scratch database the drill creates: on the drill server, for a restored dump to be loaded into; or, for
   * the negative control, empty, on the server verification runs on (without host: the server its secret names).
   */
  | {
      kind: 'scratchDatabase';
      name: string;
      host?: string;
      port?: number;
      adminDatabase: string;
      secretUri: string;
      sslMode?: string;
    }
  /** Dump files Azure Backup writes under the drill's prefix (restore as files). */
  | { kind: 'blobs'; containerUrl: string; prefix: string; names: string[] }
  /** The drill's read-only verification login on a server (docs/security.md). */
  | {
      kind: 'role';
      name: string;
      /** The admin secret of the server; its Server/Port unless host/port are given. */
      secretUri: string;
      host?: string;
      port?: number;
      adminDatabase: string;
      sslMode?: string;
      /** Databases it may have been granted read access in (older servers). */
      databases: string[];
    };

export interface CleanupAction {
  resource: string;
  action: string;
  status: 'done' | 'absent' | 'failed' | 'refused';
  message?: string;
}

/** The cleanup of one recorded resource: its actions, and whether a failure among them may pass if retried. */
export interface ResourceCleanup {
  actions: CleanupAction[];
  retryable: boolean;
}

/** One line naming a resource for reports and cleanup actions. */
export function describeResource(c: CreatedResource): string {
  if (c.kind === 'database') return `database ${c.name} on ${c.serverId}`;
  if (c.kind === 'scratchDatabase')
    return `database ${c.name} on ${c.host ? `${c.host}:${c.port ?? 5432}` : `the server of ${c.secretUri}`}`;
  if (c.kind === 'role')
    return `role ${c.name} on ${c.host ? `${c.host}:${c.port ?? 5432}` : `the server of ${c.secretUri}`}`;
  return `blobs ${c.prefix}* in ${c.containerUrl}`;
}

/** One database to verify and how to reach it. */
export interface VerifyTarget {
  /** Source database name (matches the verification spec's optional "database"). */
  database: string;
  /** The database to connect to (the restored or scratch database). */
  connectDatabase: string;
  /** Key Vault secret URI of a connection string; its Server/Port are used unless host/port are given. */
  secretUri: string;
  host?: string;
  port?: number;
  sslMode?: string;
  /** The database the admin login connects to for server-wide work (the verification role). */
  adminDatabase: string;
}

/** Which server a target or resource is on, as far as a login is concerned (its secret, host and port). */
export function serverKey(x: { secretUri: string; host?: string; port?: number }): string {
  return `${x.secretUri}|${(x.host ?? '').toLowerCase()}|${x.host ? (x.port ?? 5432) : ''}`;
}

/**
 * Why a recorded resource is not the drill's own, or null when it is. Cleanup runs from a record (the drill's
 * own list, or a stored report the sweeper reads back), so it trusts no name in it: each must be one the drill
 * with this id could have created (names.ts), carrying its token, or it is refused untouched.
 */
export function notOwnedBy(drillId: string, r: CreatedResource): string | null {
  const token = drillToken(drillId);
  switch (r.kind) {
    case 'database': {
      // pgdrill_{token}, or {label}_{token} where the label is pgdrill_[a-z0-9_]+ (the request schema).
      const mine =
        r.name === `${DB_PREFIX}${token}` ||
        (r.name.length <= 63 && new RegExp(`^${DB_PREFIX}[a-z0-9_]+_${token}$`).test(r.name));
      return mine
        ? null
        : `database ${r.name} does not carry drill ${drillId}'s name (${DB_PREFIX}…_${token})`;
    }
    case 'scratchDatabase':
      return r.name.startsWith(`${DB_PREFIX}${token}_`) && r.name.length <= 63
        ? null
        : `database ${r.name} is not one of drill ${drillId}'s scratch databases (${DB_PREFIX}${token}_…)`;
    case 'role':
      return r.name === sandboxRoleName(drillId)
        ? null
        : `role ${r.name} is not drill ${drillId}'s verification login (${sandboxRoleName(drillId)})`;
    case 'blobs': {
      const mine =
        r.prefix === `${FILE_PREFIX}${token}` ||
        new RegExp(`^${FILE_PREFIX}[A-Za-z0-9-]+-${token}$`).test(r.prefix);
      return mine
        ? null
        : `prefix ${r.prefix} does not carry drill ${drillId}'s name (${FILE_PREFIX}…-${token})`;
    }
  }
}
