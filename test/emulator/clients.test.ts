/**
 * The unmodified Azure SDK clients work against the emulator through nothing but the configuration contract:
 * DefaultAzureCredential (App Service managed identity: IDENTITY_ENDPOINT + IDENTITY_HEADER), SecretClient
 * (Key Vault's challenge flow, real vault host names via HTTPS_PROXY), and this project's DataProtectionClient.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { DataProtectionClient } from '../../src/lib/dataprotection/client';
import { buildRestoreRequest, buildValidateRestoreRequest } from '../../src/lib/dataprotection/requests';
import { startTestEmulator, TEST_SUBSCRIPTION, sleep } from '../support/emulator';
import { startHttpsServer } from '../support/httpsServer';

let emu: EmulatorHandle;
const saved: Record<string, string | undefined> = {};
const V = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-test`;

beforeAll(async () => {
  emu = await startTestEmulator({ backups: 2, archived: 0 });
  // Exactly what a user exports from the ready line's "env" (NODE_EXTRA_CA_CERTS is already trusted).
  for (const [k, v] of Object.entries(emu.env)) {
    if (k === 'NODE_EXTRA_CA_CERTS') continue;
    saved[k] = process.env[k];
    process.env[k] = v;
  }
}, 120_000);
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await emu?.stop();
});

describe('Azure SDK clients against the emulator', () => {
  it('DefaultAzureCredential gets tokens for ARM and Key Vault from the identity endpoint', async () => {
    const credential = new DefaultAzureCredential();
    const armToken = await credential.getToken('https://management.azure.com/.default');
    expect(armToken.token).toBeTruthy();
    expect(armToken.expiresOnTimestamp).toBeGreaterThan(Date.now() + 30 * 60_000);
    const kvToken = await credential.getToken('https://vault.azure.net/.default');
    expect(kvToken.token).not.toBe(armToken.token);
    expect(emu.ctx.requests.some((r) => r.service === 'identity' && r.status === 200)).toBe(true);
  });

  it('SecretClient reads a connection-string secret through the challenge flow, unchanged', async () => {
    const client = new SecretClient(emu.keyVaultUrls['kv-test']!, new DefaultAzureCredential());
    const secret = await client.getSecret('tgt-admin');
    const tgt = emu.ctx.servers.get('tgt-single')!.admin;
    expect(secret.value).toBe(
      `Server=127.0.0.1;Database=postgres;Port=${tgt.port};User Id=postgres@tgt-single;Password=tgt-pw;Ssl Mode=Disable;`,
    );
    expect(secret.properties.vaultUrl).toBe('https://kv-test.vault.azure.net');
    const kvRequests = emu.ctx.requests.filter((r) => r.service === 'keyvault');
    expect(kvRequests.map((r) => [r.status, r.tokenPresent])).toEqual([
      [401, false],
      [200, true],
    ]);
    await expect(client.getSecret('missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
    });
  });

  it('a Key Vault the emulator does not know is unreachable, as it would be in DNS', async () => {
    const client = new SecretClient('https://nowhere-kv.vault.azure.net', new DefaultAzureCredential(), {
      retryOptions: { maxRetries: 0 },
    });
    await expect(client.getSecret('x')).rejects.toThrow();
  });

  it('DataProtectionClient runs validate, restore and the job to the end with DefaultAzureCredential', async () => {
    const client = new DataProtectionClient({
      settings: {
        DATAPROTECTION_ENDPOINT: emu.arm,
        DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
        DATAPROTECTION_API_VERSION: '2026-06-01',
      },
    });
    const vault = await client.getBackupVault(V);
    expect(vault.identity?.principalId).toBeTruthy();
    const instances = [];
    for await (const bi of client.listBackupInstances(V)) instances.push(bi);
    const single = instances.find((b) => b.name === 'bi-single')!;
    const points = [];
    for await (const p of client.listRecoveryPoints(single.id)) points.push(p);
    expect(points).toHaveLength(2);
    const newest = points.sort((a, b) =>
      b.properties.recoveryPointTime.localeCompare(a.properties.recoveryPointTime),
    )[0]!;
    const body = buildRestoreRequest({
      apiVersion: client.apiVersion,
      sourceDatasourceId: single.properties.dataSourceInfo.resourceID,
      recoveryPointId: newest.name,
      sourceDataStoreType: 'VaultStore',
      restoreLocation: 'westus',
      target: {
        kind: 'database',
        targetDatabaseId: `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DBforPostgreSQL/servers/tgt-single/databases/sdk_restore`,
        secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
      },
    });
    let state = await client.validateRestore(single.id, buildValidateRestoreRequest(body));
    while (state.status === 'running') {
      await sleep(200);
      state = await client.pollOperation(state);
    }
    expect(state.status).toBe('succeeded');
    state = await client.triggerRestore(single.id, body);
    while (state.status === 'running') {
      await sleep(200);
      state = await client.pollOperation(state);
    }
    expect(state.jobId).toMatch(/^[0-9a-f-]{36}$/);
    let job = await client.getJob(V, state.jobId!);
    while (job.properties.status === 'InProgress') {
      await sleep(200);
      job = await client.getJob(V, state.jobId!);
    }
    expect(job.properties.status).toBe('Completed');
    const jobs = [];
    for await (const j of client.listJobs(V)) jobs.push(j);
    expect(jobs.some((j) => j.name === state.jobId)).toBe(true);
  });

  it('a foreign Azure-AsyncOperation (emulator fault): validate and restore complete through Location, the foreign origin gets nothing', async () => {
    const foreign = await startHttpsServer(() => ({ status: 200, body: { status: 'Succeeded' } }));
    emu.ctx.faults.add({ kind: 'foreignAsyncOperation', url: foreign.origin });
    try {
      const client = new DataProtectionClient({
        settings: {
          DATAPROTECTION_ENDPOINT: emu.arm,
          DATAPROTECTION_AUDIENCE: 'https://management.azure.com',
          DATAPROTECTION_API_VERSION: '2021-07-01',
        },
      });
      const bi = `${V}/backupInstances/bi-single`;
      const single = await client.getBackupInstance(bi);
      const points = [];
      for await (const p of client.listRecoveryPoints(bi)) points.push(p);
      const body = buildRestoreRequest({
        apiVersion: client.apiVersion,
        sourceDatasourceId: single.properties.dataSourceInfo.resourceID,
        recoveryPointId: points[0]!.name,
        sourceDataStoreType: 'VaultStore',
        target: {
          kind: 'database',
          targetDatabaseId: `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DBforPostgreSQL/servers/tgt-single/databases/foreign_async`,
          secretUri: 'https://kv-test.vault.azure.net/secrets/tgt-admin',
        },
      });
      for (const start of [
        () => client.validateRestore(bi, buildValidateRestoreRequest(body)),
        () => client.triggerRestore(bi, body),
      ]) {
        let state = await start();
        expect(state.pollKind).toBe('location');
        while (state.status === 'running') {
          await sleep(200);
          state = await client.pollOperation(state);
        }
        expect(state.status).toBe('succeeded');
        if (state.operation === 'restore') expect(state.jobId).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(emu.ctx.faults.list()[0]!.fired).toBeGreaterThanOrEqual(2);
      expect(foreign.requests).toHaveLength(0);
    } finally {
      emu.ctx.faults.clear();
      await foreign.close();
    }
  });
});
