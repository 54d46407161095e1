/**
 * The emulator's data plane is real: restores create real databases with exactly the rows their source had at
 * backup time, restore-as-files writes real custom-format dumps, archive points need rehydration, every
 * documented validation failure comes with its code, and concurrent restores do not interfere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { findPgTools } from '../../emulator/postgres';
import {
  arm,
  armToken,
  filesRestoreBody,
  armUntil,
  jobEnded,
  operationEnded,
  startTestEmulator,
  TEST_SUBSCRIPTION,
} from '../support/emulator';

let emu: EmulatorHandle;
let token: string;
const V = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-test`;
const BI = `${V}/backupInstances/bi-single`;
const FLEX_BI = `${V}/backupInstances/bi-flex`;
const TGT = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DBforPostgreSQL/servers/tgt-single`;
const SRC = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DBforPostgreSQL/servers/src-single`;
const q = '?api-version=2026-06-01';
const KV = 'https://kv-test.vault.azure.net/secrets';

beforeAll(async () => {
  emu = await startTestEmulator({ backups: 4, archived: 1 });
  token = await armToken(emu);
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

function server(name: string) {
  return emu.ctx.servers.get(name)!.admin;
}

async function query<T extends pg.QueryResultRow>(
  serverName: string,
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ ...server(serverName), database });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Points of the single-server instance, oldest first. */
function points() {
  return [...emu.ctx.vaults.get('vault-test')!.instances.get('bi-single')!.points];
}

function dbRequest(
  recoveryPointId: string,
  database: string,
  secret = 'tgt-admin',
  extra: Record<string, unknown> = {},
) {
  return {
    objectType: 'AzureBackupRecoveryPointBasedRestoreRequest',
    recoveryPointId,
    sourceDataStoreType: 'VaultStore',
    restoreTargetInfo: {
      objectType: 'RestoreTargetInfo',
      recoveryOption: 'FailIfExists',
      restoreLocation: 'westus',
      datasourceInfo: {
        objectType: 'Datasource',
        resourceID: `${TGT}/databases/${database}`,
        resourceName: database,
        resourceType: 'Microsoft.DBforPostgreSQL/servers/databases',
        datasourceType: 'Microsoft.DBforPostgreSQL/servers/databases',
      },
      datasourceSetInfo: {
        objectType: 'DatasourceSet',
        resourceID: TGT,
        resourceName: 'tgt-single',
        resourceType: 'Microsoft.DBforPostgreSQL/servers',
        datasourceType: 'Microsoft.DBforPostgreSQL/servers/databases',
      },
      datasourceAuthCredentials: {
        objectType: 'SecretStoreBasedAuthCredentials',
        secretStoreResource: { secretStoreType: 'AzureKeyVault', uri: `${KV}/${secret}` },
      },
    },
    ...extra,
  };
}

const filesRequest = (recoveryPointId: string, filePrefix: string, url?: string) =>
  filesRestoreBody(emu, recoveryPointId, filePrefix, url);

/** Polls an operation to its end; returns the final OperationResource. */
async function finish(pollUrl: string): Promise<any> {
  return (await armUntil(emu, token, pollUrl, operationEnded)).body;
}

async function validate(body: unknown, bi = BI): Promise<any> {
  const res = await arm(emu, token, 'POST', `${bi}/validateRestore${q}`, { restoreRequestObject: body });
  expect(res.status).toBe(202);
  return finish(res.headers.get('azure-asyncoperation')!);
}

/** Triggers a restore and waits for its job; returns the final job resource. */
async function restore(body: unknown, bi = BI): Promise<any> {
  const res = await arm(emu, token, 'POST', `${bi}/restore${q}`, body);
  expect(res.status).toBe(202);
  const op = await finish(res.headers.get('azure-asyncoperation')!);
  if (op.status !== 'Succeeded') return { operation: op };
  const jobId = op.properties.jobId.split('/').pop();
  return (await armUntil(emu, token, `${V}/backupJobs/${jobId}${q}`, jobEnded, 120_000)).body;
}

const ORDERS =
  "SELECT count(*)::int AS n, coalesce(md5(string_agg(id || ':' || customer_id || ':' || amount || ':' || updated_at, ',' ORDER BY id)), '') AS h FROM orders";

describe('emulator data plane', () => {
  it('restore as database: the new database has exactly the rows the source had at backup time', async () => {
    const all = points();
    const point = all[2]!; // an older vault point: the source has changed since
    expect(point.stores.map((s) => s.type)).toEqual(['VaultStore']);
    const expected = (
      await query<{ n: number; h: string }>(
        'src-single',
        'shop',
        ORDERS.replace('FROM orders', 'FROM orders WHERE updated_at <= $1'),
        [point.time.toISOString()],
      )
    )[0]!;
    const now = (
      await query<{ n: number }>('src-single', 'shop', 'SELECT count(*)::int AS n FROM orders')
    )[0]!;
    expect(now.n).toBeGreaterThan(expected.n);
    expect((await validate(dbRequest(point.id, 'restored_a'))).status).toBe('Succeeded');
    const job = await restore(dbRequest(point.id, 'restored_a'));
    expect(job.properties).toMatchObject({
      status: 'Completed',
      operation: 'Restore',
      restoreType: null,
      extendedInfo: {
        sourceRecoverPoint: { recoveryPointID: point.id },
        recoveryDestination: `${TGT}/databases/restored_a`,
      },
    });
    // ISO 8601, as real jobs write it (PT2M5.6503519S), not the examples' TimeSpan.
    expect(job.properties.duration).toMatch(/^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$/);
    const got = (await query<{ n: number; h: string }>('tgt-single', 'restored_a', ORDERS))[0]!;
    expect(got).toEqual(expected);
    const customers = (
      await query<{ n: number }>('tgt-single', 'restored_a', 'SELECT count(*)::int AS n FROM customers')
    )[0]!;
    expect(customers.n).toBe(50);
  });

  it('restore as files writes one valid custom-format dump per database of a Flexible Server', async () => {
    const flex = emu.ctx.vaults.get('vault-test')!.instances.get('bi-flex')!;
    const point = flex.points.at(-1)!;
    const job = await restore(filesRequest(point.id, 'drill-flex-1'), FLEX_BI);
    expect(job.properties.status).toBe('Completed');
    const container = emu.ctx.config.storage.containers[0]!;
    const names: string[] = [];
    for await (const b of emu.ctx.blobs.service
      .getContainerClient(container)
      .listBlobsFlat({ prefix: 'drill-flex-1_' }))
      names.push(b.name);
    expect(names.sort()).toEqual(['drill-flex-1_billing.dump', 'drill-flex-1_inventory.dump']);
    const tools = findPgTools(undefined, false);
    const dir = mkdtempSync(join(tmpdir(), 'emu-files-'));
    try {
      for (const name of names) {
        const file = join(dir, name);
        await emu.ctx.blobs.service
          .getContainerClient(container)
          .getBlockBlobClient(name)
          .downloadToFile(file);
        const list = execFileSync(tools.pgRestore, ['--list', file], { encoding: 'utf8' });
        expect(list).toContain('Format: CUSTOM');
        expect(list).toMatch(/TABLE public items/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an archive-only point refuses a plain request and restores with rehydration, showing its status', async () => {
    const archived = points()[0]!;
    expect(archived.stores.map((s) => s.type)).toEqual(['ArchiveStore']);
    const plain = await validate(dbRequest(archived.id, 'restored_arch'));
    expect(plain).toMatchObject({
      status: 'Failed',
      error: { code: 'UserErrorRecoveryPointNeedsRehydration' },
    });
    const rehydrate = dbRequest(archived.id, 'restored_arch', 'tgt-admin', {
      objectType: 'AzureBackupRestoreWithRehydrationRequest',
      sourceDataStoreType: 'ArchiveStore',
      rehydrationPriority: 'Standard',
      rehydrationRetentionDuration: 'P15D',
    });
    const tooShort = await validate({ ...rehydrate, rehydrationRetentionDuration: '7D' });
    expect(tooShort).toMatchObject({
      status: 'Failed',
      error: { code: 'UserErrorInvalidRehydrationRetentionDuration' },
    });
    const res = await arm(emu, token, 'POST', `${BI}/restore${q}`, rehydrate);
    const op = await finish(res.headers.get('azure-asyncoperation')!);
    const jobId = op.properties.jobId.split('/').pop();
    const rpDuring = await arm(emu, token, 'GET', `${BI}/recoveryPoints/${archived.id}${q}`);
    expect(rpDuring.body.properties.recoveryPointDataStoresDetails[0].rehydrationStatus).toBe(
      'CREATE_IN_PROGRESS',
    );
    const job = (await armUntil(emu, token, `${V}/backupJobs/${jobId}${q}`, jobEnded)).body;
    expect(job.properties).toMatchObject({
      status: 'Completed',
      rehydrationPriority: 'Standard',
      sourceDataStoreType: 'ArchiveStore',
    });
    expect(job.properties.extendedInfo.subTasks.map((t: any) => [t.taskName, t.taskStatus])).toContainEqual([
      'Rehydrate recovery point',
      'Completed',
    ]);
    const rpAfter = (await arm(emu, token, 'GET', `${BI}/recoveryPoints/${archived.id}${q}`)).body.properties
      .recoveryPointDataStoresDetails[0];
    expect(rpAfter.rehydrationStatus).toBe('COMPLETED');
    expect(Date.parse(rpAfter.rehydrationExpiryTime)).toBeGreaterThan(Date.now() + 14 * 24 * 3600 * 1000);
    const n = (
      await query<{ n: number }>('tgt-single', 'restored_arch', 'SELECT count(*)::int AS n FROM orders')
    )[0]!;
    expect(n.n).toBe(10);
  });

  it.each([
    ['an unknown recovery point', () => dbRequest('0000', 'x1'), 'UserErrorRecoveryPointNotFound'],
    [
      'a missing secret',
      () => dbRequest(points().at(-1)!.id, 'x2', 'no-such-secret'),
      'UserErrorInvalidSecret',
    ],
    [
      'an unknown Key Vault',
      () => {
        const b = dbRequest(points().at(-1)!.id, 'x3');
        b.restoreTargetInfo.datasourceAuthCredentials.secretStoreResource.uri =
          'https://other-kv.vault.azure.net/secrets/x';
        return b;
      },
      'UserErrorInvalidSecretStore',
    ],
    [
      'a secret that is not a connection string',
      () => dbRequest(points().at(-1)!.id, 'x4', 'not-a-connection-string'),
      'UserErrorSecretValueInUnsupportedFormat',
    ],
    [
      'credentials that do not log in',
      () => dbRequest(points().at(-1)!.id, 'x5', 'tgt-wrong-password'),
      'UserErrorDBUserAuthFailed',
    ],
    [
      'a database name in use',
      () => dbRequest(points().at(-1)!.id, 'postgres'),
      'UserErrorDatabaseNameAlreadyInUse',
    ],
    [
      'an unknown target server',
      () => {
        const b = dbRequest(points().at(-1)!.id, 'x6');
        b.restoreTargetInfo.datasourceInfo.resourceID = b.restoreTargetInfo.datasourceInfo.resourceID.replace(
          'tgt-single',
          'ghost',
        );
        return b;
      },
      'UserErrorDBNotFound',
    ],
    // Azure has no Original-Location Recovery for PostgreSQL: restoring onto the source database is FailIfExists.
    [
      'the source database itself (Original-Location Recovery)',
      () => {
        const b = dbRequest(points().at(-1)!.id, 'shop', 'src-admin');
        b.restoreTargetInfo.datasourceInfo.resourceID = `${SRC}/databases/shop`;
        return b;
      },
      'UserErrorDatabaseNameAlreadyInUse',
    ],
    [
      'a missing container',
      () => filesRequest(points().at(-1)!.id, 'p', `${emu.blobEndpoint}/no-such-container`),
      'UserErrorContainerNotAccessible',
    ],
    [
      'a container of another account',
      () => filesRequest(points().at(-1)!.id, 'p', 'https://elsewhere.blob.core.windows.net/c'),
      'UserErrorContainerNotAccessible',
    ],
  ])('validation fails with the documented code for %s', async (_what, body, code) => {
    const op = await validate(body());
    expect(op.status).toBe('Failed');
    expect(op.error.code).toBe(code);
    const info = op.error.additionalInfo[0];
    expect(info.type).toBe('UserFacingError');
    expect(info.info).toMatchObject({
      code,
      message: expect.any(String),
      recommendedAction: [expect.any(String)],
    });
  });

  it('restore as database of a Flexible Server is refused (files only)', async () => {
    const flex = emu.ctx.vaults.get('vault-test')!.instances.get('bi-flex')!;
    const op = await validate(dbRequest(flex.points.at(-1)!.id, 'x7'), FLEX_BI);
    expect(op.error.code).toBe('UserErrorRestoreAsDatabaseNotSupported');
  });

  it('restoring onto a server of a lower version fails exactly like the Learn article example', async () => {
    const low = await startTestEmulator({ backups: 1, archived: 0, targetReportedMajor: 9 });
    try {
      const t = await armToken(low);
      const rp = [...low.ctx.vaults.get('vault-test')!.instances.get('bi-single')!.points][0]!;
      const v = await arm(low, t, 'POST', `${BI}/validateRestore${q}`, {
        restoreRequestObject: dbRequest(rp.id, 'lowdb'),
      });
      const op = (await armUntil(low, t, v.headers.get('azure-asyncoperation')!, operationEnded)).body;
      const major = low.ctx.servers.get('src-single')!.realMajor;
      expect(op.status).toBe('Failed');
      expect(op.endTime).not.toBe('0001-01-01T00:00:00Z');
      expect(op.error).toEqual({
        additionalInfo: [
          {
            type: 'UserFacingError',
            info: {
              message:
                'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
              recommendedAction: [
                'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
              ],
              code: 'UserErrorRestoreToLowerVersion',
              target: '',
              innerError: {
                code: 'InnerErrorCodeUnavailable',
                additionalInfo: {
                  DetailedNonLocalisedMessage: `Restoring backup from version:${major} of PostgreSQL to 9 of PostgreSQL not supported, as the restore server version is lower.`,
                },
              },
              isRetryable: false,
              isUserError: false,
              properties: { ActivityId: expect.any(String) },
            },
          },
        ],
        code: 'UserErrorRestoreToLowerVersion',
        message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
      });
    } finally {
      await low.stop();
    }
  }, 120_000);

  it('20 concurrent restores do not interfere', async () => {
    const vaultPoints = points().filter((p) => p.stores.some((s) => s.type === 'VaultStore'));
    const expected = new Map<string, number>();
    for (const p of vaultPoints) {
      expected.set(
        p.id,
        (
          await query<{ n: number }>(
            'src-single',
            'shop',
            'SELECT count(*)::int AS n FROM orders WHERE updated_at <= $1',
            [p.time.toISOString()],
          )
        )[0]!.n,
      );
    }
    const runs = Array.from({ length: 20 }, (_, i) => {
      const p = vaultPoints[i % vaultPoints.length]!;
      return {
        i,
        point: p,
        body: i % 4 === 3 ? filesRequest(p.id, `conc-${i}`) : dbRequest(p.id, `conc_${i}`),
      };
    });
    const jobs = await Promise.all(runs.map((r) => restore(r.body)));
    expect(jobs.map((j) => j.properties.status)).toEqual(runs.map(() => 'Completed'));
    expect(new Set(jobs.map((j) => j.name)).size).toBe(20);
    for (const r of runs) {
      if (r.i % 4 === 3) {
        const exists = await emu.ctx.blobs.service
          .getContainerClient(emu.ctx.config.storage.containers[0]!)
          .getBlockBlobClient(`conc-${r.i}_shop.dump`)
          .exists();
        expect(exists).toBe(true);
      } else {
        const n = (
          await query<{ n: number }>('tgt-single', `conc_${r.i}`, 'SELECT count(*)::int AS n FROM orders')
        )[0]!;
        expect(n.n, `conc_${r.i} from ${r.point.id}`).toBe(expected.get(r.point.id));
      }
    }
  }, 120_000);

  it('POST /_emulator/backup takes a backup now and it appears as the newest point', async () => {
    await query(
      'src-single',
      'shop',
      'INSERT INTO orders (customer_id, amount, updated_at) VALUES (1, 1, now())',
    );
    const res = await arm(emu, token, 'POST', '/_emulator/backup', { backupInstanceId: BI });
    expect(res.status).toBe(201);
    expect(res.body.properties.recoveryPointDataStoresDetails[0].type).toBe('VaultStore');
    const list = await arm(emu, token, 'GET', `${BI}/recoveryPoints${q}`);
    expect(list.body.value[0].name).toBe(res.body.name);
    const unknown = await arm(emu, token, 'POST', '/_emulator/backup', {
      backupInstanceId: `${V}/backupInstances/nope`,
    });
    expect(unknown.status).toBe(404);
  });

  it('POST /_emulator/backup with sql changes the source first: the new point has the change, the old ones not', async () => {
    const res = await arm(emu, token, 'POST', '/_emulator/backup', {
      backupInstanceId: BI,
      sql: 'ALTER TABLE orders ADD COLUMN drift_note text',
    });
    expect(res.status).toBe(201);
    const columns = await query<{ column_name: string }>(
      'src-single',
      'shop',
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'drift_note'",
    );
    expect(columns).toHaveLength(1);
    // The dump of the new point has the column; the point before it does not.
    const points = emu.ctx.vaults.get('vault-test')!.instances.get('bi-single')!.points;
    const [before, after] = points.slice(-2);
    expect(after!.id).toBe(res.body.name);
    const dir = mkdtempSync(join(tmpdir(), 'drift-'));
    try {
      const schemaOf = async (blob: string): Promise<string> => {
        const file = join(dir, blob.replaceAll('/', '_'));
        await emu.ctx.blobs.service
          .getContainerClient(emu.ctx.config.storage.vaultContainer)
          .getBlockBlobClient(blob)
          .downloadToFile(file);
        return execFileSync(findPgTools(undefined, false).pgRestore, ['--schema-only', '-f', '-', file], {
          encoding: 'utf8',
        });
      };
      expect(await schemaOf(after!.blobs[0]!.blob)).toContain('drift_note');
      expect(await schemaOf(before!.blobs[0]!.blob)).not.toContain('drift_note');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await query('src-single', 'shop', 'ALTER TABLE orders DROP COLUMN drift_note');
    }
    const bad = await arm(emu, token, 'POST', '/_emulator/backup', { backupInstanceId: BI, sql: 'SELEC 1' });
    expect(bad.status).toBe(400);
    const unknownDb = await arm(emu, token, 'POST', '/_emulator/backup', {
      backupInstanceId: BI,
      sql: 'SELECT 1',
      database: 'nope',
    });
    expect(unknownDb.status).toBe(400);
    expect(unknownDb.body.error.message).toMatch(/\/database: one of shop/);
  });

  it('admin routes: resources, requests and jobs need the ARM token', async () => {
    expect((await arm(emu, undefined, 'GET', '/_emulator/resources')).status).toBe(401);
    const res = (await arm(emu, token, 'GET', '/_emulator/resources')).body;
    expect(res.vaults[0].backupInstances.map((b: any) => b.name).sort()).toEqual(['bi-flex', 'bi-single']);
    expect(res.servers.map((s: any) => s.name).sort()).toEqual(['src-flex', 'src-single', 'tgt-single']);
    expect(res.keyVaults[0]).toMatchObject({ name: 'kv-test', url: 'https://kv-test.vault.azure.net' });
    expect(JSON.stringify(res)).not.toContain('tgt-pw'); // no secrets in observability
    const reqs = (await arm(emu, token, 'GET', '/_emulator/requests')).body.requests;
    expect(reqs.length).toBeGreaterThan(10);
    expect(reqs[0]).toMatchObject({
      method: expect.any(String),
      path: expect.any(String),
      status: expect.any(Number),
      tokenPresent: expect.any(Boolean),
    });
    const jobs = (await arm(emu, token, 'GET', '/_emulator/jobs')).body.jobs;
    expect(jobs.some((j: any) => j.properties.operation === 'Restore')).toBe(true);
  });
});
