/**
 * Cross-region restore (restoreFrom: secondaryRegion): what a drill decides before it calls any restore
 * operation. Pure. The facts come from a GET of the vault and of the target server (activity
 * resolveCrossRegion); this module says whether the vault can restore in its paired region at all, and whether
 * the target is there, and refuses with a code and a fix otherwise (docs/design.md, "Cross-region drills").
 */
import { AppError } from '../errors';

/** The api-version that introduced the cross-region operations (reference/dataprotection/RECORDINGS.md §6). */
export const CROSS_REGION_API_VERSION = '2023-11-01';
/** The newest api-version the client knows, named in the fix. */
const NEWEST_API_VERSION = '2026-06-01';

/** The two regions of a cross-region restore, as the location-scoped operations name them. */
export interface CrossRegion {
  /** The vault's (primary) region: crossRegionRestoreDetails.sourceRegion. */
  sourceRegion: string;
  /** The paired region the restore runs in: the {location} of every cross-region operation. */
  targetRegion: string;
}

/** What the vault and the target say about themselves (GETs, in the activity resolveCrossRegion). */
export interface CrossRegionFacts {
  vaultId: string;
  vaultLocation?: string;
  /** properties.featureSettings.crossRegionRestoreSettings.state, as sent. */
  crossRegionRestoreState?: string;
  /** properties.storageSettings[].type, e.g. GeoRedundant, LocallyRedundant. */
  storageTypes: string[];
  /** properties.replicatedRegions, when the vault lists them. */
  replicatedRegions?: string[];
  /** Database target: the target server's ARM location. */
  targetServerLocation?: string;
}

/** What of the drill's target matters here. */
export interface CrossRegionTarget {
  kind: 'database' | 'files';
  restoreLocation?: string;
}

/**
 * Azure's region pairs (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure): the
 * fallback when a vault does not list its replicatedRegions. Most pairs are symmetric; West US 3, Brazil South
 * and West India replicate one way.
 */
const PAIRS: readonly (readonly [string, string])[] = [
  ['eastus', 'westus'],
  ['eastus2', 'centralus'],
  ['northcentralus', 'southcentralus'],
  ['westus2', 'westcentralus'],
  ['canadacentral', 'canadaeast'],
  ['northeurope', 'westeurope'],
  ['uksouth', 'ukwest'],
  ['francecentral', 'francesouth'],
  ['germanywestcentral', 'germanynorth'],
  ['switzerlandnorth', 'switzerlandwest'],
  ['norwayeast', 'norwaywest'],
  ['swedencentral', 'swedensouth'],
  ['eastasia', 'southeastasia'],
  ['japaneast', 'japanwest'],
  ['koreacentral', 'koreasouth'],
  ['australiaeast', 'australiasoutheast'],
  ['australiacentral', 'australiacentral2'],
  ['centralindia', 'southindia'],
  ['southafricanorth', 'southafricawest'],
  ['uaenorth', 'uaecentral'],
  ['eastus2euap', 'centraluseuap'],
  ['jioindiawest', 'jioindiacentral'],
  ['chinanorth', 'chinaeast'],
  ['chinanorth2', 'chinaeast2'],
  ['usgovvirginia', 'usgovtexas'],
];
const ONE_WAY: Readonly<Record<string, string>> = {
  westus3: 'eastus',
  brazilsouth: 'southcentralus',
  westindia: 'southindia',
  brazilsoutheast: 'brazilsouth',
  usgovarizona: 'usgovtexas',
};

/** ARM writes a region "East US" as often as "eastus": compare them without case or spaces. */
export function regionKey(region: string): string {
  return region.replace(/\s+/g, '').toLowerCase();
}

/** The paired region of `region` from the table, if it has one. */
export function pairedRegionOf(region: string): string | undefined {
  const key = regionKey(region);
  if (ONE_WAY[key]) return ONE_WAY[key];
  for (const [a, b] of PAIRS) {
    if (a === key) return b;
    if (b === key) return a;
  }
  return undefined;
}

export function supportsCrossRegionRestore(apiVersion: string): boolean {
  return apiVersion >= CROSS_REGION_API_VERSION;
}

/** A cross-region drill that cannot work: refused before any restore operation is called. */
export class CrossRegionError extends AppError {
  constructor(code: string, message: string, recommendedActions?: string[]) {
    super(code, message, { isUserError: true, ...(recommendedActions ? { recommendedActions } : {}) });
  }
}

/** Refuses an api-version older than the cross-region operations (2021-07-01 has none of them). */
export function assertCrossRegionApiVersion(apiVersion: string): void {
  if (!supportsCrossRegionRestore(apiVersion))
    throw new CrossRegionError(
      'CrossRegionRestoreNotInApiVersion',
      `restoreFrom is secondaryRegion, but api-version ${apiVersion} (DATAPROTECTION_API_VERSION) has no cross-region restore operations: set DATAPROTECTION_API_VERSION to ${CROSS_REGION_API_VERSION} or later (${NEWEST_API_VERSION}), or set restoreFrom to primaryRegion`,
    );
}

/** How the drill was started, for the fix a refusal names. */
export interface CrossRegionOrigin {
  /**
   * Started by an Azure Monitor alert (trigger kind alert): the drill exists to rehearse the other region, so
   * "set restoreFrom to primaryRegion" is no fix; the plan's cross-region template is.
   */
  alert?: boolean;
}

/**
 * The regions of a cross-region restore, or a refusal naming the field and the fix. A files target must state
 * target.restoreLocation: the drill cannot see a container's region from its URL, so the operator's statement
 * is all there is to check (a default to the paired region would let a container in the primary region pass).
 */
export function decideCrossRegion(
  facts: CrossRegionFacts,
  target: CrossRegionTarget,
  origin: CrossRegionOrigin = {},
): CrossRegion {
  const vault = facts.vaultId;
  const state = facts.crossRegionRestoreState;
  // The last resort of every fix: a person can drop restoreFrom; an alert's drill follows its plan's template.
  const orElse = origin.alert
    ? "or, since an alert started this drill, put the target of the plan's cross-region template in the vault's paired region"
    : 'or set restoreFrom to primaryRegion';
  const refuse = (code: string, message: string, fix: string) =>
    new CrossRegionError(code, message, origin.alert ? [fix] : undefined);
  if (state?.toLowerCase() !== 'enabled')
    throw refuse(
      'CrossRegionRestoreNotEnabled',
      `restoreFrom is secondaryRegion, but vault ${vault} has cross-region restore ${state ? `"${state}"` : 'not set'} (properties.featureSettings.crossRegionRestoreSettings.state): enable Cross Region Restore on the vault (it needs geo-redundant storage), ${orElse}`,
      "Enable Cross Region Restore on the backup vault (it needs geo-redundant storage), or take the vault out of the alert plan's cross-region template.",
    );
  if (!facts.storageTypes.some((t) => t.toLowerCase() === 'georedundant'))
    throw refuse(
      'CrossRegionRestoreNotEnabled',
      `restoreFrom is secondaryRegion, but vault ${vault} does not keep geo-redundant storage (properties.storageSettings: ${facts.storageTypes.join(', ') || 'none'}), so no copy exists in the paired region: use a GeoRedundant vault, ${orElse}`,
      "Use a GeoRedundant vault with Cross Region Restore enabled, or take the vault out of the alert plan's cross-region template.",
    );
  const unknownFix =
    "Check that the vault is geo-redundant with Cross Region Restore enabled and that its region has a paired region (properties.replicatedRegions, or Azure's region pairs).";
  if (!facts.vaultLocation)
    throw refuse(
      'PairedRegionUnknown',
      `restoreFrom is secondaryRegion, but vault ${vault} does not say its location, so its paired region is unknown: check the vault (GET it: location), ${orElse}`,
      unknownFix,
    );
  const sourceRegion = regionKey(facts.vaultLocation);
  const listed = (facts.replicatedRegions ?? []).map(regionKey).filter((r) => r && r !== sourceRegion);
  const table = pairedRegionOf(sourceRegion);
  const paired = listed.length ? listed : table ? [table] : [];
  if (paired.length === 0)
    throw refuse(
      'PairedRegionUnknown',
      `restoreFrom is secondaryRegion, but vault ${vault} lists no replicatedRegions and ${sourceRegion} has no known paired region: check that the vault is geo-redundant with Cross Region Restore enabled, ${orElse}`,
      unknownFix,
    );
  const pairedText = paired.join(', ');
  const targetFix = `Choose a target in the vault's paired region (${pairedText}): target.serverId for a database, target.restoreLocation (stated explicitly) for files${origin.alert ? ", in the alert plan's cross-region template" : ''}.`;
  const outside = (field: string, region: string) =>
    refuse(
      'TargetNotInPairedRegion',
      `restoreFrom is secondaryRegion, but ${field} is in ${region}, not in the vault's paired region (${pairedText}): choose a target in ${pairedText}, ${orElse}`,
      targetFix,
    );
  const given = target.restoreLocation !== undefined ? regionKey(target.restoreLocation) : undefined;
  if (given !== undefined && !paired.includes(given)) throw outside('target.restoreLocation', given);
  if (target.kind === 'files') {
    // A container's region cannot be read from its URL: restoreLocation is the operator's statement that the
    // container is in the paired region, and without it nothing shows the restore leaves the primary region.
    if (given === undefined)
      throw refuse(
        'TargetNotInPairedRegion',
        `restoreFrom is secondaryRegion, but /target/restoreLocation is not given, and the region of a files target's container cannot be seen from its URL: set target.restoreLocation to the paired region the container is in (${pairedText}) and use a container there, ${orElse}`,
        targetFix,
      );
    return { sourceRegion, targetRegion: given };
  }
  if (!facts.targetServerLocation)
    throw refuse(
      'TargetNotInPairedRegion',
      `restoreFrom is secondaryRegion, but the location of target.serverId could not be read, so it cannot be shown to be in the paired region (${pairedText}): check target.serverId`,
      targetFix,
    );
  const server = regionKey(facts.targetServerLocation);
  if (!paired.includes(server)) throw outside('target.serverId', server);
  if (given !== undefined && given !== server) throw outside('target.restoreLocation', given);
  return { sourceRegion, targetRegion: server };
}
