/**
 * The ARM governor against the emulator's ARM throttling (per-subscription token buckets, 429 with Retry-After,
 * remaining-requests headers): six drills at once under a governor kept below the emulator's refill rates meet
 * no 429 at all; the same six without a governor run into a 429 storm (and still pass, honouring Retry-After);
 * and two processes' governors sharing the budget table (two scaled-out instances, or a host and its restart)
 * keep to one budget together: no 429 either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ArmGovernor } from '../../src/lib/dataprotection/governor';
import { TableBudgetStore } from '../../src/lib/storage/armBudget';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken } from '../support/emulator';
import {
  azuriteConnectionString,
  singleDatabaseRequest,
  startDrillRig,
  type DrillRig,
} from '../support/drill';

let rig: DrillRig;
const RATES = {
  readsPerSecond: 2.5,
  readBurst: 8,
  writesPerSecond: 0.5,
  writeBurst: 2,
  lowWatermark: 3,
};
const governor = new ArmGovernor(RATES);

beforeAll(async () => {
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    governor,
    config: {
      throttling: {
        enabled: true,
        reads: { bucket: 12, refillPerSecond: 3 },
        writes: { bucket: 3, refillPerSecond: 0.6 },
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

const request = () => singleDatabaseRequest();

async function throttledSince(seq: number): Promise<number> {
  const token = await armToken(rig.emu);
  const requests = (await arm(rig.emu, token, 'GET', `/_emulator/requests?since=${seq}`)).body
    .requests as any[];
  return requests.filter((r) => r.service === 'arm' && r.status === 429).length;
}

describe('ARM governor under ARM throttling', () => {
  it('six drills at once under the governor: no 429 at all, every drill passes', async () => {
    const seq = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const reports = await Promise.all(Array.from({ length: 6 }, () => rig.run(request())));
    expect(reports.map((r) => r.report.verdict)).toEqual(Array(6).fill('passed'));
    expect(await throttledSince(seq)).toBe(0);
    expect(governor.stats.throttled).toBe(0);
    // It really held drills back: the emulator's buckets would not have carried them otherwise.
    expect(governor.stats.waited).toBeGreaterThan(0);
  }, 300_000);

  it('the same six without a governor meet 429s (and still pass, waiting out Retry-After)', async () => {
    const ungoverned = rig.armClient(false);
    const seq = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const reports: DrillReport[] = (
      await Promise.all(
        Array.from({ length: 6 }, () => rig.runWith({ dataProtection: ungoverned }, request())),
      )
    ).map((r) => r.report);
    expect(reports.map((r) => `${r.verdict} ${r.failure?.code ?? ''}`.trim())).toEqual(
      Array(6).fill('passed'),
    );
    expect(await throttledSince(seq)).toBeGreaterThan(0);
  }, 300_000);

  it('two processes sharing the budget table keep to one budget: three drills each at once, no 429', async () => {
    const tableName = `GovShared${randomBytes(4).toString('hex')}`;
    const shared = () =>
      new ArmGovernor(
        RATES,
        Date.now,
        undefined,
        TableBudgetStore.create({
          connectionString: azuriteConnectionString(),
          tableName,
          credential: { getToken: () => Promise.resolve(null) },
        }),
      );
    // Let the emulator's buckets refill after the storm of the previous test.
    await new Promise((r) => setTimeout(r, 5_000));
    const [a, b] = [shared(), shared()];
    const seq = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const reports = await Promise.all(
      [a, a, a, b, b, b].map((g) => rig.runWith({ dataProtection: rig.armClient(g) }, request())),
    );
    expect(reports.map((r) => r.report.verdict)).toEqual(Array(6).fill('passed'));
    expect(await throttledSince(seq)).toBe(0);
    expect(a.stats.storeFailures + b.stats.storeFailures).toBe(0);
    expect(a.stats.storeCalls).toBeGreaterThan(0);
    expect(b.stats.storeCalls).toBeGreaterThan(0);
  }, 300_000);
});
