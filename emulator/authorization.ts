/**
 * Microsoft.Authorization reads the pre-flight doctor makes (api-version 2022-04-01), written from Learn's REST
 * reference: Permissions - List For Resource (`GET {scope}/providers/Microsoft.Authorization/permissions`: the
 * caller's effective actions) and Role Assignments - List For Scope (`GET {scope}/providers/Microsoft.Authorization/
 * roleAssignments`, `$filter=atScope()` or `principalId eq '{id}'`). The emulator's world: the drill identity holds
 * every action except those revoked through /_emulator/permissions; each vault's system-assigned identity holds
 * Storage Blob Data Contributor on the emulator's storage account, unless removed through /_emulator/vaultBlobRole.
 */
import { createHash } from 'node:crypto';
import type { EmulatorContext } from './context';
import { cloudError, type Reply } from './http';

export const AUTHORIZATION_API_VERSIONS = ['2022-04-01'];
const ROLE_ASSIGNMENTS_READ = 'Microsoft.Authorization/roleAssignments/read';
const STORAGE_BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const ROUTE =
  /^(\/subscriptions\/[^/]+(?:\/.*)?)\/providers\/Microsoft\.Authorization\/(permissions|roleAssignments)\/?$/i;

/**
 * The cross-region actions as the emulator's routes name them, and as the provider's operation list (and the
 * built-in roles) name them: a revoked one is listed in notActions under both names.
 */
const CROSS_REGION_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'fetchSecondaryRecoveryPoints',
    'validateCrossRegionRestore',
    'crossRegionRestore',
    'fetchCrossRegionRestoreJob',
    'fetchCrossRegionRestoreJobs',
  ].map((op) => [
    `microsoft.dataprotection/locations/${op.toLowerCase()}/action`,
    `Microsoft.DataProtection/subscriptions/resourceGroups/providers/locations/${op}/action`,
  ]),
);

/** The ARM id of the emulator's storage account (its blob containers are the restore containers). */
export function storageAccountId(ctx: EmulatorContext): string {
  const rg = [...ctx.vaults.values()][0]?.config.resourceGroup ?? 'pgdrill-storage';
  return `/subscriptions/${ctx.config.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${ctx.config.storage.accountName}`;
}

/** The ARM id of one of its containers. */
export function containerArmId(ctx: EmulatorContext, container: string): string {
  return `${storageAccountId(ctx)}/blobServices/default/containers/${container}`;
}

interface Assignment {
  scope: string;
  roleGuid: string;
  principalId: string;
}

function assignments(ctx: EmulatorContext): Assignment[] {
  return [...ctx.vaults.values()]
    .filter((v) => !ctx.vaultBlobRoleRemoved.has(v.name.toLowerCase()))
    .map((v) => ({
      scope: storageAccountId(ctx),
      roleGuid: STORAGE_BLOB_DATA_CONTRIBUTOR,
      principalId: v.principalId,
    }));
}

/** `outer` is `inner` or one of its ancestors (whole segments, without case). */
function encloses(outer: string, inner: string): boolean {
  const o = outer.toLowerCase().replace(/\/+$/, '');
  const i = inner.toLowerCase().replace(/\/+$/, '');
  return i === o || i.startsWith(`${o}/`);
}

function renderAssignment(ctx: EmulatorContext, a: Assignment): Record<string, unknown> {
  const name = createHash('sha256')
    .update(`${a.scope}|${a.principalId}|${a.roleGuid}`)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
  return {
    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: `/subscriptions/${ctx.config.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${a.roleGuid}`,
      principalId: a.principalId,
      principalType: 'ServicePrincipal',
      scope: a.scope,
    },
  };
}

/** The object id of the emulator's drill identity (ARM names it in a refusal). */
const EMULATOR_PRINCIPAL = '5f0c2a8e-7d1b-4c3e-9a6f-1e2d3c4b5a69';

/** ARM's refusal of an action at a scope, worded as Azure words it. */
export function authorizationFailed(action: string, scope: string): Reply {
  return cloudError(
    403,
    'AuthorizationFailed',
    `The client '${EMULATOR_PRINCIPAL}' with object id '${EMULATOR_PRINCIPAL}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** The drill identity may not perform `action` at `scope` (a request path or an RBAC scope). */
export function actionDenied(ctx: EmulatorContext, action: string, scope: string): boolean {
  const a = action.toLowerCase();
  const onlyAt = ctx.grantedOnlyAt.get(a);
  return ctx.revoked.has(a) || (onlyAt !== undefined && !encloses(onlyAt, scope));
}

/** The answer to a Microsoft.Authorization read, or undefined when the path is not one. */
export function authorizationRoute(ctx: EmulatorContext, method: string, url: URL): Reply | undefined {
  const m = ROUTE.exec(url.pathname);
  if (!m) return undefined;
  const [, scope, kind] = m as unknown as [string, string, string];
  if (method !== 'GET')
    return cloudError(
      405,
      'MethodNotAllowed',
      `The HTTP method '${method}' is not supported for ${url.pathname}.`,
    );
  const apiVersion = url.searchParams.get('api-version') ?? '';
  if (!AUTHORIZATION_API_VERSIONS.includes(apiVersion))
    return cloudError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location 'global' and API version '${apiVersion}' for type '${kind}'. The supported api-versions are '${AUTHORIZATION_API_VERSIONS.join(', ')}'.`,
    );
  const sub = scope.split('/')[2]!;
  if (sub.toLowerCase() !== ctx.config.subscriptionId.toLowerCase())
    return cloudError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  if (kind.toLowerCase() === 'permissions') {
    // Effective permissions at a scope come from assignments at it or above: an action granted only lower down
    // is not among them.
    const denied = [...ctx.revoked, ...ctx.grantedOnlyAt.keys()].filter((a) => actionDenied(ctx, a, scope));
    const notActions = [...new Set(denied)].flatMap((a) => [
      a,
      ...(CROSS_REGION_ALIASES[a] ? [CROSS_REGION_ALIASES[a]] : []),
    ]);
    return {
      status: 200,
      body: { value: [{ actions: ['*'], notActions, dataActions: [], notDataActions: [] }] },
    };
  }
  if (actionDenied(ctx, ROLE_ASSIGNMENTS_READ, scope))
    return authorizationFailed(ROLE_ASSIGNMENTS_READ, scope);
  const filter = (url.searchParams.get('$filter') ?? '').trim();
  const byPrincipal = /^principalId\s+eq\s+'([^']+)'$/i.exec(filter);
  if (filter && !byPrincipal && !/^atScope\(\)$/i.test(filter))
    return cloudError(
      400,
      'InvalidFilterInQueryString',
      `The filter '${filter}' is not supported. Supported filters: atScope(), principalId eq '{id}'.`,
    );
  const list = assignments(ctx).filter((a) =>
    byPrincipal
      ? a.principalId.toLowerCase() === byPrincipal[1]!.toLowerCase() &&
        (encloses(a.scope, scope) || encloses(scope, a.scope))
      : filter
        ? encloses(a.scope, scope)
        : encloses(a.scope, scope) || encloses(scope, a.scope),
  );
  return { status: 200, body: { value: list.map((a) => renderAssignment(ctx, a)) } };
}
