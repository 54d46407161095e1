/**
 * A whole drill with DATAPROTECTION_API_VERSION=2021-07-01 against the emulator, which checks every request body
 * against the contract of the api-version it names: the bodies carry only 2021-07-01's fields (no
 * sourceResourceId), so validation and restore are accepted and the drill passes (issue 14, item 5.1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SETTINGS, singleDatabaseRequest, startDrillRig, type DrillRig } from '../support/drill';

let rig: DrillRig;

beforeAll(async () => {
  rig = await startDrillRig({ backups: 2, archived: 0 });
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

describe('api-version 2021-07-01', () => {
  it('a Single Server database drill sends 2021-07-01 bodies and passes', async () => {
    const seqBefore = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const { report } = await rig.runWith(
      { dataProtection: rig.armClient(false, '2021-07-01') },
      singleDatabaseRequest(),
      undefined,
      { ...FAST_SETTINGS, apiVersion: '2021-07-01' },
    );
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    const posts = rig.emu.ctx.requests.filter(
      (r) =>
        r.seq > seqBefore &&
        (r.operation === 'BackupInstances_ValidateForRestore' ||
          r.operation === 'BackupInstances_TriggerRestore'),
    );
    expect(posts.map((r) => [r.operation, r.query, r.status])).toEqual([
      ['BackupInstances_ValidateForRestore', expect.stringContaining('api-version=2021-07-01'), 202],
      ['BackupInstances_TriggerRestore', expect.stringContaining('api-version=2021-07-01'), 202],
    ]);
  });
});
