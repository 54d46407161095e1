/**
 * The ARM routes of Microsoft.DataProtection the emulator serves (reference/dataprotection/CONTRACT.md
 * section 1), matched case-insensitively as ARM does, and the recovery point $filter they accept. Pure.
 */

export interface Match {
  operation: string;
  params: Record<string, string>;
  /** The Azure RBAC action the call needs (what a role assignment grants). */
  action: string;
  /** The api-versions another provider serves this route with (default: the emulator's Data Protection ones). */
  apiVersions?: readonly string[];
  /** The oldest api-version that defines the operation (older accepted versions get NoRegisteredProviderFound). */
  minApiVersion?: string;
}

const VAULT =
  '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault}';
const BI = `${VAULT}/backupInstances/{bi}`;
const LOCATION = '/subscriptions/{sub}/providers/Microsoft.DataProtection/locations/{location}';

/** Cross-region restore operations are resource-group + location scoped, at the vault's secondary region. */
const RG_LOCATION =
  '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/locations/{location}';
/**
 * The first stable api-version with the cross-region restore operations (2023-11-01: the Azure CLI's recorded
 * calls use it; 2021-07-01 has none of them). reference/dataprotection/RECORDINGS.md section 6.
 */
export const CROSS_REGION_MIN_API_VERSION = '2023-11-01';

const DP = 'Microsoft.DataProtection';
const PG = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DBforPostgreSQL';

/**
 * Api-versions of Microsoft.DBforPostgreSQL the emulator serves a server's resource with (its tags): Single
 * Server's last stable version, Flexible Server's stable ones (Azure's own lists, newest last).
 */
const PG_API_VERSIONS = {
  servers: ['2017-12-01'],
  flexibleServers: ['2021-06-01', '2022-12-01', '2023-06-01', '2024-08-01'],
} as const;

/** [method, path template with {named} segments, swagger operationId, RBAC action, api-versions if not DP's] */
const TABLE: [string, string, string, string, (readonly string[])?][] = [
  ['GET', VAULT, 'BackupVaults_Get', `${DP}/backupVaults/read`],
  [
    'GET',
    `/subscriptions/{sub}/providers/${DP}/backupVaults`,
    'BackupVaults_GetInSubscription',
    `${DP}/backupVaults/read`,
  ],
  [
    'GET',
    `/subscriptions/{sub}/resourceGroups/{rg}/providers/${DP}/backupVaults`,
    'BackupVaults_GetInResourceGroup',
    `${DP}/backupVaults/read`,
  ],
  [
    'GET',
    `${PG}/servers/{server}`,
    'Servers_Get',
    'Microsoft.DBforPostgreSQL/servers/read',
    PG_API_VERSIONS.servers,
  ],
  [
    'GET',
    `${PG}/flexibleServers/{server}`,
    'FlexibleServers_Get',
    'Microsoft.DBforPostgreSQL/flexibleServers/read',
    PG_API_VERSIONS.flexibleServers,
  ],
  ['GET', `${VAULT}/backupInstances`, 'BackupInstances_List', `${DP}/backupVaults/backupInstances/read`],
  ['GET', BI, 'BackupInstances_Get', `${DP}/backupVaults/backupInstances/read`],
  [
    'GET',
    `${BI}/recoveryPoints`,
    'RecoveryPoints_List',
    `${DP}/backupVaults/backupInstances/recoveryPoints/read`,
  ],
  [
    'GET',
    `${BI}/recoveryPoints/{rp}`,
    'RecoveryPoints_Get',
    `${DP}/backupVaults/backupInstances/recoveryPoints/read`,
  ],
  [
    'POST',
    `${BI}/validateRestore`,
    'BackupInstances_ValidateForRestore',
    `${DP}/backupVaults/backupInstances/validateRestore/action`,
  ],
  [
    'POST',
    `${BI}/restore`,
    'BackupInstances_TriggerRestore',
    `${DP}/backupVaults/backupInstances/restore/action`,
  ],
  ['GET', `${VAULT}/backupJobs`, 'Jobs_List', `${DP}/backupVaults/backupJobs/read`],
  ['GET', `${VAULT}/backupJobs/{job}`, 'Jobs_Get', `${DP}/backupVaults/backupJobs/read`],
  ['GET', `${LOCATION}/operationStatus/{op}`, 'OperationStatus_Get', `${DP}/locations/operationStatus/read`],
  [
    'GET',
    `${VAULT}/operationStatus/{op}`,
    'OperationStatusBackupVaultContext_Get',
    `${DP}/backupVaults/operationStatus/read`,
  ],
  [
    'GET',
    '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/operationStatus/{op}',
    'OperationStatusResourceGroupContext_Get',
    `${DP}/operationStatus/read`,
  ],
  [
    'GET',
    `${LOCATION}/operationResults/{op}`,
    'OperationResult_Get',
    `${DP}/locations/operationResults/read`,
  ],
];

/** [method, path template, swagger operationId, RBAC action]: served from CROSS_REGION_MIN_API_VERSION on. */
const CROSS_REGION_TABLE: [string, string, string, string][] = [
  [
    'POST',
    `${RG_LOCATION}/fetchSecondaryRecoveryPoints`,
    'FetchSecondaryRecoveryPoints_List',
    `${DP}/locations/fetchSecondaryRecoveryPoints/action`,
  ],
  [
    'POST',
    `${RG_LOCATION}/validateCrossRegionRestore`,
    'BackupInstances_ValidateCrossRegionRestore',
    `${DP}/locations/validateCrossRegionRestore/action`,
  ],
  [
    'POST',
    `${RG_LOCATION}/crossRegionRestore`,
    'BackupInstances_TriggerCrossRegionRestore',
    `${DP}/locations/crossRegionRestore/action`,
  ],
  [
    'POST',
    `${RG_LOCATION}/fetchCrossRegionRestoreJob`,
    'FetchCrossRegionRestoreJob_Get',
    `${DP}/locations/fetchCrossRegionRestoreJob/action`,
  ],
  [
    'POST',
    `${RG_LOCATION}/fetchCrossRegionRestoreJobs`,
    'FetchCrossRegionRestoreJobs_List',
    `${DP}/locations/fetchCrossRegionRestoreJobs/action`,
  ],
];

const ROUTES = [
  ...TABLE.map(([method, template, operation, action, apiVersions]) => ({
    method,
    template,
    operation,
    action,
    apiVersions,
    minApiVersion: undefined as string | undefined,
  })),
  ...CROSS_REGION_TABLE.map(([method, template, operation, action]) => ({
    method,
    template,
    operation,
    action,
    apiVersions: undefined,
    minApiVersion: CROSS_REGION_MIN_API_VERSION,
  })),
].map(({ method, template, operation, action, apiVersions, minApiVersion }) => {
  const names: string[] = [];
  const source = template
    .split(/(\{[a-z]+\})/)
    .map((part) => {
      const m = /^\{([a-z]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('');
  // ARM matches paths case-insensitively.
  return {
    method,
    pattern: new RegExp(`^${source}$`, 'i'),
    operation,
    action,
    names,
    apiVersions,
    minApiVersion,
  };
});

export function matchRoute(method: string, path: string): Match | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return {
      operation: r.operation,
      params,
      action: r.action,
      ...(r.apiVersions ? { apiVersions: r.apiVersions } : {}),
      ...(r.minApiVersion ? { minApiVersion: r.minApiVersion } : {}),
    };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

/** startDate eq '...' and endDate eq '...' (either may be absent), as az CLI sends the recovery point filter. */
export function parseRecoveryPointFilter(
  filter: string | null,
): { start?: Date; end?: Date } | { error: string } {
  if (!filter || !filter.trim()) return {};
  const out: { start?: Date; end?: Date } = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^\s*(startDate|endDate)\s+eq\s+'([^']+)'\s*$/i.exec(clause);
    if (!m)
      return {
        error: `Invalid $filter clause "${clause.trim()}": expected startDate eq '<time>' and/or endDate eq '<time>'.`,
      };
    const t = new Date(m[2]!);
    if (Number.isNaN(t.getTime())) return { error: `Invalid time '${m[2]}' in $filter.` };
    if (m[1]!.toLowerCase() === 'startdate') out.start = t;
    else out.end = t;
  }
  return out;
}
