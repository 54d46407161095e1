/**
 * The ARM governor on a fake clock: tokens per subscription and kind, waits as long as the rate says, a 429 pauses
 * the whole subscription's bucket for its Retry-After, a low remaining-requests header empties the bucket.
 */
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { ArmGovernor, remainingOf } from '../../src/lib/dataprotection/governor';

function fake() {
  let t = 1_000_000;
  const slept: number[] = [];
  const g = new ArmGovernor(
    { readsPerSecond: 2, readBurst: 3, writesPerSecond: 1, writeBurst: 1, lowWatermark: 5 },
    () => t,
    (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
  );
  return { g, slept, advance: (ms: number) => (t += ms) };
}

const response = (status: number, headers: Record<string, string>): PipelineResponse => ({
  status,
  headers: createHttpHeaders(headers),
  request: createPipelineRequest({ url: 'https://arm/subscriptions/s1/x' }),
});

describe('ARM governor', () => {
  it('a burst goes at once, then one request per 1/rate; each subscription and kind has its own bucket', async () => {
    const { g, slept } = fake();
    for (let i = 0; i < 3; i++) await g.acquire('s1', 'reads');
    expect(slept).toEqual([]);
    await g.acquire('s1', 'reads');
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([500, 500]);
    await g.acquire('S2', 'reads');
    await g.acquire('s1', 'writes');
    expect(slept).toEqual([500, 500]);
    expect(g.stats).toMatchObject({ waited: 2, waitedMs: 1000 });
  });

  it('a 429 pauses every request of that subscription for its Retry-After, not just the one that got it', async () => {
    const { g, slept } = fake();
    await g.observe('s1', 'reads', response(429, { 'retry-after': '7' }));
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([7000]);
    await g.acquire('s2', 'reads');
    expect(slept).toEqual([7000]);
    expect(g.stats.throttled).toBe(1);
  });

  it('remaining requests at or below the low mark empty the bucket; above it nothing changes', async () => {
    const { g, slept } = fake();
    await g.observe('s1', 'reads', response(200, { 'x-ms-ratelimit-remaining-subscription-reads': '6' }));
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([]);
    await g.observe('s1', 'reads', response(200, { 'x-ms-ratelimit-remaining-subscription-reads': '5' }));
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([500]);
  });

  it("Data Protection's own budget (resource-requests, low hundreds in real traffic) counts too: the lowest header wins", async () => {
    const { g, slept } = fake();
    // Recorded job GET: reads plenty, the provider's resource-requests in the low hundreds: no slow-down.
    await g.observe(
      's1',
      'reads',
      response(200, {
        'x-ms-ratelimit-remaining-subscription-reads': '11999',
        'x-ms-ratelimit-remaining-subscription-resource-requests': '157',
      }),
    );
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([]);
    // That budget nearly spent: the bucket empties although -reads still says thousands.
    await g.observe(
      's1',
      'reads',
      response(200, {
        'x-ms-ratelimit-remaining-subscription-reads': '11998',
        'x-ms-ratelimit-remaining-subscription-resource-requests': '4',
      }),
    );
    await g.acquire('s1', 'reads');
    expect(slept).toEqual([500]);
    expect(remainingOf(response(200, { 'x-ms-ratelimit-remaining-subscription-writes': '1199' }))).toBe(1199);
    expect(remainingOf(response(200, {}))).toBe(Number.POSITIVE_INFINITY);
  });

  it('a wait ends when the request is aborted', async () => {
    const g = new ArmGovernor({
      readsPerSecond: 0.01,
      readBurst: 1,
      writesPerSecond: 1,
      writeBurst: 1,
      lowWatermark: 0,
    });
    await g.acquire('s1', 'reads');
    const ac = new AbortController();
    const waiting = g.acquire('s1', 'reads', ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/aborted while waiting for the ARM budget/);
  });
});
