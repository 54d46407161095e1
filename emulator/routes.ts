/**
 * The ARM routes of Microsoft.DataProtection the emulator serves (reference/dataprotection/CONTRACT.md
 * section 1), matched case-insensitively as ARM does, and the recovery point $filter they accept. Pure.
 */

export interface Match {
  operation: string;
  params: Record<string, string>;
}

const SEG = '([^/]+)';
const V = `/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.DataProtection/backupVaults/${SEG}`;
const BI = `${V}/backupInstances/${SEG}`;

const ROUTES: { method: string; pattern: RegExp; operation: string; names: string[] }[] = [
  {
    method: 'GET',
    pattern: new RegExp(`^${V}$`, 'i'),
    operation: 'BackupVaults_Get',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupInstances$`, 'i'),
    operation: 'BackupInstances_List',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}$`, 'i'),
    operation: 'BackupInstances_Get',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}/recoveryPoints$`, 'i'),
    operation: 'RecoveryPoints_List',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${BI}/recoveryPoints/${SEG}$`, 'i'),
    operation: 'RecoveryPoints_Get',
    names: ['sub', 'rg', 'vault', 'bi', 'rp'],
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${BI}/validateRestore$`, 'i'),
    operation: 'BackupInstances_ValidateForRestore',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${BI}/restore$`, 'i'),
    operation: 'BackupInstances_TriggerRestore',
    names: ['sub', 'rg', 'vault', 'bi'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupJobs$`, 'i'),
    operation: 'Jobs_List',
    names: ['sub', 'rg', 'vault'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/backupJobs/${SEG}$`, 'i'),
    operation: 'Jobs_Get',
    names: ['sub', 'rg', 'vault', 'job'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/providers/Microsoft\\.DataProtection/locations/${SEG}/operationStatus/${SEG}$`,
      'i',
    ),
    operation: 'OperationStatus_Get',
    names: ['sub', 'location', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${V}/operationStatus/${SEG}$`, 'i'),
    operation: 'OperationStatusBackupVaultContext_Get',
    names: ['sub', 'rg', 'vault', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.DataProtection/operationStatus/${SEG}$`,
      'i',
    ),
    operation: 'OperationStatusResourceGroupContext_Get',
    names: ['sub', 'rg', 'op'],
  },
  {
    method: 'GET',
    pattern: new RegExp(
      `^/subscriptions/${SEG}/providers/Microsoft\\.DataProtection/locations/${SEG}/operationResults/${SEG}$`,
      'i',
    ),
    operation: 'OperationResult_Get',
    names: ['sub', 'location', 'op'],
  },
];

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
