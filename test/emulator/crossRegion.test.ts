/**
 * Cross-region restore in the emulator, over raw HTTPS: the vault's geo settings, secondary recovery points
 * that lag the primary ones, the five location-scoped operations at the secondary region (as recorded real
 * traffic shows them, reference/dataprotection/RECORDINGS.md sections 3, 5, 6), restores that really restore,
 * jobs seen only through the cross-region job API, refusals, faults, and answers that fit the swagger.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../emulator/config';
import { startEmulator, type EmulatorHandle } from '../../emulator/index';
import { withClient } from '../../emulator/postgres';
import { isoDuration } from '../../emulator/crossRegion';
import { pairedRegion, vaultGeoSettings } from '../../emulator/regions';
import { checkAgainstSwagger, swaggerOperation } from '../../emulator/swagger';
import {
  arm,
  armToken,
  armUntil,
  filesRestoreBody,
  operationEnded,
  testEmulatorConfig,
  TEST_SUBSCRIPTION,
  type ArmCall,
} from '../support/emulator';

let emu: EmulatorHandle;
let token: string;
const RG = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test`;
const V = `${RG}/providers/Microsoft.DataProtection/backupVaults/vault-test`;
const BI = `${V}/backupInstances/bi-single`;
const BI_FLEX = `${V}/backupInstances/bi-flex`;
const LRS_BI = `${RG}/providers/Microsoft.DataProtection/backupVaults/vault-lrs/backupInstances/bi-lrs`;
const q = '?api-version=2026-06-01';
/** The vault is in westus (the default); its pair is eastus. */
const PRIMARY = 'westus';
const SECONDARY = 'eastus';
const at = (location: string, action: string, query = q) =>
  `${RG}/providers/Microsoft.DataProtection/locations/${location}/${action}${query}`;

beforeAll(async () => {
  const config = testEmulatorConfig({
    backups: 3,
    archived: 1,
    config: { recoveryPointsPageSize: 2 },
    extraServers: [
      {
        name: 'tgt-single-dr',
        kind: 'single',
        resourceGroup: 'rg-dr',
        location: SECONDARY,
        managed: { password: 'tgt-dr-pw' },
      },
    ],
    extraSecrets: { 'tgt-dr-admin': { connectionStringFor: 'tgt-single-dr' } },
  });
  // A second vault, locally redundant: no secondary region, no cross-region restore.
  (config.vaults as Record<string, unknown>[]).push({
    name: 'vault-lrs',
    resourceGroup: 'rg-test',
    storageType: 'LocallyRedundant',
    backupInstances: [{ name: 'bi-lrs', server: 'src-single', database: 'lrsdb' }],
  });
  const caFile = process.env.NODE_EXTRA_CA_CERTS!;
  emu = await startEmulator(parseConfig(config), { caDir: dirname(caFile), log: () => undefined });
  token = await armToken(emu);
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  await arm(emu, token, 'DELETE', '/_emulator/faults');
  // No run-time replication delay, global or for the vault: the config's (0) applies.
  await arm(emu, token, 'POST', '/_emulator/crossRegion', { replicationDelaySeconds: null });
  await arm(emu, token, 'POST', '/_emulator/crossRegion', {
    vault: 'vault-test',
    replicationDelaySeconds: null,
  });
});

function primaryPoints(bi = 'bi-single') {
  return emu.ctx.vaults.get('vault-test')!.instances.get(bi)!.points;
}

function crrBody(restoreRequestObject: unknown, sourceBackupInstanceId = BI, sourceRegion = PRIMARY) {
  return { restoreRequestObject, crossRegionRestoreDetails: { sourceBackupInstanceId, sourceRegion } };
}

function databaseRestore(recoveryPointId: string, server: string, database: string, secret: string) {
  return {
    objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
    recoveryPointId,
    sourceDataStoreType: 'VaultStore',
    restoreTargetInfo: {
      objectType: 'RestoreTargetInfo',
      recoveryOption: 'FailIfExists',
      restoreLocation: SECONDARY,
      datasourceInfo: {
        objectType: 'Datasource',
        resourceID: `${emu.ctx.servers.get(server)!.armId}/databases/${database}`,
        resourceName: database,
        resourceType: 'Microsoft.DBforPostgreSQL/servers/databases',
        resourceLocation: SECONDARY,
        datasourceType: 'Microsoft.DBforPostgreSQL/servers/databases',
      },
      datasourceAuthCredentials: {
        objectType: 'SecretStoreBasedAuthCredentials',
        secretStoreResource: {
          secretStoreType: 'AzureKeyVault',
          uri: `https://kv-test.vault.azure.net/secrets/${secret}`,
        },
      },
    },
  };
}

/** POSTs a CRR validate/trigger and follows its Azure-AsyncOperation to the end. */
async function runOperation(action: string, body: unknown): Promise<{ accepted: ArmCall; done: ArmCall }> {
  const accepted = await arm(emu, token, 'POST', at(SECONDARY, action), body);
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  const done = await armUntil(emu, token, accepted.headers.get('azure-asyncoperation')!, operationEnded);
  return { accepted, done };
}

async function fetchJob(jobId: string): Promise<ArmCall> {
  return arm(emu, token, 'POST', at(SECONDARY, 'fetchCrossRegionRestoreJob'), {
    jobId,
    sourceBackupVaultId: V.replace('/backupVaults/', '/BackupVaults/'),
    sourceRegion: PRIMARY,
  });
}

async function jobUntilEnded(jobId: string): Promise<ArmCall> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetchJob(jobId);
    if (res.body?.properties?.status !== 'InProgress') return res;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still running: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('emulator cross-region restore', () => {
  it('pairs regions as Azure does and accepts the demo config', () => {
    expect(pairedRegion('westeurope')).toBe('northeurope');
    expect(pairedRegion('North Europe')).toBe('westeurope');
    expect(pairedRegion('eastus2')).toBe('centralus');
    expect(pairedRegion('eastus2euap')).toBe('centraluseuap');
    expect(pairedRegion('westus3')).toBe('eastus');
    expect(pairedRegion('qatarcentral')).toBeUndefined();
    // A geo-redundant vault in a region without a pair cannot replicate: CRR is off, no secondary region.
    const unpaired = parseConfig({
      ...testEmulatorConfig(),
      vaults: [{ name: 'v', location: 'qatarcentral', backupInstances: [] }],
    }).vaults[0]!;
    expect(vaultGeoSettings(unpaired)).toEqual({
      storageType: 'GeoRedundant',
      crossRegionRestore: 'Disabled',
    });
    expect([0, 5003, 125_650, 3_600_000].map(isoDuration)).toEqual(['PT0S', 'PT5.003S', 'PT2M5.65S', 'PT1H']);
    const demo = loadConfigFile(join(__dirname, '..', '..', 'emulator', 'examples', 'demo.json'));
    const secondary = pairedRegion(demo.vaults[0]!.location)!;
    const inSecondary = demo.servers.filter((s) => s.location === secondary).map((s) => s.kind);
    expect(inSecondary.sort()).toEqual(['flexible', 'single']);
    expect(() =>
      parseConfig({
        ...testEmulatorConfig(),
        vaults: [
          {
            name: 'v',
            storageType: 'LocallyRedundant',
            crossRegionRestore: { state: 'Enabled' },
            backupInstances: [],
          },
        ],
      }),
    ).toThrow(/Enabled needs storageType GeoRedundant/);
  });

  it('the vault GET shows geo-redundant storage, CRR on and the replicated region; an LRS vault has none', async () => {
    const grs = await arm(emu, token, 'GET', `${V}${q}`);
    expect(grs.body.properties).toMatchObject({
      storageSettings: [{ datastoreType: 'VaultStore', type: 'GeoRedundant' }],
      featureSettings: { crossRegionRestoreSettings: { state: 'Enabled' } },
      replicatedRegions: [SECONDARY],
    });
    const lrs = await arm(emu, token, 'GET', `${V.replace('vault-test', 'vault-lrs')}${q}`);
    expect(lrs.body.properties).toMatchObject({
      storageSettings: [{ datastoreType: 'VaultStore', type: 'LocallyRedundant' }],
      featureSettings: { crossRegionRestoreSettings: { state: 'Disabled' } },
    });
    expect(lrs.body.properties.replicatedRegions).toBeUndefined();
    for (const v of [grs, lrs])
      expect(checkAgainstSwagger('BackupVaultResource', v.body, 'response').errors).toEqual([]);
    // What a test or the demo finds a drill's servers by: the vault's secondary region, the servers' regions.
    const resources = (await arm(emu, token, 'GET', '/_emulator/resources')).body;
    expect(resources.vaults.find((x: any) => x.name === 'vault-test')).toMatchObject({
      location: PRIMARY,
      storageType: 'GeoRedundant',
      crossRegionRestore: 'Enabled',
      secondaryRegion: SECONDARY,
    });
    expect(resources.servers.find((x: any) => x.name === 'tgt-single-dr').location).toBe(SECONDARY);
  });

  it('secondary points carry the primary ids, newest first, and lag by the replication delay', async () => {
    const fetchAll = async (): Promise<any[]> => {
      const out: any[] = [];
      let res = await arm(emu, token, 'POST', at(SECONDARY, 'fetchSecondaryRecoveryPoints'), {
        sourceBackupInstanceId: BI,
        sourceRegion: PRIMARY,
      });
      expect(res.status).toBe(200);
      out.push(...res.body.value);
      while (res.body.nextLink) {
        res = await arm(emu, token, 'POST', res.body.nextLink, {
          sourceBackupInstanceId: BI,
          sourceRegion: PRIMARY,
        });
        out.push(...res.body.value);
      }
      return out;
    };
    // Seeded: 3 points a day apart, the oldest in the archive tier only (not replicated).
    const vaultTier = primaryPoints()
      .filter((p) => p.stores.some((s) => s.type === 'VaultStore'))
      .sort((a, b) => b.time.getTime() - a.time.getTime());
    const all = await fetchAll();
    expect(all.map((p) => p.name)).toEqual(vaultTier.map((p) => p.id));
    expect(all[0]).toMatchObject({
      id: `${BI}/recoveryPoints/${vaultTier[0]!.id}`,
      type: 'Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints',
      properties: { objectType: 'AzureBackupDiscreteRecoveryPoint', recoveryPointId: vaultTier[0]!.id },
    });

    // A delay of 36 h hides the newest seeded point (taken now), and shows the one of a day ago only later.
    const set = await arm(emu, token, 'POST', '/_emulator/crossRegion', {
      vault: 'vault-test',
      replicationDelaySeconds: 36 * 3600,
    });
    expect(set.status).toBe(201);
    expect(await fetchAll()).toEqual([]);
    await arm(emu, token, 'POST', '/_emulator/crossRegion', {
      vault: 'vault-test',
      replicationDelaySeconds: 12 * 3600,
    });
    expect((await fetchAll()).map((p) => p.name)).toEqual([vaultTier[1]!.id]);

    // A new backup shows in the primary region at once, in the secondary after the delay.
    await arm(emu, token, 'POST', '/_emulator/crossRegion', {
      vault: 'vault-test',
      replicationDelaySeconds: 2,
    });
    const rp = await arm(emu, token, 'POST', '/_emulator/backup', { backupInstanceId: BI });
    expect(rp.status).toBe(201);
    expect((await fetchAll()).map((p) => p.name)).not.toContain(rp.body.name);
    const primary = await arm(emu, token, 'GET', `${BI}/recoveryPoints/${rp.body.name}${q}`);
    expect(primary.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetchAll())[0].name).toBe(rp.body.name);

    // $filter as on the primary's list.
    const newest = (await fetchAll())[0].properties.recoveryPointTime as string;
    const filtered = await arm(
      emu,
      token,
      'POST',
      at(
        SECONDARY,
        'fetchSecondaryRecoveryPoints',
        `${q}&$filter=${encodeURIComponent(`startDate eq '${newest}'`)}`,
      ),
      { sourceBackupInstanceId: BI, sourceRegion: PRIMARY },
    );
    expect(filtered.body.value.map((p: any) => p.name)).toEqual([rp.body.name]);
  });

  it('validates and restores a Single Server database into the paired region, for real; the job is seen only through the CRR job API', async () => {
    const since = emu.ctx.requests.at(-1)?.seq ?? 0;
    const point = (
      await arm(emu, token, 'POST', at(SECONDARY, 'fetchSecondaryRecoveryPoints'), {
        sourceBackupInstanceId: BI,
        sourceRegion: PRIMARY,
      })
    ).body.value[0];
    const restore = databaseRestore(point.name, 'tgt-single-dr', 'shop_crr', 'tgt-dr-admin');

    // Validate: the CLI's outer objectType is accepted.
    const v = await runOperation('validateCrossRegionRestore', {
      objectType: 'ValidateRestoreRequestObject',
      ...crrBody(restore),
    });
    expect(v.accepted.body).toBeUndefined();
    expect(v.accepted.headers.get('content-length')).toBe('0');
    expect(v.accepted.headers.get('retry-after')).toBeNull();
    const aao = new URL(v.accepted.headers.get('azure-asyncoperation')!);
    expect(aao.pathname).toMatch(
      new RegExp(
        `^/subscriptions/${TEST_SUBSCRIPTION}/providers/Microsoft.DataProtection/locations/${SECONDARY}/operationStatus/[^/]+$`,
      ),
    );
    expect(aao.search).toBe(q); // unsigned
    const location = new URL(v.accepted.headers.get('location')!);
    expect(location.pathname).toMatch(
      new RegExp(`/providers/Microsoft.DataProtection/locations/${SECONDARY}/operationResults/[^/]+$`),
    );
    expect(location.search).toMatch(/^\?api-version=2026-06-01&t=\d+&c=.+&s=.+&h=.+$/);
    expect(v.done.body).toMatchObject({ status: 'Succeeded', endTime: expect.stringMatching(/:\d\dZ$/) });
    expect(v.done.body.properties).toBeUndefined();
    const vResult = await arm(emu, token, 'GET', location.href);
    expect(vResult).toMatchObject({ status: 200, body: { objectType: 'OperationJobExtendedInfo' } });
    expect(vResult.body.jobId).toBeUndefined();
    expect(vResult.headers.get('azure-asyncoperation')).toContain(`/locations/${SECONDARY}/operationStatus/`);

    // Trigger: running, then Succeeded with a bare-GUID jobId.
    const accepted = await arm(emu, token, 'POST', at(SECONDARY, 'crossRegionRestore'), {
      objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
      ...crrBody(restore),
    });
    expect(accepted.status).toBe(202);
    const firstPoll = await arm(emu, token, 'GET', accepted.headers.get('azure-asyncoperation')!);
    expect(firstPoll.body).toMatchObject({ status: 'Inprogress', endTime: '0001-01-01T00:00:00Z' });
    expect(firstPoll.body.properties).toBeUndefined();
    expect(firstPoll.headers.get('retry-after')).toBeNull();
    const running = await arm(emu, token, 'GET', accepted.headers.get('location')!);
    expect(running.status).toBe(202);
    const done = await armUntil(emu, token, accepted.headers.get('azure-asyncoperation')!, operationEnded);
    expect(done.body).toMatchObject({
      status: 'Succeeded',
      properties: { objectType: 'OperationJobExtendedInfo', jobId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const jobId = done.body.properties.jobId as string;
    expect((await arm(emu, token, 'GET', accepted.headers.get('location')!)).body).toEqual({
      jobId,
      objectType: 'OperationJobExtendedInfo',
    });

    // The job, through fetchCrossRegionRestoreJob only.
    const job = await fetchJob(jobId);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      id: `${V.replace('/backupVaults/', '/BackupVaults/')}/backupJobs/${jobId}`,
      name: jobId,
      type: 'Microsoft.DataProtection/BackupVaults/backupJobs',
      properties: {
        operationCategory: 'CrossRegionRestore',
        operation: 'Restore',
        isUserTriggered: true,
        dataSourceLocation: PRIMARY,
        backupInstanceId: BI,
        extendedInfo: {
          sourceRecoverPoint: { recoveryPointID: point.name },
          recoveryDestination: restore.restoreTargetInfo.datasourceInfo.resourceID,
        },
      },
    });
    const ended = await jobUntilEnded(jobId);
    expect(ended.body.properties).toMatchObject({
      status: 'Completed',
      endTime: expect.any(String),
      duration: expect.stringMatching(/^PT/),
    });
    // Null keys are left out, as the secondary stamp sends them.
    expect(JSON.stringify(ended.body)).not.toContain('null');

    // The restore was real: the database is on the target server in the secondary region.
    const rows = await withClient(emu.ctx.servers.get('tgt-single-dr')!.admin, 'shop_crr', async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n),
    );
    expect(rows).toBeGreaterThan(0);

    // Not a job of the vault: its GET 404s and its list does not have it; the CRR list does.
    expect((await arm(emu, token, 'GET', `${V}/backupJobs/${jobId}${q}`)).status).toBe(404);
    const vaultJobs = await arm(emu, token, 'GET', `${V}/backupJobs${q}`);
    expect(vaultJobs.body.value.map((j: any) => j.name)).not.toContain(jobId);
    const list = await arm(emu, token, 'POST', at(SECONDARY, 'fetchCrossRegionRestoreJobs'), {
      sourceBackupVaultId: V,
      sourceRegion: PRIMARY,
    });
    expect(list.status).toBe(200);
    expect(list.body.value.map((j: any) => j.name)).toContain(jobId);
    // The client's $filter (startTime ge '<time>') is accepted and applied; another clause is refused.
    const filtered = (since: string) =>
      arm(
        emu,
        token,
        'POST',
        at(SECONDARY, 'fetchCrossRegionRestoreJobs', `${q}&$filter=${encodeURIComponent(since)}`),
        { sourceBackupVaultId: V, sourceRegion: PRIMARY },
      );
    const recent = await filtered(`startTime ge '${new Date(Date.now() - 3_600_000).toISOString()}'`);
    expect(recent.status).toBe(200);
    expect(recent.body.value.map((j: any) => j.name)).toContain(jobId);
    const future = await filtered(`startTime ge '${new Date(Date.now() + 3_600_000).toISOString()}'`);
    expect(future.body.value.map((j: any) => j.name)).not.toContain(jobId);
    expect((await filtered(`status eq 'Completed'`)).status).toBe(400);
    // The operation lives at the secondary location only.
    const opId = aao.pathname.split('/').pop()!;
    expect(
      (
        await arm(
          emu,
          token,
          'GET',
          `/subscriptions/${TEST_SUBSCRIPTION}/providers/Microsoft.DataProtection/locations/${PRIMARY}/operationStatus/${opId}${q}`,
        )
      ).status,
    ).toBe(404);

    // The request log says how the job was followed.
    const log = (await arm(emu, token, 'GET', `/_emulator/requests?since=${since}`)).body.requests as any[];
    const ops = log.filter((r) => r.service === 'arm').map((r) => r.operation);
    expect(ops).toContain('FetchCrossRegionRestoreJob_Get');
    expect(ops).toContain('BackupInstances_TriggerCrossRegionRestore');
    expect(log.filter((r) => r.operation === 'Jobs_Get' && r.status === 200)).toEqual([]);
  });

  it('restores a Flexible Server as files into the container, for real', async () => {
    const point = (
      await arm(emu, token, 'POST', at(SECONDARY, 'fetchSecondaryRecoveryPoints'), {
        sourceBackupInstanceId: BI_FLEX,
        sourceRegion: PRIMARY,
      })
    ).body.value[0];
    const restore = filesRestoreBody(emu, point.name, 'crrflex') as any;
    restore.restoreTargetInfo.restoreLocation = SECONDARY;
    const { done } = await runOperation('crossRegionRestore', crrBody(restore, BI_FLEX));
    expect(done.body.status).toBe('Succeeded');
    const ended = await jobUntilEnded(done.body.properties.jobId);
    expect(ended.body.properties).toMatchObject({
      status: 'Completed',
      dataSourceType: 'Microsoft.DBforPostgreSQL/flexibleServers',
      extendedInfo: { additionalDetails: { 'Restore File Prefix': 'crrflex' } },
    });
    const job = emu.ctx.crossRegion.jobs.get(done.body.properties.jobId)!;
    expect(job.restoredBlobs.sort()).toEqual(['crrflex_billing.dump', 'crrflex_inventory.dump']);
    const dir = mkdtempSync(join(tmpdir(), 'crr-test-'));
    try {
      const file = join(dir, 'x.dump');
      await emu.ctx.blobs.download(emu.ctx.config.storage.containers[0]!, 'crrflex_inventory.dump', file);
      expect(readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a target outside the secondary region fails the operation; a point not replicated yet too', async () => {
    const point = primaryPoints().at(-1)!.id;
    const primaryTarget = await runOperation(
      'validateCrossRegionRestore',
      crrBody(databaseRestore(point, 'tgt-single', 'shop_wrong_region', 'tgt-admin')),
    );
    expect(primaryTarget.done.body).toMatchObject({
      status: 'Failed',
      error: { code: 'UserErrorCrossRegionRestoreTargetNotInSecondaryRegion' },
    });
    const files = filesRestoreBody(emu, point, 'wrong') as any;
    files.restoreTargetInfo.restoreLocation = PRIMARY;
    const wrongLocation = await runOperation('crossRegionRestore', crrBody(files));
    expect(wrongLocation.done.body.error.code).toBe('UserErrorCrossRegionRestoreTargetNotInSecondaryRegion');
    // Failed: the Location URL answers with the error.
    const result = await arm(emu, token, 'GET', wrongLocation.accepted.headers.get('location')!);
    expect(result.status).toBe(400);

    await arm(emu, token, 'POST', '/_emulator/crossRegion', { replicationDelaySeconds: 48 * 3600 });
    const notYet = await runOperation(
      'validateCrossRegionRestore',
      crrBody(filesRestoreBody(emu, point, 'lag')),
    );
    expect(notYet.done.body).toMatchObject({
      status: 'Failed',
      error: { code: 'UserErrorRecoveryPointNotFound', message: expect.any(String) },
    });
  });

  it.each([
    ['fetchSecondaryRecoveryPoints', { sourceBackupInstanceId: BI, sourceRegion: PRIMARY }],
    ['validateCrossRegionRestore', 'crr'],
    ['crossRegionRestore', 'crr'],
    ['fetchCrossRegionRestoreJobs', { sourceBackupVaultId: V, sourceRegion: PRIMARY }],
  ])(
    '%s: refuses a location other than the secondary region, a wrong source region, and a vault without CRR',
    async (action, body) => {
      const b = (bi = BI, region = PRIMARY) =>
        body === 'crr'
          ? crrBody(filesRestoreBody(emu, primaryPoints().at(-1)!.id, 'x'), bi, region)
          : { ...(body as object), sourceRegion: region };
      const wrongLocation = await arm(emu, token, 'POST', at('northeurope', action), b());
      expect(wrongLocation.status).toBe(400);
      expect(wrongLocation.body.error.code).toBe('UserErrorInvalidCrossRegionRestoreLocation');
      const primaryLocation = await arm(emu, token, 'POST', at(PRIMARY, action), b());
      expect(primaryLocation.body.error.code).toBe('UserErrorInvalidCrossRegionRestoreLocation');
      const wrongSource = await arm(emu, token, 'POST', at(SECONDARY, action), b(BI, 'centralus'));
      expect(wrongSource.body.error.code).toBe('UserErrorInvalidSourceRegion');
      for (const r of [wrongLocation, primaryLocation, wrongSource])
        expect(checkAgainstSwagger('CloudError', r.body, 'response').errors).toEqual([]);
      if (action !== 'fetchCrossRegionRestoreJobs') {
        const lrsBody =
          body === 'crr'
            ? crrBody(filesRestoreBody(emu, 'whatever', 'x'), LRS_BI)
            : { sourceBackupInstanceId: LRS_BI, sourceRegion: PRIMARY };
        const lrs = await arm(emu, token, 'POST', at(SECONDARY, action), lrsBody);
        expect(lrs.status).toBe(400);
        expect(lrs.body).toMatchObject({
          error: {
            code: 'UserErrorCrossRegionRestoreNotEnabled',
            additionalInfo: [{ type: 'UserFacingError' }],
          },
        });
      }
    },
  );

  it('answers api-version 2021-07-01 with NoRegisteredProviderFound, listing the versions that have the operation', async () => {
    for (const action of [
      'fetchSecondaryRecoveryPoints',
      'validateCrossRegionRestore',
      'crossRegionRestore',
      'fetchCrossRegionRestoreJob',
      'fetchCrossRegionRestoreJobs',
    ]) {
      const res = await arm(emu, token, 'POST', at(SECONDARY, action, '?api-version=2021-07-01'), {});
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('NoRegisteredProviderFound');
      expect(res.body.error.message).toContain("The supported api-versions are '2026-06-01'");
      expect(res.body.error.message).toContain(`for location '${SECONDARY}'`);
    }
    // Same-region operations still take 2021-07-01.
    expect((await arm(emu, token, 'GET', `${V}?api-version=2021-07-01`)).status).toBe(200);
  });

  it('checks bodies against the swagger: required fields, and the restore request as same-region restores are', async () => {
    const point = primaryPoints().at(-1)!.id;
    const noDetails = await arm(emu, token, 'POST', at(SECONDARY, 'validateCrossRegionRestore'), {
      restoreRequestObject: filesRestoreBody(emu, point, 'x'),
    });
    expect(noDetails.status).toBe(400);
    expect(noDetails.body.error.message).toMatch(/crossRegionRestoreDetails/);
    const misspelled = filesRestoreBody(emu, point, 'x') as any;
    misspelled.restoreTargetInfo.targetDetail = misspelled.restoreTargetInfo.targetDetails;
    const bad = await arm(emu, token, 'POST', at(SECONDARY, 'crossRegionRestore'), crrBody(misspelled));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BadRequest');
    const noJobId = await arm(emu, token, 'POST', at(SECONDARY, 'fetchCrossRegionRestoreJob'), {
      sourceBackupVaultId: V,
      sourceRegion: PRIMARY,
    });
    expect(noJobId.status).toBe(400);
    const unknownJob = await fetchJob('00000000-0000-4000-8000-000000000000');
    expect(unknownJob.status).toBe(404);
    const notJson = await arm(emu, token, 'POST', at(SECONDARY, 'crossRegionRestore'), '{"restore');
    expect(notJson.body.error.code).toBe('InvalidRequestContent');
  });

  it('fault rules apply to the CRR operations by name', async () => {
    await arm(emu, token, 'POST', '/_emulator/faults', [
      {
        operation: 'FetchSecondaryRecoveryPoints_List',
        kind: 'status',
        status: 429,
        retryAfterSeconds: 3,
        count: 1,
      },
      { operation: 'FetchCrossRegionRestoreJob_Get', kind: 'status', status: 503, count: 1 },
      {
        operation: 'BackupInstances_ValidateCrossRegionRestore',
        kind: 'domain',
        code: 'UserErrorMSIMissingPermissions',
        count: 1,
      },
      { operation: 'FetchCrossRegionRestoreJobs_List', kind: 'delay', delayMs: 500, count: 1 },
    ]);
    const throttled = await arm(emu, token, 'POST', at(SECONDARY, 'fetchSecondaryRecoveryPoints'), {
      sourceBackupInstanceId: BI,
      sourceRegion: PRIMARY,
    });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await fetchJob('00000000-0000-4000-8000-000000000000')).status).toBe(503);
    const point = primaryPoints().at(-1)!.id;
    const domain = await runOperation(
      'validateCrossRegionRestore',
      crrBody(filesRestoreBody(emu, point, 'f')),
    );
    expect(domain.done.body.error.code).toBe('UserErrorMSIMissingPermissions');
    const t0 = Date.now();
    await arm(emu, token, 'POST', at(SECONDARY, 'fetchCrossRegionRestoreJobs'), {
      sourceBackupVaultId: V,
      sourceRegion: PRIMARY,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);

    // A CRR job that fails half-way: the fetched job says Failed, with errorDetails.
    await arm(emu, token, 'POST', '/_emulator/faults', {
      operation: 'BackupInstances_TriggerCrossRegionRestore',
      kind: 'jobFailHalfway',
      code: 'UserErrorServerConnectionClosed',
      count: 1,
    });
    const halfway = await runOperation('crossRegionRestore', crrBody(filesRestoreBody(emu, point, 'half')));
    const failed = await jobUntilEnded(halfway.done.body.properties.jobId);
    expect(failed.body.properties).toMatchObject({
      status: 'Failed',
      errorDetails: [{ code: 'UserErrorServerConnectionClosed' }],
    });

    // Accepted, then the answer lost: the restore still runs (a client retrying blindly would start two).
    await arm(emu, token, 'POST', '/_emulator/faults', {
      operation: 'BackupInstances_TriggerCrossRegionRestore',
      kind: 'dropResponse',
      count: 1,
    });
    const before = emu.ctx.crossRegion.operations.size;
    const files = filesRestoreBody(emu, point, 'dropped') as any;
    await expect(
      arm(emu, token, 'POST', at(SECONDARY, 'crossRegionRestore'), crrBody(files)),
    ).rejects.toThrow();
    expect(emu.ctx.crossRegion.operations.size).toBe(before + 1);
    const log = (await arm(emu, token, 'GET', '/_emulator/requests')).body.requests as any[];
    expect(log.filter((r) => r.fault).map((r) => `${r.operation} ${r.fault}`)).toEqual(
      expect.arrayContaining([
        'FetchSecondaryRecoveryPoints_List status',
        'FetchCrossRegionRestoreJob_Get status',
        'FetchCrossRegionRestoreJobs_List delay',
        'BackupInstances_TriggerCrossRegionRestore dropResponse',
      ]),
    );
  });

  it('sends Retry-After only when crossRegionRestore.retryAfterSeconds is configured', async () => {
    emu.ctx.config.crossRegionRestore.retryAfterSeconds = 2; // the live config, as a config file would set it
    try {
      const point = primaryPoints().at(-1)!.id;
      const accepted = await arm(
        emu,
        token,
        'POST',
        at(SECONDARY, 'validateCrossRegionRestore'),
        crrBody(filesRestoreBody(emu, point, 'ra')),
      );
      expect(accepted.headers.get('retry-after')).toBe('2');
      const poll = await arm(emu, token, 'GET', accepted.headers.get('azure-asyncoperation')!);
      expect(poll.body.status).toBe('Inprogress');
      expect(poll.headers.get('retry-after')).toBe('2');
    } finally {
      delete emu.ctx.config.crossRegionRestore.retryAfterSeconds;
    }
  });

  it('every CRR answer validates against the swagger', () => {
    const seen = new Set<string>();
    for (const entry of emu.ctx.requests) {
      if (entry.service !== 'arm' || !entry.operation || entry.status === 0 || entry.fault) continue;
      const crr =
        /CrossRegion|SecondaryRecoveryPoints/.test(entry.operation) ||
        (/^Operation(Status|Result)_Get$/.test(entry.operation) &&
          entry.path.includes(`/locations/${SECONDARY}/`));
      if (!crr) continue;
      const { op } = swaggerOperation(entry.operation);
      const responses = op.responses as Record<string, { schema?: { $ref?: string } }>;
      const ref = (responses[String(entry.status)] ?? responses.default)?.schema?.$ref;
      if (!ref) {
        expect(
          entry.responseBody,
          `${entry.operation} ${entry.status} has no body in the swagger`,
        ).toBeUndefined();
      } else {
        // The common-types ErrorResponse has CloudError's shape.
        const def = ref.startsWith('#/definitions/') ? ref.slice('#/definitions/'.length) : 'CloudError';
        expect(
          checkAgainstSwagger(def, entry.responseBody, 'response').errors,
          `${entry.operation} ${entry.status} vs ${def}`,
        ).toEqual([]);
      }
      seen.add(`${entry.operation} ${entry.status}`);
    }
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'FetchSecondaryRecoveryPoints_List 200',
        'BackupInstances_ValidateCrossRegionRestore 202',
        'BackupInstances_TriggerCrossRegionRestore 202',
        'OperationStatus_Get 200',
        'OperationResult_Get 200',
        'OperationResult_Get 202',
        'FetchCrossRegionRestoreJob_Get 200',
        'FetchCrossRegionRestoreJobs_List 200',
      ]),
    );
  });
});
