/** Every fault rule of the emulator, by count and by seeded probability. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultBook } from '../../emulator/faults';
import type { EmulatorHandle } from '../../emulator/index';
import {
  arm,
  armToken,
  armUntil,
  filesRestoreBody,
  jobEnded,
  operationEnded,
  startTestEmulator,
  TEST_SUBSCRIPTION,
} from '../support/emulator';

let emu: EmulatorHandle;
let token: string;
const V = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-test/providers/Microsoft.DataProtection/backupVaults/vault-test`;
const BI = `${V}/backupInstances/bi-single`;
const q = '?api-version=2026-06-01';

beforeAll(async () => {
  // A 2 s restore job, failing half-way after 1 s.
  emu = await startTestEmulator({
    backups: 2,
    archived: 0,
    config: {
      timings: {
        validate: { durationSeconds: 0.2, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 0.2, retryAfterSeconds: 1 },
        restoreJobSeconds: 2,
        rehydrationSeconds: 1,
      },
    },
  });
  token = await armToken(emu);
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  await arm(emu, token, 'DELETE', '/_emulator/faults');
});

async function addFault(rule: Record<string, unknown>): Promise<void> {
  const res = await arm(emu, token, 'POST', '/_emulator/faults', rule);
  expect(res.status).toBe(201);
}

const filesRequest = (recoveryPointId: string, filePrefix: string, url?: string) =>
  filesRestoreBody(emu, recoveryPointId, filePrefix, url);

function newestPoint(): string {
  return emu.ctx.vaults.get('vault-test')!.instances.get('bi-single')!.points.at(-1)!.id;
}

describe('emulator faults', () => {
  it.each([
    [429, '7', 'TooManyRequests'],
    [500, undefined, 'InternalServerError'],
    [503, '3', 'ServiceUnavailable'],
  ])('status %i (Retry-After %s) for the next N matching requests only', async (status, retryAfter, code) => {
    await addFault({
      operation: 'BackupInstances_Get',
      kind: 'status',
      status,
      count: 2,
      ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}),
    });
    const a = await arm(emu, token, 'GET', `${BI}${q}`);
    const other = await arm(emu, token, 'GET', `${V}${q}`); // another operation is not affected
    const b = await arm(emu, token, 'GET', `${BI}${q}`);
    const c = await arm(emu, token, 'GET', `${BI}${q}`);
    expect([a.status, other.status, b.status, c.status]).toEqual([status, 200, status, 200]);
    expect(a.body).toMatchObject({ error: { code } });
    expect(a.headers.get('retry-after')).toBe(retryAfter ?? null);
  });

  it('connection reset', async () => {
    await addFault({ operation: 'Jobs_List', kind: 'reset', count: 1 });
    await expect(arm(emu, token, 'GET', `${V}/backupJobs${q}`)).rejects.toThrow();
    expect((await arm(emu, token, 'GET', `${V}/backupJobs${q}`)).status).toBe(200);
  });

  it('delayed response', async () => {
    await addFault({ operation: 'BackupVaults_Get', kind: 'delay', delayMs: 700, count: 1 });
    const t0 = Date.now();
    expect((await arm(emu, token, 'GET', `${V}${q}`)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
  });

  it('malformed body', async () => {
    await addFault({ operation: 'RecoveryPoints_List', kind: 'malformed', count: 1 });
    const res = await arm(emu, token, 'GET', `${BI}/recoveryPoints${q}`);
    expect(res.status).toBe(200);
    expect(typeof res.body).toBe('string');
    expect(() => JSON.parse(res.body)).toThrow();
  });

  it('domain failure: the next validation fails with the given code', async () => {
    await addFault({
      operation: 'BackupInstances_ValidateForRestore',
      kind: 'domain',
      code: 'UserErrorMSIMissingPermissions',
      count: 1,
    });
    const post = async () =>
      (
        await arm(emu, token, 'POST', `${BI}/validateRestore${q}`, {
          restoreRequestObject: filesRequest(newestPoint(), 'dom'),
        })
      ).headers.get('azure-asyncoperation')!;
    const first = await post();
    const second = await post();
    expect((await armUntil(emu, token, first, operationEnded)).body).toMatchObject({
      status: 'Failed',
      error: {
        code: 'UserErrorMSIMissingPermissions',
        additionalInfo: [
          { type: 'UserFacingError', info: { recommendedAction: [expect.stringContaining('Reader')] } },
        ],
      },
    });
    expect((await armUntil(emu, token, second, operationEnded)).body.status).toBe('Succeeded');
  });

  it('a job that fails half-way, with errorDetails', async () => {
    await addFault({ kind: 'jobFailHalfway', code: 'UserErrorServerConnectionClosed', count: 1 });
    const res = await arm(emu, token, 'POST', `${BI}/restore${q}`, filesRequest(newestPoint(), 'half'));
    const op = (await armUntil(emu, token, res.headers.get('azure-asyncoperation')!, operationEnded)).body;
    expect(op.status).toBe('Succeeded'); // the trigger succeeded; the job fails later
    const jobId = op.properties.jobId.split('/').pop();
    const job = (await armUntil(emu, token, `${V}/backupJobs/${jobId}${q}`, jobEnded)).body;
    // Half-way: it ran half the configured 2 s job before it failed.
    const ranMs = Date.parse(job.properties.endTime) - Date.parse(job.properties.startTime);
    expect(ranMs).toBeGreaterThanOrEqual(1000);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.errorDetails[0]).toMatchObject({
      code: 'UserErrorServerConnectionClosed',
      isRetryable: true,
      recommendedAction: [expect.any(String)],
    });
    expect(
      job.properties.extendedInfo.subTasks.find((t: any) => t.taskName === 'Trigger Restore').taskStatus,
    ).toBe('Failed');
    const exists = await emu.ctx.blobs.service
      .getContainerClient(emu.ctx.config.storage.containers[0]!)
      .getBlockBlobClient('half_shop.dump')
      .exists();
    expect(exists).toBe(false);
  });

  it('a seeded probability gives the same sequence on every run', async () => {
    const pattern = () => {
      const book = new FaultBook([{ kind: 'status', status: 503, probability: 0.3, seed: 42 }]);
      return Array.from({ length: 40 }, () => (book.take('Jobs_Get', ['status']) ? 1 : 0)).join('');
    };
    const a = pattern();
    expect(pattern()).toBe(a);
    const fired = [...a].filter((c) => c === '1').length;
    expect(fired).toBeGreaterThan(4);
    expect(fired).toBeLessThan(24);
    // And over HTTP: the rule fires on the same requests as the book says.
    await addFault({ operation: 'Jobs_List', kind: 'status', status: 503, probability: 0.3, seed: 42 });
    const statuses: string[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await arm(emu, token, 'GET', `${V}/backupJobs${q}`)).status === 503 ? '1' : '0');
    expect(statuses.join('')).toBe(a);
  });

  it('fault rules come from the configuration too, and bad rules are refused with the field named', async () => {
    const bad = await arm(emu, token, 'POST', '/_emulator/faults', { kind: 'status' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/needs "status"/);
    const unknown = await arm(emu, token, 'POST', '/_emulator/faults', { kind: 'explode' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/\/kind/);
    const withConfig = new FaultBook([{ operation: 'Jobs_Get', kind: 'reset', count: 1 }]);
    expect(withConfig.take('Jobs_Get', ['reset'])).toBeTruthy();
    expect(withConfig.take('Jobs_Get', ['reset'])).toBeUndefined();
    const listed = (await arm(emu, token, 'GET', '/_emulator/faults')).body.faults;
    expect(listed).toEqual([]);
  });
});
