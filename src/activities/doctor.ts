/**
 * The pre-flight doctor: every precondition of a drill request, checked without restoring anything (no restore
 * is triggered, nothing is created; validateRestore changes nothing). Each check has its own time limit, a
 * failing dependency becomes a failed check (never an exception out of runDoctor), and the whole run is
 * bounded. The checks go through the very code paths a drill uses (the Data Protection activities, the
 * cross-region refusals, loginFromSecret and the TLS policy, the drill's naming), so a pass here means the
 * drill's own calls will find what they need.
 */
import { parseBackupInstanceId, datasourceKindOf, parentId, parseArmId } from '../lib/dataprotection/armId';
import {
  assertCrossRegionApiVersion,
  decideCrossRegion,
  type CrossRegion,
} from '../lib/dataprotection/crossRegion';
import { failureFromErrorData } from '../lib/dataprotection/errors';
import type { PollState } from '../lib/dataprotection/pollState';
import { DeadlineExceededError, withDeadline } from '../lib/deadline';
import {
  blobDataRoleAssignments,
  BLOB_DATA_ROLES,
  CROSS_REGION_ACTIONS,
  DRILL_ACTIONS,
  missingActions,
} from '../lib/doctor/permissions';
import { privilegeVerdict } from '../lib/doctor/privileges';
import {
  DOCTOR_TIMEOUT_MS,
  type CheckStatus,
  type DoctorCheck,
  type DoctorResult,
} from '../lib/doctor/types';
import { drillInstanceId } from '../lib/drill/instanceIds';
import {
  DB_PREFIX,
  drillDatabaseName,
  drillFilePrefix,
  FILE_PREFIX,
  isRestoredFileOf,
} from '../lib/drill/names';
import { restoreFromOf, type NormalizedRequest } from '../lib/drill/request';
import { planRestore } from '../lib/drill/restorePlan';
import type { SelectOutput } from './contracts';
import { AppError, toFailure } from '../lib/errors';
import { pgRestoreVersion } from '../lib/postgres/admin';
import { withConnection, type PgLogin } from '../lib/postgres/client';
import { parseConnectionString } from '../lib/postgres/connection';
import type { BackupInstanceResource, BackupVaultResource } from '../lib/types/generated/dataprotection';
import { dataProtectionActivities } from './dataProtection';
import { loginFromSecret, type ActivityDeps, type RequestedServer } from './deps';

export { DOCTOR_TIMEOUT_MS, type DoctorCheck, type DoctorResult } from '../lib/doctor/types';

/** One check's bound (the whole run's is DOCTOR_TIMEOUT_MS). */
const CHECK_TIMEOUT_MS = 20_000;
/** The drill id the doctor builds the restore request with (validateRestore needs a complete body). */
const PREFLIGHT_DRILL_ID = 'preflight';

type Outcome = { status: CheckStatus; evidence: string; fix?: string; code?: string };

const pass = (evidence: string): Outcome => ({ status: 'passed', evidence });
const skip = (evidence: string): Outcome => ({ status: 'skipped', evidence });
const fail = (evidence: string, fix: string, code?: string): Outcome => ({
  status: 'failed',
  evidence,
  fix,
  ...(code ? { code } : {}),
});

/** A thrown error as a failed check: the app's code, its message (which never quotes a secret) and its actions. */
function failedBy(err: unknown, context?: string): Outcome {
  if (err instanceof RefusedRead) return fail(err.message, err.fix, 'AuthorizationFailed');
  const f = toFailure(err);
  return fail(
    context ? `${context}: ${f.message}` : f.message,
    f.recommendedActions.join(' ') || 'See the evidence.',
    f.code,
  );
}

/**
 * A read ARM refused (403): the failure names the role infra/main.bicep gives for exactly that read, instead of
 * the generic advice for a refused drill call. Anything else is reported as it is.
 */
async function orRefused<T>(read: () => Promise<T>, fix: string): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const f = toFailure(err);
    if (f.code === 'AuthorizationFailed') throw new RefusedRead(f.message, fix);
    throw err;
  }
}
class RefusedRead extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** What one run learns, for the checks that need an earlier one's facts. */
interface Facts {
  instance?: BackupInstanceResource;
  vault?: BackupVaultResource;
  vaultId: string;
  crossRegion?: CrossRegion;
  selection?: Extract<SelectOutput, { ok: true }>;
  secretHost?: string;
  login?: PgLogin;
  /** The connection attempt: undefined until tried; an error when it failed. */
  connected?: { ok: true; tls: string } | { ok: false; error: unknown };
}

export async function runDoctor(deps: ActivityDeps, request: NormalizedRequest): Promise<DoctorResult> {
  const now = deps.now ?? (() => new Date());
  const checkedAt = now();
  const runDeadline = Date.now() + DOCTOR_TIMEOUT_MS;
  const restoreFrom = restoreFromOf(request);
  const secondary = restoreFrom === 'secondaryRegion';
  const target = request.target;
  const checks: DoctorCheck[] = [];
  const dp = dataProtectionActivities(deps);
  let vaultId = '';
  try {
    vaultId = parseBackupInstanceId(request.backupInstanceId).vaultId;
  } catch {
    /* the request was validated: a backup instance id always parses */
  }
  const facts: Facts = { vaultId };

  /** Runs one check unless a check it needs did not pass; its time is bounded by its own limit and the run's. */
  async function check(
    id: string,
    title: string,
    needs: string[],
    fn: () => Promise<Outcome>,
  ): Promise<void> {
    const started = Date.now();
    const blocked = needs
      .map((n) => checks.find((c) => c.id === n))
      .find((c) => c !== undefined && c.status !== 'passed');
    let outcome: Outcome;
    if (blocked)
      outcome = skip(`needs ${blocked.id}, which ${blocked.status === 'failed' ? 'failed' : 'was skipped'}`);
    else if (Date.now() >= runDeadline)
      outcome = skip(`the doctor's ${DOCTOR_TIMEOUT_MS / 1000} s ran out before this check`);
    else {
      const deadline = new Date(Math.min(runDeadline, Date.now() + CHECK_TIMEOUT_MS));
      try {
        outcome = await withDeadline(deadline, fn);
      } catch (err) {
        // The deadline here is the check's, not a drill's: say so, rather than "raise the drill's deadline".
        outcome =
          err instanceof DeadlineExceededError
            ? fail(
                `no answer within ${Math.round((deadline.getTime() - started) / 1000)} s (the check's time limit)`,
                'Check the network path to the service this check calls (Azure Resource Manager, Key Vault, storage or the PostgreSQL server), then run the doctor again.',
                'CheckTimedOut',
              )
            : failedBy(err);
      }
    }
    // One line each: services' messages (Key Vault's) carry line breaks.
    const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
    checks.push({
      id,
      title,
      ...outcome,
      evidence: oneLine(outcome.evidence),
      ...(outcome.fix ? { fix: oneLine(outcome.fix) } : {}),
      durationMs: Date.now() - started,
    });
  }

  // 1. The app's identity may call every Data Protection action the drill calls, at the scope of each call: the
  // vault's own actions on the vault; the operation status and result reads on the subscription (their URLs are
  // /subscriptions/{s}/providers/Microsoft.DataProtection/locations/...); the cross-region actions on the vault's
  // resource group (…/resourceGroups/{g}/providers/Microsoft.DataProtection/locations/{paired region}/...). A role
  // assigned only below one of these scopes does not cover its calls, so each is read where ARM authorizes it.
  await check(
    'identity-permissions',
    "The app's identity holds the drill's Data Protection actions",
    [],
    async () => {
      const missingAt: string[] = [];
      const fixes: string[] = [];
      let total = 0;
      for (const group of permissionScopes(vaultId, secondary)) {
        if (group.actions.length === 0) continue;
        const permissions = [];
        for await (const p of deps.dataProtection.listPermissions(group.scope)) permissions.push(p);
        const missing = missingActions(permissions, group.actions);
        total += group.actions.length;
        if (missing.length) {
          missingAt.push(`missing on ${group.scope} (${group.what}): ${missing.join(', ')}`);
          fixes.push(`${group.role} on ${group.scope}`);
        }
      }
      if (missingAt.length === 0)
        return pass(
          `all ${total} actions granted, each at the scope its calls are authorized at (vault, resource group, subscription)`,
        );
      return fail(
        missingAt.join('; '),
        `Assign the app's managed identity ${fixes.join(', and ')}: infra/main.bicep deploys these roles and assignments (<token> is the deployment's resource token, as in func-pgdrill-<token>), infra/README.md ("Roles") lists them, docs/deploy.md shows how to check each.`,
        'MissingDataProtectionActions',
      );
    },
  );

  // 2. The backup instance exists, is protected and healthy.
  await check(
    'backup-instance-protected',
    'The backup instance exists, is protected and healthy',
    [],
    async () => {
      const bi = await deps.dataProtection.getBackupInstance(request.backupInstanceId);
      facts.instance = bi;
      facts.vault = await deps.dataProtection.getBackupVault(vaultId);
      const p = bi.properties;
      const status = p.protectionStatus?.status ?? '(not reported)';
      const state = p.currentProtectionState ?? '(not reported)';
      const errors = (p.protectionErrorDetails ? [p.protectionErrorDetails] : []).concat(
        p.protectionStatus?.errorDetails ? [p.protectionStatus.errorDetails] : [],
      );
      const errorText = errors.map((e) => `${e.code ?? 'error'}: ${e.message ?? ''}`.trim()).join('; ');
      const seen = `protectionStatus ${status}, currentProtectionState ${state}, datasource ${p.dataSourceInfo.resourceID}`;
      if (
        status.toLowerCase() !== 'protectionconfigured' ||
        state.toLowerCase() !== 'protectionconfigured' ||
        errors.length
      )
        return fail(
          `${seen}${errorText ? `; errors: ${errorText}` : ''}`,
          'Fix the backup instance in Backup center (resume protection, fix the errors shown, or configure backup again) before drilling it.',
          'BackupInstanceNotProtected',
        );
      return pass(seen);
    },
  );

  // The backup vault restores with its system-assigned identity: Azure Backup reads the target's secret, the target
  // server and the restore container as the vault, never as the app. A vault with a user-assigned identity only, or
  // none, fails every restore (UserErrorMSIMissingPermissions and friends) after the drill has started.
  await check(
    'vault-identity',
    'The backup vault has a system-assigned identity',
    ['backup-instance-protected'],
    () => {
      const identity = facts.vault?.identity;
      const type = identity?.type ?? '(no identity)';
      const system = type
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .includes('systemassigned');
      if (!system || !identity?.principalId)
        return Promise.resolve(
          fail(
            `vault ${vaultId}: identity.type ${type}${identity?.principalId ? '' : ', no identity.principalId'}`,
            `Enable the backup vault's system-assigned identity (az dataprotection backup-vault identity assign -g <vault resource group> --vault-name <vault> --system-assigned), then give it the roles docs/deploy.md lists under "The backup vault's identity" (azd provision grants those roles when the vault is in PGDRILL_BACKUP_VAULT_IDS).`,
            'VaultIdentityMissing',
          ),
        );
      return Promise.resolve(pass(`identity.type ${type}, principalId ${identity.principalId}`));
    },
  );

  // 9. Cross-region prerequisites (before the recovery point: a secondary drill lists secondary points).
  await check(
    'cross-region',
    'Cross-region restore prerequisites',
    ['backup-instance-protected'],
    async () => {
      if (!secondary) return skip('not applicable: restoreFrom is primaryRegion');
      assertCrossRegionApiVersion(deps.dataProtection.apiVersion);
      const crFacts = await dp.resolveCrossRegion({
        vaultId,
        ...(target.kind === 'database' ? { targetServerId: target.serverId } : {}),
      });
      facts.crossRegion = decideCrossRegion(crFacts, {
        kind: target.kind,
        ...(target.restoreLocation ? { restoreLocation: target.restoreLocation } : {}),
      });
      return pass(
        `vault in ${facts.crossRegion.sourceRegion}, cross-region restore ${crFacts.crossRegionRestoreState}, storage ${crFacts.storageTypes.join(', ')}; restore runs in ${facts.crossRegion.targetRegion}`,
      );
    },
  );

  // 3. A recovery point matches the request's policy (the drill's own selection).
  const regionNeeds = secondary ? ['cross-region'] : [];
  await check(
    'recovery-point',
    "A recovery point matches the request's policy",
    ['backup-instance-protected', ...regionNeeds],
    async () => {
      const sel = await dp.selectRecoveryPoint({
        backupInstanceId: request.backupInstanceId,
        policy: request.recoveryPoint,
        drillStart: checkedAt.toISOString(),
        seed: PREFLIGHT_DRILL_ID,
        ...(facts.crossRegion ? { crossRegion: facts.crossRegion } : {}),
      });
      if (!sel.ok)
        return fail(
          sel.message,
          'Check the recovery point policy (recoveryPoint), or take a backup first.',
          sel.code,
        );
      facts.selection = sel;
      const random =
        request.recoveryPoint.policy === 'randomWithinWindow'
          ? ' (random policy: the drill draws from its own id, so it may pick another of the candidates)'
          : '';
      return pass(
        `${secondary ? 'secondary ' : ''}point ${sel.point.id} at ${sel.point.time} (${sel.dataStore}, ${sel.candidates} candidates, policy ${request.recoveryPoint.policy})${random}`,
      );
    },
  );

  // 4. validateRestore (or validateCrossRegionRestore) passes; it changes nothing.
  await check('validate-restore', 'Azure validates the restore request', ['recovery-point'], async () => {
    const plan = planRestore({
      drillId: PREFLIGHT_DRILL_ID,
      request,
      instance: {
        datasourceId: facts.instance!.properties.dataSourceInfo.resourceID,
        ...(facts.vault?.location ? { location: facts.vault.location } : {}),
      },
      ...(facts.crossRegion ? { restoreRegion: facts.crossRegion.targetRegion } : {}),
      recoveryPointId: facts.selection!.point.id,
      dataStore: facts.selection!.dataStore,
      apiVersion: deps.dataProtection.apiVersion,
    });
    let state: PollState = await dp.startValidateRestore({
      backupInstanceId: request.backupInstanceId,
      body: plan.body,
      ...(facts.crossRegion ? { crossRegion: facts.crossRegion } : {}),
    });
    let wait = 500;
    while (state.status === 'running') {
      const ms =
        state.retryAfterSeconds !== undefined ? Math.min(state.retryAfterSeconds * 1000, 5_000) : wait;
      await new Promise((r) => setTimeout(r, ms));
      wait = Math.min(wait * 2, 5_000);
      state = await dp.pollOperation({ state });
    }
    if (state.status === 'succeeded')
      return pass(
        `${state.operation} succeeded for point ${facts.selection!.point.id} (${state.polls} polls)`,
      );
    const f = state.error
      ? failureFromErrorData(state.error)
      : toFailure(new AppError('ValidationFailed', `${state.operation} ended ${state.status}`));
    return fail(
      `${state.operation} ${state.status}: ${f.message}`,
      f.recommendedActions.join(' ') || 'See the evidence.',
      f.code,
    );
  });

  // 5. The Key Vault secret the drill reads is readable, parses, and may be sent to the server.
  const secretUri = target.kind === 'database' ? target.secretUri : target.load?.secretUri;
  const requested: RequestedServer =
    target.kind === 'files' && target.load
      ? {
          host: target.load.host,
          port: target.load.port ?? 5432,
          ...(target.load.sslMode ? { sslMode: target.load.sslMode } : {}),
        }
      : {};
  const serverWhat = target.kind === 'database' ? 'target server' : 'drill server';
  const noServer = 'not applicable: a files restore without load connects to no server';
  await check('secret-readable', 'The Key Vault secret is readable and parses', [], async () => {
    if (!secretUri) return skip(noServer);
    const creds = parseConnectionString(await deps.secrets(secretUri));
    facts.secretHost = creds.host;
    return pass(
      `${secretUri}: a connection string for user ${creds.user}${creds.host ? ` on ${creds.host}:${creds.port ?? 5432}` : ' (no Server)'}`,
    );
  });
  await check(
    'secret-names-target',
    `The secret may be sent to the ${serverWhat}`,
    ['secret-readable'],
    async () => {
      if (!secretUri) return skip(noServer);
      facts.login = await loginFromSecret(deps, secretUri, requested);
      const mine = target.kind === 'database' ? parseArmId(target.serverId).name : undefined;
      const note =
        mine && facts.login.host.toLowerCase().split('.')[0] !== mine.toLowerCase()
          ? ` (note: the host is not ${mine}.postgres.database.azure.com; Azure Backup sends this secret to ${mine})`
          : '';
      return pass(`${facts.login.host}:${facts.login.port}, TLS ${facts.login.tls ?? 'prefer'}${note}`);
    },
  );

  // 6. The server: reachable over TLS as the policy decides, the login works, it may create what a drill creates.
  await check(
    'server-reachable-tls',
    `The ${serverWhat} is reachable (TLS as the policy decides)`,
    ['secret-names-target'],
    async () => {
      if (!secretUri) return skip(noServer);
      const login = facts.login!;
      try {
        const tls = await withConnection(login, adminDatabase(request), async (c) => {
          const r = await c.query<{ ssl: boolean | null }>(
            'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
          );
          return r.rows[0]?.ssl ? 'TLS' : 'no TLS';
        });
        facts.connected = { ok: true, tls };
      } catch (err) {
        facts.connected = { ok: false, error: err };
        const f = toFailure(err);
        // The server answered (authentication or database errors are SQLSTATEs): reachable; the login decides.
        if (!f.code.startsWith('PostgreSQL')) return failedBy(err, `${login.host}:${login.port}`);
      }
      return pass(
        `${login.host}:${login.port} answered (mode ${login.tls ?? 'prefer'}${facts.connected.ok ? `, ${facts.connected.tls} in use` : ''})`,
      );
    },
  );
  await check('server-login', `The login works on the ${serverWhat}`, ['server-reachable-tls'], () => {
    if (!secretUri) return Promise.resolve(skip(noServer));
    const c = facts.connected!;
    if (!c.ok) return Promise.resolve(failedBy(c.error, `user ${facts.login!.user}`));
    return Promise.resolve(pass(`user ${facts.login!.user} connected to ${adminDatabase(request)}`));
  });
  await check(
    'server-can-create',
    'The login holds the privileges the drill uses',
    ['server-login'],
    async () => {
      if (!secretUri) return skip(noServer);
      const r = await withConnection(facts.login!, adminDatabase(request), (c) =>
        c.query<{ super: boolean; createdb: boolean; createrole: boolean }>(
          `SELECT rolsuper AS super, rolcreatedb AS createdb, rolcreaterole AS createrole
           FROM pg_roles WHERE rolname = current_user`,
        ),
      );
      const row = r.rows[0];
      if (!row)
        return fail('the login has no pg_roles row', 'Check the login in the secret.', 'LoginUnknown');
      const user = facts.login!.user;
      const flags = `superuser ${row.super}, CREATEDB ${row.createdb}, CREATEROLE ${row.createrole}`;
      const createsDatabases =
        (target.kind === 'files' && !!target.load) || request.verify.negativeControl === true;
      const verdict = privilegeVerdict(row, createsDatabases);
      if (!verdict.ok)
        return fail(
          `user ${user}: ${flags}; ${verdict.why}`,
          `ALTER ROLE ${user} ${verdict.missing}; (as a superuser or the server admin; membership of azure_pg_admin does not pass CREATEDB on).`,
          'MissingServerPrivileges',
        );
      return pass(`user ${user}: ${flags}${verdict.note ? `; ${verdict.note}` : ''}`);
    },
  );

  // 7. The restore container exists (and, below, the vault's identity may write into it).
  await check('container-exists', 'The restore container exists', [], async () => {
    if (target.kind !== 'files') return skip('not applicable: a database restore writes no files');
    const exists = await deps.containers(target.containerUrl).exists();
    if (!exists)
      return fail(
        `${target.containerUrl} does not exist`,
        'Create the container (or fix target.containerUrl).',
        'ContainerNotFound',
      );
    return pass(`${target.containerUrl} exists`);
  });
  // 6 and 7: the names the drill would create are free.
  await check(
    'names-free',
    'The names the drill would create are free',
    target.kind === 'database' ? ['server-login'] : ['container-exists'],
    async () => {
      const drillId = request.idempotencyKey
        ? drillInstanceId({ kind: 'http', newId: () => '' }, request.idempotencyKey)
        : undefined;
      if (target.kind === 'database') {
        const label = target.databaseName ?? DB_PREFIX.replace(/_$/, '');
        const exact = drillId ? drillDatabaseName(drillId, target.databaseName) : undefined;
        const names = await withConnection(facts.login!, 'postgres', async (c) =>
          (
            await c.query<{ datname: string }>(
              // left() rather than starts_with(), which PostgreSQL 10 (Single Server) lacks.
              'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1 ORDER BY 1',
              [`${label}_`],
            )
          ).rows.map((r) => r.datname),
        );
        if (exact && names.includes(exact))
          return fail(
            `database ${exact} (the name drill ${drillId} would restore into) already exists on ${target.serverId}`,
            `Drop ${exact} if it is a leftover (the sweeper removes drill leftovers past their TTL), or use another idempotencyKey.`,
            'UserErrorDatabaseNameAlreadyInUse',
          );
        return pass(
          `${exact ? `${exact} is free` : `the drill names its database ${label}_{drill token}; no drill id yet (no idempotencyKey), so only the pattern is checked`}; ${names.length} database(s) named ${label}_* exist${names.length ? ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}: leftovers the sweeper removes)` : ''}`,
        );
      }
      const label = target.filePrefix ?? FILE_PREFIX.replace(/-$/, '');
      const exact = drillId ? drillFilePrefix(drillId, target.filePrefix) : undefined;
      const container = deps.containers(target.containerUrl);
      let count = 0;
      let taken = false;
      for await (const blob of container.listBlobsFlat({ prefix: `${label}-` })) {
        count++;
        if (exact && isRestoredFileOf(blob.name, exact)) taken = true;
        if (count >= 1000) break;
      }
      if (taken)
        return fail(
          `blobs under ${exact} (the prefix drill ${drillId} would restore under) already exist in ${target.containerUrl}`,
          `Delete the blobs under ${exact} if they are leftovers, or use another idempotencyKey.`,
          'FilePrefixInUse',
        );
      return pass(
        `${exact ? `prefix ${exact} is free` : `the drill writes under ${label}-{drill token}; no drill id yet (no idempotencyKey), so only the pattern is checked`}; ${count} blob(s) under ${label}- exist${target.load ? "; the scratch databases of the load are named after the dumps' databases, known only once restored" : ''}`,
      );
    },
  );

  await check(
    'vault-blob-role',
    "The vault's identity holds a blob data role on the container",
    ['vault-identity'],
    async () => {
      if (target.kind !== 'files') return skip('not applicable: a database restore writes no files');
      if (!target.containerArmId)
        return skip(
          "the container's ARM id is unknown (a container URL does not say its storage account's resource group): set target.containerArmId to check the vault identity's role",
        );
      // vault-identity passed, so the vault has a system-assigned identity with a principal id.
      const principalId = facts.vault?.identity?.principalId ?? '';
      const containerArmId = target.containerArmId;
      const assignments = await orRefused(async () => {
        const list = [];
        for await (const a of deps.dataProtection.listRoleAssignments(containerArmId)) list.push(a);
        return list;
      }, `Give the app's identity the custom role "pg-restore-drill role-assignment reader (<token>)" on the storage account (infra/main.bicep assigns it on each account of PGDRILL_RESTORE_STORAGE_ACCOUNT_IDS), or Reader there.`);
      const roles = blobDataRoleAssignments(assignments, principalId);
      if (roles.length === 0)
        return fail(
          `no ${Object.values(BLOB_DATA_ROLES).join(' or ')} assignment of the vault's identity ${principalId} at or above ${target.containerArmId} (${assignments.length} assignments there; a custom role or a group membership is not recognised by this check)`,
          `Assign the backup vault's identity (${principalId}) Storage Blob Data Contributor directly on the container or its storage account (infra/README.md, "The backup vault's identity"). If it already holds blob write access through a custom role or a group, this check cannot see it: the drill's own restore will tell.`,
          'VaultBlobRoleMissing',
        );
      return pass(roles.map((r) => `${r.role} at ${r.scope}`).join('; '));
    },
  );

  // 8. pg_restore can read what the source server's pg_dump writes (files restores that load).
  await check(
    'pg-restore-version',
    "pg_restore is present and not older than the source server's PostgreSQL",
    ['backup-instance-protected'],
    async () => {
      if (target.kind !== 'files' || !target.load)
        return skip('not applicable: only a files restore that loads runs pg_restore');
      const datasourceId = facts.instance!.properties.dataSourceInfo.resourceID;
      const serverId =
        datasourceKindOf(datasourceId) === 'singleServerDatabase'
          ? parentId(parseArmId(datasourceId))
          : datasourceId;
      const tool = await pgRestoreVersion(deps.pgRestore, {
        ...(deps.searchPath ? { searchPath: deps.searchPath } : {}),
        ...(deps.sslRootCert ? { sslRootCert: deps.sslRootCert } : {}),
      });
      const server = await orRefused(
        () => deps.dataProtection.getServerResource(serverId),
        `Let the app's identity read the source server ${serverId}: list it in PGDRILL_SOURCE_SERVER_IDS (the app gets Reader on it), or its resource group or subscription in PGDRILL_FLEET_SCOPE_IDS (the drill role there holds Microsoft.DBforPostgreSQL servers/read and flexibleServers/read), then azd up; or grant Reader on it by hand.`,
      );
      const version = server.properties?.version ?? undefined;
      const major = version ? Number(/^\d+/.exec(version)?.[0]) : NaN;
      if (Number.isNaN(major))
        return fail(
          `${tool.text}; the source server ${serverId} does not report properties.version`,
          'Check the source server resource.',
          'SourceVersionUnknown',
        );
      if (tool.major < major)
        return fail(
          `${tool.text} (major ${tool.major}) is older than the source server's PostgreSQL ${version}`,
          `Install pg_restore ${major} or newer on the function host (PG_BIN_DIR).`,
          'PgRestoreTooOld',
        );
      return pass(`${tool.text} (major ${tool.major}) ≥ source PostgreSQL ${version}`);
    },
  );

  return {
    ok: checks.every((c) => c.status !== 'failed'),
    checkedAt: checkedAt.toISOString(),
    backupInstanceId: request.backupInstanceId,
    restoreFrom,
    checks,
  };
}

/** The database the drill connects to first on its server. */
function adminDatabase(request: NormalizedRequest): string {
  return request.target.kind === 'files' ? (request.target.load?.adminDatabase ?? 'postgres') : 'postgres';
}

/** Where ARM authorizes each group of the drill's actions, and the role (infra/main.bicep) that grants it there. */
export function permissionScopes(
  vaultId: string,
  secondary: boolean,
): { scope: string; what: string; role: string; actions: string[] }[] {
  const vault = parseArmId(vaultId, 'backup vault id');
  const subscription = `/subscriptions/${vault.subscriptionId}`;
  const isLocation = (a: string) => /^Microsoft\.DataProtection\/locations\//i.test(a);
  return [
    {
      scope: vault.id,
      what: 'the vault',
      role: 'the custom role "pg-restore-drill operator (<token>)" (or Backup Operator)',
      actions: DRILL_ACTIONS.filter((a) => !isLocation(a)),
    },
    {
      scope: subscription,
      what: 'operation status URLs are subscription-scoped',
      role: 'the custom role "pg-restore-drill operation reader (<token>)"',
      actions: DRILL_ACTIONS.filter(isLocation),
    },
    ...(secondary
      ? [
          {
            scope: `${subscription}/resourceGroups/${vault.resourceGroup}`,
            what: "cross-region calls are made on the vault's resource group",
            role: 'the custom role "pg-restore-drill cross-region (<token>)"',
            actions: [...CROSS_REGION_ACTIONS],
          },
        ]
      : []),
  ];
}
