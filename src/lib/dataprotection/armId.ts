/**
 * Azure Resource Manager ids: parsing with errors a user can act on, and the few resource kinds a drill
 * deals with. Resource type names compare case-insensitively (ARM itself returns "Backupvaults" as often
 * as "backupVaults"); names are kept as given.
 */
import { AppError } from '../errors';

export class ArmIdError extends AppError {
  constructor(message: string) {
    super('InvalidArmId', message);
  }
}

export interface ArmId {
  /** The id as given, without a trailing slash. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Provider namespace, e.g. Microsoft.DBforPostgreSQL. */
  provider: string;
  /** Type and name pairs below the provider, e.g. [{type:'servers',name:'s1'},{type:'databases',name:'db'}]. */
  segments: { type: string; name: string }[];
  /** Full resource type, e.g. Microsoft.DBforPostgreSQL/servers/databases. */
  resourceType: string;
  /** The last name. */
  name: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORMAT =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/{Namespace}/{type}/{name}[/{type}/{name}...]';

export function parseArmId(id: unknown, what = 'resource id'): ArmId {
  if (typeof id !== 'string' || id.trim() === '')
    throw new ArmIdError(`${what} is missing: expected ${FORMAT}`);
  const trimmed = id.trim().replace(/\/+$/, '');
  const parts = trimmed.split('/');
  const fail = (why: string): never => {
    throw new ArmIdError(`${what} "${id}" is not a valid ARM id: ${why}. Expected ${FORMAT}`);
  };
  if (parts[0] !== '') fail('it must start with /subscriptions/');
  if (parts.slice(1).some((p) => p === '')) fail('it has an empty segment (//)');
  if (parts[1]?.toLowerCase() !== 'subscriptions') fail('it must start with /subscriptions/');
  const subscriptionId = parts[2] ?? '';
  if (!GUID.test(subscriptionId)) fail(`subscription id "${subscriptionId}" is not a GUID`);
  if (parts[3]?.toLowerCase() !== 'resourcegroups' || !parts[4])
    fail('the resourceGroups/{name} segment is missing');
  if (parts[5]?.toLowerCase() !== 'providers' || !parts[6])
    fail('the providers/{Namespace} segment is missing');
  const rest = parts.slice(7);
  if (rest.length === 0) fail('the resource type and name are missing');
  if (rest.length % 2 !== 0) fail(`resource type "${rest[rest.length - 1]}" has no name after it`);
  const segments: { type: string; name: string }[] = [];
  for (let i = 0; i < rest.length; i += 2) segments.push({ type: rest[i]!, name: rest[i + 1]! });
  return {
    id: trimmed,
    subscriptionId,
    resourceGroup: parts[4]!,
    provider: parts[6]!,
    segments,
    resourceType: [parts[6]!, ...segments.map((s) => s.type)].join('/'),
    name: segments[segments.length - 1]!.name,
  };
}

/**
 * An RBAC scope: a subscription (/subscriptions/{id}), a resource group (…/resourceGroups/{name}) or a resource
 * id. Returned without a trailing slash.
 */
export function parseArmScope(id: unknown, what = 'scope'): string {
  if (typeof id !== 'string')
    throw new ArmIdError(
      `${what} is missing: expected /subscriptions/{id}[/resourceGroups/{name}[/providers/...]]`,
    );
  const trimmed = id.trim().replace(/\/+$/, '');
  const parts = trimmed.split('/');
  if (parts.length > 5) return parseArmId(trimmed, what).id;
  const ok =
    parts[0] === '' &&
    parts[1]?.toLowerCase() === 'subscriptions' &&
    GUID.test(parts[2] ?? '') &&
    (parts.length === 3 ||
      (parts.length === 5 && parts[3]?.toLowerCase() === 'resourcegroups' && !!parts[4]));
  if (!ok)
    throw new ArmIdError(
      `${what} "${id}" is not a subscription, resource group or resource id: expected /subscriptions/{id}[/resourceGroups/{name}[/providers/...]]`,
    );
  return trimmed;
}

export function isResourceType(id: ArmId, resourceType: string): boolean {
  return id.resourceType.toLowerCase() === resourceType.toLowerCase();
}

/** Parses and checks the resource type, with an error naming the expected shape. */
export function parseArmIdOfType(id: unknown, resourceType: string, what: string): ArmId {
  const parsed = parseArmId(id, what);
  if (!isResourceType(parsed, resourceType)) {
    throw new ArmIdError(
      `${what} "${parsed.id}" is a ${parsed.resourceType}, but a ${resourceType} id is needed here`,
    );
  }
  return parsed;
}

/** Two ARM ids denote the same resource (ARM ids are case-insensitive). */
export function sameArmId(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

export function parentId(id: ArmId): string {
  return id.id.split('/').slice(0, -2).join('/');
}

export const RESOURCE_TYPES = {
  backupVault: 'Microsoft.DataProtection/backupVaults',
  backupInstance: 'Microsoft.DataProtection/backupVaults/backupInstances',
  backupJob: 'Microsoft.DataProtection/backupVaults/backupJobs',
  singleServer: 'Microsoft.DBforPostgreSQL/servers',
  singleServerDatabase: 'Microsoft.DBforPostgreSQL/servers/databases',
  flexibleServer: 'Microsoft.DBforPostgreSQL/flexibleServers',
  storageContainer: 'Microsoft.Storage/storageAccounts/blobServices/containers',
} as const;

export interface BackupInstanceRef {
  id: string;
  vaultId: string;
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  backupInstanceName: string;
}

export function parseBackupInstanceId(id: unknown, what = 'backup instance id'): BackupInstanceRef {
  const parsed = parseArmIdOfType(id, RESOURCE_TYPES.backupInstance, what);
  return {
    id: parsed.id,
    vaultId: parentId(parsed),
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    vaultName: parsed.segments[0]!.name,
    backupInstanceName: parsed.name,
  };
}

export function parseBackupVaultId(id: unknown, what = 'backup vault id'): ArmId {
  return parseArmIdOfType(id, RESOURCE_TYPES.backupVault, what);
}

/** The kind of PostgreSQL datasource behind a backup instance, from its datasource ARM id. */
export type DatasourceKind = 'singleServerDatabase' | 'flexibleServer';

export function datasourceKindOf(datasourceId: string): DatasourceKind {
  const parsed = parseArmId(datasourceId, 'datasource id');
  if (isResourceType(parsed, RESOURCE_TYPES.singleServerDatabase)) return 'singleServerDatabase';
  if (isResourceType(parsed, RESOURCE_TYPES.flexibleServer)) return 'flexibleServer';
  throw new ArmIdError(
    `datasource "${parsed.id}" is a ${parsed.resourceType}; pg-restore-drill handles ${RESOURCE_TYPES.singleServerDatabase} and ${RESOURCE_TYPES.flexibleServer} backups only`,
  );
}

/**
 * Two names of the same child resource (job ids, recovery point ids) given as a name or as a full ARM id: the
 * last segments compared without regard to case, as ARM compares names.
 */
export function sameName(a: string, b: string): boolean {
  return nameKey(a) === nameKey(b);
}

/** The key of a "name or ARM id" value in maps and sets: its last segment, lower-cased. */
export function nameKey(value: string): string {
  return lastSegment(value).toLowerCase();
}

/** Last path segment of a "name or ARM id" value, as the contract gives job ids. */
export function lastSegment(value: string): string {
  const parts = value.replace(/\/+$/, '').split('/');
  return parts[parts.length - 1] ?? value;
}

/**
 * A backup instance id in the casing ARM documents, rebuilt from its parts. Alerts (alertTargetIDs) and some
 * ARM listings give ids in lowercase; the drill request schema checks the documented casing, and ids compare
 * case-insensitively anyway, so the names are kept and only the fixed segments are rewritten.
 */
export function canonicalBackupInstanceId(id: unknown, what = 'backup instance id'): string {
  const ref = parseBackupInstanceId(id, what);
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${ref.vaultName}/backupInstances/${ref.backupInstanceName}`;
}
