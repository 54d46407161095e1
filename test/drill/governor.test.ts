/**
 * The ARM governor against the emulator's ARM throttling (per-subscription token buckets, 429 with Retry-After,
 * remaining-requests headers): six drills at once under a governor kept below the emulator's refill rates meet
 * no 429 at all; the same six without a governor run into a 429 storm (and still pass, honouring Retry-After).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmGovernor } from '../../src/lib/dataprotection/governor';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken } from '../support/emulator';
import { singleDatabaseRequest, startDrillRig, type DrillRig } from '../support/drill';

let rig: DrillRig;
const governor = new ArmGovernor({
  readsPerSecond: 2.5,
  readBurst: 8,
  writesPerSecond: 0.5,
  writeBurst: 2,
  lowWatermark: 3,
});

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
});
