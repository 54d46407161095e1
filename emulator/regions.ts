/**
 * Azure region pairs, and what a backup vault's geo settings are made of (storage redundancy, cross-region
 * restore state, replicated region). Pure.
 *
 * Source of the pairs: Microsoft Learn, "Azure cross-region replication pairings for all geographies"
 * (learn.microsoft.com/azure/reliability/cross-region-replication-azure), the table of paired regions, as of
 * 2026. Azure Backup's cross-region restore restores into the paired ("secondary") region of the vault's region.
 * Most pairs are mutual; a few are one-way (West US 3 → East US, Brazil South → South Central US, West India →
 * South India): the map below is "the secondary region of", so it can say both. Regions without a pair (e.g.
 * Qatar Central, Poland Central, Italy North) are absent: a vault there cannot replicate.
 */
import type { VaultConfig } from './config';

const MUTUAL: [string, string][] = [
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
  ['uaenorth', 'uaecentral'],
  ['southafricanorth', 'southafricawest'],
  ['eastasia', 'southeastasia'],
  ['australiaeast', 'australiasoutheast'],
  ['australiacentral', 'australiacentral2'],
  ['japaneast', 'japanwest'],
  ['koreacentral', 'koreasouth'],
  ['centralindia', 'southindia'],
  ['jioindiawest', 'jioindiacentral'],
  ['chinanorth', 'chinaeast'],
  ['chinanorth2', 'chinaeast2'],
  ['usgovvirginia', 'usgovtexas'],
  // The canary ("EUAP") pair the Azure CLI's recorded cross-region restore ran in.
  ['centraluseuap', 'eastus2euap'],
];

/** Pairs that go one way only (the first region's secondary is the second, not the reverse). */
const ONE_WAY: [string, string][] = [
  ['westus3', 'eastus'],
  ['brazilsouth', 'southcentralus'],
  ['brazilsoutheast', 'brazilsouth'],
  ['westindia', 'southindia'],
  ['usgovarizona', 'usgovtexas'],
];

const SECONDARY = new Map<string, string>([
  ...MUTUAL.flatMap(([a, b]): [string, string][] => [
    [a, b],
    [b, a],
  ]),
  ...ONE_WAY,
]);

/** ARM accepts a region's display name too ("West Europe"); compare by the normalised name. */
export function normalizeRegion(region: string): string {
  return region.replace(/\s+/g, '').toLowerCase();
}

/** The paired (secondary) region of `region`, or undefined when Azure pairs it with none. */
export function pairedRegion(region: string): string | undefined {
  return SECONDARY.get(normalizeRegion(region));
}

export function sameRegion(a: string, b: string): boolean {
  return normalizeRegion(a) === normalizeRegion(b);
}

export interface VaultGeoSettings {
  storageType: VaultConfig['storageType'];
  /** The effective cross-region restore state (config, or the default for the storage type). */
  crossRegionRestore: 'Enabled' | 'Disabled';
  /** The paired region when the vault store is geo-redundant. */
  secondaryRegion?: string;
}

/**
 * A vault's geo settings from its config. Cross-region restore defaults to Enabled when the vault store is
 * GeoRedundant and the region has a pair (as a GRS vault with CRR turned on), else Disabled; parseConfig has
 * already refused an explicit Enabled without both.
 */
export function vaultGeoSettings(v: VaultConfig): VaultGeoSettings {
  const secondaryRegion = v.storageType === 'GeoRedundant' ? pairedRegion(v.location) : undefined;
  const state = v.crossRegionRestore?.state ?? (secondaryRegion ? 'Enabled' : 'Disabled');
  return {
    storageType: v.storageType,
    crossRegionRestore: secondaryRegion ? state : 'Disabled',
    ...(secondaryRegion ? { secondaryRegion } : {}),
  };
}
