/**
 * What the pre-flight doctor concludes from a login's role attributes, judged the way PostgreSQL and the drill
 * use them. Pure.
 *
 * - CREATEDB is needed only where the drill creates a database with this login: a files restore that loads
 *   (a scratch database per dump) or a negative control (an empty database). A database restore is created by
 *   Azure Backup, not by the login.
 * - CREATEROLE is never required: without it, verification runs in the weaker mode (src/lib/postgres/sandbox.ts)
 *   and the drill still runs; the doctor says so.
 * - Role attributes are not inherited through membership (PostgreSQL: "the role attributes LOGIN, SUPERUSER,
 *   CREATEDB and CREATEROLE ... are never inherited"), so being a member of azure_pg_admin grants neither. On
 *   Azure the server admin holds CREATEDB and CREATEROLE itself.
 */
export interface RoleAttributes {
  super: boolean;
  createdb: boolean;
  createrole: boolean;
}

export type PrivilegeVerdict = { ok: true; note?: string } | { ok: false; missing: 'CREATEDB'; why: string };

export function privilegeVerdict(row: RoleAttributes, createsDatabases: boolean): PrivilegeVerdict {
  if (createsDatabases && !row.super && !row.createdb)
    return {
      ok: false,
      missing: 'CREATEDB',
      why: 'the drill creates databases with this login (a scratch database per dump, or the negative control)',
    };
  if (!row.super && !row.createrole)
    return {
      ok: true,
      note: 'no CREATEROLE: verification will run in the weaker mode (as this login, one statement at a time, in read-only transactions) instead of as a read-only login made for the drill',
    };
  return { ok: true };
}
