import { describe, expect, it } from 'vitest';
import {
  parseArmScope,
  datasourceKindOf,
  lastSegment,
  parseArmId,
  parseBackupInstanceId,
  sameArmId,
} from '../../src/lib/dataprotection/armId';

const SUB = '04cf684a-d41f-4550-9f70-7708a3a2283b';
const BI = `/subscriptions/${SUB}/resourceGroups/000pikumar/providers/Microsoft.DataProtection/backupVaults/PratikPrivatePreviewVault1/backupInstances/harshitbi2`;

describe('ARM ids', () => {
  it('parses a backup instance id into vault and instance', () => {
    expect(parseBackupInstanceId(BI)).toEqual({
      id: BI,
      vaultId: `/subscriptions/${SUB}/resourceGroups/000pikumar/providers/Microsoft.DataProtection/backupVaults/PratikPrivatePreviewVault1`,
      subscriptionId: SUB,
      resourceGroup: '000pikumar',
      vaultName: 'PratikPrivatePreviewVault1',
      backupInstanceName: 'harshitbi2',
    });
  });

  it('resource types compare case-insensitively (ARM returns Backupvaults too)', () => {
    expect(parseBackupInstanceId(BI.replace('backupVaults', 'Backupvaults')).vaultName).toBe(
      'PratikPrivatePreviewVault1',
    );
    expect(sameArmId(BI, BI.toLowerCase() + '/')).toBe(true);
  });

  it.each([
    ['', /is missing/],
    ['subscriptions/x', /must start with \/subscriptions\//],
    [`/subscriptions/not-a-guid/resourceGroups/r/providers/P/t/n`, /is not a GUID/],
    [`/subscriptions/${SUB}/providers/P/t/n`, /resourceGroups\/\{name\} segment is missing/],
    [`/subscriptions/${SUB}/resourceGroups/r/P/t/n`, /providers\/\{Namespace\} segment is missing/],
    [`/subscriptions/${SUB}/resourceGroups/r/providers/P/t`, /has no name after it/],
    [`/subscriptions/${SUB}/resourceGroups/r//providers/P/t/n`, /empty segment/],
  ])('rejects %j with a clear reason', (id, reason) => {
    expect(() => parseArmId(id, 'backup instance id')).toThrow(reason);
  });

  it('says which type was expected when the type is wrong', () => {
    expect(() =>
      parseBackupInstanceId(
        `/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v`,
      ),
    ).toThrow(
      /is a Microsoft.DataProtection\/backupVaults, but a Microsoft.DataProtection\/backupVaults\/backupInstances id is needed/,
    );
  });

  it('knows the two PostgreSQL datasource kinds and refuses others', () => {
    expect(
      datasourceKindOf(
        `/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/servers/s/databases/d`,
      ),
    ).toBe('singleServerDatabase');
    expect(
      datasourceKindOf(
        `/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.DBforPostgreSQL/flexibleServers/f`,
      ),
    ).toBe('flexibleServer');
    expect(() =>
      datasourceKindOf(`/subscriptions/${SUB}/resourceGroups/r/providers/Microsoft.Sql/servers/s`),
    ).toThrow(/handles/);
  });

  it('job ids: last segment of a full id or the bare GUID', () => {
    expect(lastSegment(`${BI}/../backupJobs/abc`)).toBe('abc');
    expect(lastSegment('3c60cb49-63e8-4b21-b9bd-26277b3fdfae')).toBe('3c60cb49-63e8-4b21-b9bd-26277b3fdfae');
  });
});

describe('RBAC scopes', () => {
  const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';
  it('takes a subscription, a resource group or a resource id, without a trailing slash', () => {
    expect(parseArmScope(`${sub}/`)).toBe(sub);
    expect(parseArmScope(`${sub}/resourceGroups/rg`)).toBe(`${sub}/resourceGroups/rg`);
    const vault = `${sub}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v`;
    expect(parseArmScope(vault)).toBe(vault);
  });
  it('refuses anything else, naming the expected shapes', () => {
    for (const bad of [
      '',
      '/subscriptions/not-a-guid',
      `${sub}/resourceGroups`,
      `${sub}/resourceGroups/rg/providers`,
      'subscriptions/x',
      42,
    ])
      expect(() => parseArmScope(bad), String(bad)).toThrow(/[Ee]xpected \/subscriptions\//);
  });
});
