/**
 * The failure side of a drill, each against real components (the emulator over HTTPS with its PostgreSQL
 * clusters, Azurite, the real activities and orchestrators): the phase and code a user sees, the fix it
 * names, that a secret never shows, and that nothing the drill created is left behind — by its own cleanup,
 * or by the sweeper once the fault is gone.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type BlobLeaseClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containerAccess } from '../../src/lib/storage/blobs';
import { drillToken } from '../../src/lib/drill/names';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken } from '../support/emulator';
import {
  azuriteConnectionString,
  FLEX_BI,
  SINGLE_BI,
  startDrillRig,
  TARGET_SERVER,
  type DrillRig,
} from '../support/drill';
import { drillLeftovers } from '../support/leftovers';
import { expectNoSecrets, secretNeedles } from '../support/secrets';
import { sweepDrill } from '../support/sweep';

let rig: DrillRig;
const KV = 'https://kv-test.vault.azure.net/secrets';
const DP = 'Microsoft.DataProtection/backupVaults/backupInstances';

beforeAll(async () => {
  rig = await startDrillRig({ backups: 2, archived: 0 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});
beforeEach(async () => {
  const token = await armToken(rig.emu);
  await arm(rig.emu, token, 'DELETE', '/_emulator/faults');
  await arm(rig.emu, token, 'DELETE', '/_emulator/permissions');
});

async function admin(method: string, path: string, body?: unknown) {
  const token = await armToken(rig.emu);
  const res = await arm(rig.emu, token, method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body;
}

function databaseRequest(extra: Record<string, unknown> = {}) {
  return {
    backupInstanceId: SINGLE_BI,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin` },
    verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
    ...extra,
  };
}

function filesRequest(load: Record<string, unknown> = {}) {
  return {
    backupInstanceId: FLEX_BI,
    target: {
      kind: 'files',
      containerUrl: rig.containerUrl,
      load: {
        host: rig.drillServer.host,
        port: rig.drillServer.port,
        secretUri: rig.drillServer.secretUri,
        ...load,
      },
    },
  };
}

/** Restore jobs the emulator started towards this drill's names (they all carry its token). */
async function restoreJobsOf(report: DrillReport): Promise<unknown[]> {
  const { jobs } = await admin('GET', '/_emulator/jobs');
  const token = drillToken(report.drillId);
  return (jobs as any[]).filter(
    (j) => j.properties.operation === 'Restore' && JSON.stringify(j).includes(token),
  );
}

/** The phase that failed, with its code, and the report's failure says the same. */
function expectFailed(report: DrillReport, phase: string, code: string): void {
  expect(report.verdict).toBe('failed');
  expect(report.failure).toMatchObject({ phase, code });
  expect(report.phases.find((p) => p.name === phase)).toMatchObject({ status: 'failed' });
  expect(report.failure!.recommendedActions?.length ?? 0).toBeGreaterThan(0);
}

describe('drill failures a user sees, and what they leave', () => {
  it('ARM refuses the read of the backup instance (403): failed in resolve, naming the action and the role to grant', async () => {
    await admin('POST', '/_emulator/permissions', {
      revoke: `Microsoft.DataProtection/backupVaults/backupInstances/read`,
    });
    const { report, drillId } = await rig.run(databaseRequest());
    expectFailed(report, 'resolve', 'AuthorizationFailed');
    expect(report.failure!.message).toContain(`${DP}/read`);
    expect(report.failure!.recommendedActions!.join(' ')).toMatch(
      /pg-restore-drill operator \(<token>\) \(or Backup Operator\) on the backup vault/,
    );
    // Refused before anything was created: no resource recorded, no restore, nothing left.
    expect(report.cleanup.resources ?? []).toEqual([]);
    expect(await restoreJobsOf(report)).toEqual([]);
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);

  it('ARM refuses the restore action (403): failed in restore, no job, nothing created left behind', async () => {
    await admin('POST', '/_emulator/permissions', { revoke: `${DP}/restore/action` });
    const { report, drillId } = await rig.run(databaseRequest());
    expectFailed(report, 'restore', 'AuthorizationFailed');
    expect(report.failure!.message).toContain(`${DP}/restore/action`);
    // Validation was allowed and ran; the restore itself was never accepted.
    expect(report.phases.find((p) => p.name === 'validate')).toMatchObject({ status: 'succeeded' });
    expect(await restoreJobsOf(report)).toEqual([]);
    expect(report.cleanup.status).not.toBe('failed');
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);

  for (const [status, code] of [
    [429, 'KeyVaultThrottled'],
    [500, 'KeyVaultHttp500'],
    [503, 'KeyVaultHttp503'],
  ] as const) {
    it(`Key Vault answers ${status} to every secret read: ${code} in verify, cleanup fails and says so, the sweeper finishes it`, async () => {
      // The restore needs no secret from the drill; verification is the first to read one.
      await admin('POST', '/_emulator/faults', {
        operation: 'KeyVault_GetSecret',
        kind: 'status',
        status,
        ...(status === 429 ? { retryAfterSeconds: 0 } : {}),
      });
      const { report, drillId } = await rig.run(databaseRequest());
      expectFailed(report, 'verify', code);
      const restored = report.restored!.database!.name;
      // The restored database exists, and the report says cleanup could not drop it, and why.
      expect(report.cleanup.status).toBe('failed');
      const drop = report.cleanup.actions.find((a) => a.action === 'drop database')!;
      expect(drop).toMatchObject({ status: 'failed' });
      expect(drop.message).toContain(code);
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([`database ${restored} on tgt-single`]);
      // Key Vault is back: the sweeper drops it from the recorded resources.
      await admin('DELETE', '/_emulator/faults');
      await sweepDrill(rig, report);
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    }, 180_000);
  }

  for (const [name, value] of [
    ['a URL', 'postgres://drilladmin:Hunter2-url-secret@127.0.0.1:5432/postgres'],
    ['no password', 'Server=127.0.0.1;Port=5432;Database=postgres;User Id=drilladmin;'],
  ] as const) {
    it(`a load secret holding ${name} fails the load with SecretValueInUnsupportedFormat, never showing the value`, async () => {
      const secret = `load-bad-${name.replace(/\W+/g, '-')}`;
      rig.emu.ctx.secrets.get('kv-test')!.set(secret, value);
      const { report, drillId } = await rig.run(filesRequest({ secretUri: `${KV}/${secret}` }));
      expectFailed(report, 'load', 'SecretValueInUnsupportedFormat');
      expect(report.failure!.recommendedActions!.join(' ')).toContain('Password=…;');
      // Nothing of the value shows: not the password, not the user, not the URL.
      const text = JSON.stringify(report) + rig.logs.join('\n');
      expect(text).not.toContain('Hunter2');
      expect(text).not.toContain('drilladmin');
      expectNoSecrets(text, secretNeedles(rig.emu));
      // The restored files were deleted by the drill's own cleanup; the scratch database could not be checked
      // with that secret, and the report says so rather than calling it gone.
      expect(report.cleanup.status).toBe('partial');
      const scratch = report.cleanup.actions.filter((a) => a.action === 'drop database');
      expect(scratch.map((a) => [a.status, a.message?.split(':')[0]])).toEqual([
        ['failed', 'SecretValueInUnsupportedFormat'],
      ]);
      expect(
        report.cleanup.actions.filter((a) => a.action === 'delete blob').every((a) => a.status === 'done'),
      ).toBe(true);
      // The secret is fixed: the sweeper finds nothing of the drill left.
      rig.emu.ctx.secrets
        .get('kv-test')!
        .set(secret, rig.emu.ctx.secrets.get('kv-test')!.get('drill-admin')!);
      await sweepDrill(rig, report);
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    }, 120_000);
  }

  for (const [damage, code] of [
    ['garbage', 'NotACustomFormatDump'],
    ['truncated', 'LoadFailed'],
    ['newerSource', 'DrillServerTooOld'],
  ] as const) {
    it(`a restore that writes ${damage} dumps fails the load with ${code}; scratch databases and files are cleaned`, async () => {
      await admin('POST', '/_emulator/faults', { kind: 'damagedFiles', damage, count: 1 });
      const { report, drillId } = await rig.run(filesRequest());
      // Listing reads each dump's header: garbage fails there, in the load phase, before any database exists.
      expectFailed(report, 'load', code);
      if (code === 'DrillServerTooOld') expect(report.failure!.message).toMatch(/PostgreSQL 15.*99/s);
      expect(report.cleanup.status).toBe('done');
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    }, 120_000);
  }

  it('no pg_restore on the host: PgRestoreNotFound names PG_BIN_DIR; nothing left', async () => {
    const { report, drillId } = await rig.runWith(
      { pgRestore: '/nonexistent/bin/pg_restore' },
      filesRequest(),
    );
    expectFailed(report, 'load', 'PgRestoreNotFound');
    expect(report.failure!.recommendedActions!.join(' ')).toContain('PG_BIN_DIR');
    expect(report.cleanup.status).toBe('done');
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);

  it('a pg_restore older than the dump: PgRestoreTooOld, before anything is loaded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'old-pg-restore-'));
    try {
      const tool = join(dir, 'pg_restore');
      await writeFile(tool, '#!/bin/sh\necho "pg_restore (PostgreSQL) 9.6.24"\n');
      await chmod(tool, 0o755);
      const { report, drillId } = await rig.runWith({ pgRestore: tool }, filesRequest());
      expectFailed(report, 'load', 'PgRestoreTooOld');
      expect(report.failure!.message).toContain('9.6.24');
      expect(report.cleanup.status).toBe('done');
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the restore container refuses the drill (wrong key): a storage authorization failure in load, and cleanup says it could not list', async () => {
    const wrongKey = azuriteConnectionString().replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 7).toString('base64')}`,
    );
    const { report, drillId } = await rig.runWith(
      {
        containers: containerAccess({
          connectionString: wrongKey,
          credential: { getToken: () => Promise.reject(new Error('shared key only')) },
        }),
      },
      filesRequest(),
    );
    expectFailed(report, 'load', 'StorageAuthorizationFailure');
    // The files the restore wrote could not be listed with that key: cleanup failed and says so.
    expect(report.cleanup.status).toBe('failed');
    expect(report.cleanup.actions).toEqual([
      expect.objectContaining({ action: 'list blobs', status: 'failed' }),
    ]);
    // With the right key, the sweeper deletes them.
    await sweepDrill(rig, report);
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);

  it('a report that cannot be stored (its blob leased by someone else): the report phase fails "not stored", the drill still ends', async () => {
    const drillId = `drill-lease-${Date.now().toString(36)}`;
    const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
    const container = blobs.getContainerClient(`${rig.storagePrefix}-reports`);
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient(`${drillId}.json`);
    await blob.upload('{}', 2);
    const lease: BlobLeaseClient = blob.getBlobLeaseClient();
    await lease.acquireLease(-1);
    try {
      const { report } = await rig.run(databaseRequest(), drillId);
      // The drill itself passed; what failed is keeping its evidence, and the report says so.
      const phase = report.phases.find((p) => p.name === 'report')!;
      expect(phase.status).toBe('failed');
      expect(phase.detail).toMatch(/not stored: StorageLeaseIdMissing/);
      expect(report.cleanup.status).toBe('done');
      expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
    } finally {
      await lease.releaseLease();
    }
  }, 120_000);

  it('verification cannot log in (the admin password was changed after the restore): PostgreSQL28P01 in verify, never the password; the sweeper drops the database with the right one', async () => {
    // Key Vault itself is fine; the value the drill reads is stale (as after a password rotation).
    const right = rig.emu.ctx.secrets.get('kv-test')!.get('tgt-admin')!;
    const stale = right.replace(/Password=[^;]+/, 'Password=stale-password-1');
    expect(stale).not.toBe(right);
    const { report, drillId } = await rig.runWith(
      { secrets: () => Promise.resolve(stale) },
      databaseRequest(),
    );
    // A refused login is the connect check failing: the phase ran, and is recorded failed.
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({ phase: 'verify', code: 'PostgreSQL28P01', isUserError: true });
    expect(report.failure!.message).toMatch(/password authentication failed/);
    expect(report.failure!.recommendedActions![0]).toMatch(
      /check the user and password in the Key Vault secret/,
    );
    expect(report.phases.find((p) => p.name === 'verify')).toMatchObject({
      status: 'failed',
      detail: '1 of 1 check(s) failed',
    });
    expect(JSON.stringify(report)).not.toContain('stale-password-1');
    // Its own cleanup could not log in either, and says so; the sweeper (right password) finishes it.
    expect(report.cleanup.status).toBe('failed');
    expect(report.cleanup.actions.map((a) => [a.action, a.status, a.message])).toEqual([
      ['drop database', 'failed', expect.stringMatching(/^PostgreSQL28P01: password authentication failed/)],
      ['drop role', 'failed', expect.stringMatching(/^PostgreSQL28P01: password authentication failed/)],
    ]);
    const restored = report.restored!.database!.name;
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([`database ${restored} on tgt-single`]);
    await sweepDrill(rig, report);
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);
});
