/**
 * What the pre-flight doctor compares with Azure's RBAC answers: the Data Protection actions a drill calls
 * (exactly the custom roles of infra/main.bicep; test/infra/roles.test.ts proves it), how an action matches a
 * granted pattern (wildcards, notActions), and the blob data roles the vault's identity needs on a restore
 * container. Pure.
 */
import type { Permission, RoleAssignment } from '../types/generated/dataprotection';

const DP = 'Microsoft.DataProtection';

/**
 * The actions of a same-region drill, as the doctor reads them at the vault (assignments at the vault, its group
 * and subscription all count there): infra/main.bicep grants the vault actions with the role
 * "pg-restore-drill operator" on the vault and the two location-scoped operation reads with the role
 * "pg-restore-drill operation reader" on the subscription, where the operation status URLs live.
 */
export const DRILL_ACTIONS: readonly string[] = [
  `${DP}/backupVaults/read`,
  `${DP}/backupVaults/backupInstances/read`,
  `${DP}/backupVaults/backupInstances/recoveryPoints/read`,
  `${DP}/backupVaults/backupInstances/validateRestore/action`,
  `${DP}/backupVaults/backupInstances/restore/action`,
  `${DP}/backupVaults/backupJobs/read`,
  `${DP}/backupVaults/operationStatus/read`,
  `${DP}/locations/operationStatus/read`,
  `${DP}/locations/operationResults/read`,
];

/**
 * The five more of a cross-region drill (restoreFrom: secondaryRegion), as the provider names them: role
 * "pg-restore-drill cross-region" on the vault's resource group.
 */
export const CROSS_REGION_ACTIONS: readonly string[] = [
  'fetchSecondaryRecoveryPoints',
  'validateCrossRegionRestore',
  'crossRegionRestore',
  'fetchCrossRegionRestoreJob',
  'fetchCrossRegionRestoreJobs',
].map((op) => `${DP}/subscriptions/resourceGroups/providers/locations/${op}/action`);

/**
 * The caller's own permissions at a scope: the doctor's identity-permissions check lists them at the vault, the
 * subscription and the vault's resource group, so each of the three drill roles grants this read at its scope.
 */
export const OWN_PERMISSIONS_READ_ACTION = 'Microsoft.Authorization/permissions/read';

/**
 * Reads the drill role also grants that the doctor does not check at the vault: the source servers' ARM resources
 * (fleet tag filters, the doctor's pg-restore-version; these servers are outside the vault, so only a fleet scope
 * assignment reaches them) and the caller's own permissions.
 */
export const DRILL_ROLE_READ_ACTIONS: readonly string[] = [
  'Microsoft.DBforPostgreSQL/servers/read',
  'Microsoft.DBforPostgreSQL/flexibleServers/read',
  OWN_PERMISSIONS_READ_ACTION,
];

/**
 * The doctor's vault-blob-role check lists role assignments at a restore container: role
 * "pg-restore-drill role-assignment reader" on each restore storage account (Storage Blob Data Contributor has
 * data actions only).
 */
export const ROLE_ASSIGNMENT_READ_ACTIONS: readonly string[] = [
  'Microsoft.Authorization/roleAssignments/read',
];

/** An RBAC action pattern ("*", "Microsoft.DataProtection/*", ".../read") as a case-insensitive regex. */
function patternOf(granted: string): RegExp {
  const source = granted
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}

/**
 * The needed actions the permissions do not grant. Azure's rule: an action is granted when one permission entry
 * lists it in actions (wildcards allowed) and that same entry does not exclude it in notActions.
 */
export function missingActions(permissions: readonly Permission[], needed: readonly string[]): string[] {
  return needed.filter(
    (action) =>
      !permissions.some(
        (p) =>
          (p.actions ?? []).some((a) => patternOf(a).test(action)) &&
          !(p.notActions ?? []).some((n) => patternOf(n).test(action)),
      ),
  );
}

/** Built-in roles that let the vault's identity write restored files into a container (role definition GUIDs). */
export const BLOB_DATA_ROLES: Readonly<Record<string, string>> = {
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
};

/** The blob data role assignments of `principalId` among those listed (role definition ids end with the GUID). */
export function blobDataRoleAssignments(
  assignments: readonly RoleAssignment[],
  principalId: string,
): { role: string; scope: string }[] {
  return assignments.flatMap((a) => {
    const p = a.properties;
    if (p.principalId.toLowerCase() !== principalId.toLowerCase()) return [];
    const guid = p.roleDefinitionId.split('/').pop()!.toLowerCase();
    const role = BLOB_DATA_ROLES[guid];
    return role ? [{ role, scope: p.scope ?? '(unknown scope)' }] : [];
  });
}
