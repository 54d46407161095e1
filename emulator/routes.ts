/**
 * The ARM routes of Microsoft.DataProtection the emulator serves (reference/dataprotection/CONTRACT.md
 * section 1), matched case-insensitively as ARM does, and the recovery point $filter they accept. Pure.
 */

export interface Match {
  operation: string;
  params: Record<string, string>;
}

const VAULT =
  '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault}';
const BI = `${VAULT}/backupInstances/{bi}`;
const LOCATION = '/subscriptions/{sub}/providers/Microsoft.DataProtection/locations/{location}';

/** [method, path template with {named} segments, swagger operationId] */
const TABLE: [string, string, string][] = [
  ['GET', VAULT, 'BackupVaults_Get'],
  ['GET', `${VAULT}/backupInstances`, 'BackupInstances_List'],
  ['GET', BI, 'BackupInstances_Get'],
  ['GET', `${BI}/recoveryPoints`, 'RecoveryPoints_List'],
  ['GET', `${BI}/recoveryPoints/{rp}`, 'RecoveryPoints_Get'],
  ['POST', `${BI}/validateRestore`, 'BackupInstances_ValidateForRestore'],
  ['POST', `${BI}/restore`, 'BackupInstances_TriggerRestore'],
  ['GET', `${VAULT}/backupJobs`, 'Jobs_List'],
  ['GET', `${VAULT}/backupJobs/{job}`, 'Jobs_Get'],
  ['GET', `${LOCATION}/operationStatus/{op}`, 'OperationStatus_Get'],
  ['GET', `${VAULT}/operationStatus/{op}`, 'OperationStatusBackupVaultContext_Get'],
  [
    'GET',
    '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/operationStatus/{op}',
    'OperationStatusResourceGroupContext_Get',
  ],
  ['GET', `${LOCATION}/operationResults/{op}`, 'OperationResult_Get'],
];

const ROUTES = TABLE.map(([method, template, operation]) => {
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
  return { method, pattern: new RegExp(`^${source}$`, 'i'), operation, names };
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
    return { operation: r.operation, params };
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
