/**
 * The ARM budget shared through a table (Azurite): two governors (two processes, two scaled-out instances)
 * share one bucket and together never exceed it; a governor started after another spent the bucket (a restarted
 * host) waits instead of starting full; a 429 one process got pauses the other; racing leases never grant the
 * same token twice; and a store that cannot be reached leaves each process its own bucket instead of failing
 * requests. Time is a fake clock shared by the governors; the store is real.
 */
import { TableClient } from '@azure/data-tables';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ArmGovernor, type BudgetRates } from '../../src/lib/dataprotection/governor';
import { TableBudgetStore } from '../../src/lib/storage/armBudget';
import { azuriteConnectionString } from '../support/drill';

const tableName = `Budget${randomBytes(4).toString('hex')}`;
const store = () =>
  TableBudgetStore.create({
    connectionString: azuriteConnectionString(),
    tableName,
    credential: { getToken: () => Promise.resolve(null) },
  })!;

afterAll(async () => {
  await TableClient.fromConnectionString(azuriteConnectionString(), tableName, {
    allowInsecureConnection: true,
  })
    .deleteTable()
    .catch(() => undefined);
});

const RATES: BudgetRates = {
  readsPerSecond: 4,
  readBurst: 8,
  writesPerSecond: 1,
  writeBurst: 2,
  lowWatermark: 5,
};

/** A fake clock several governors share: sleeping advances it. */
function clock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

const sub = () => `sub-${randomBytes(4).toString('hex')}`;

describe('ARM budget shared through the table', () => {
  it('two processes share one bucket: together they get the burst, then the refill rate, never more', async () => {
    const c = clock();
    const a = new ArmGovernor(RATES, c.now, c.sleep, store());
    const b = new ArmGovernor(RATES, c.now, c.sleep, store());
    const s = sub();
    const t0 = c.now();
    // 40 reads, alternating processes, taken one after another on the shared clock.
    for (let i = 0; i < 40; i++) await (i % 2 ? a : b).acquire(s, 'reads');
    const elapsed = (c.now() - t0) / 1000;
    // 40 tokens from a bucket of 8 refilling at 4/s need at least (40 - 8) / 4 = 8 s; a per-process budget
    // (two buckets) would have needed only (40 - 16) / 8 = 3 s.
    expect(elapsed).toBeGreaterThanOrEqual(8 - 0.5);
    // Leasing in small batches costs at most a few seconds' worth over the exact rate.
    expect(elapsed).toBeLessThanOrEqual(12);
    expect(a.stats.storeFailures + b.stats.storeFailures).toBe(0);
    // Fewer store round trips than requests: each lease carries up to half a second's worth.
    expect(a.stats.storeCalls + b.stats.storeCalls).toBeLessThan(40);
  });

  it('a restarted process does not start with a full bucket: what the last one spent stays spent', async () => {
    const c = clock();
    const s = sub();
    const before = new ArmGovernor(RATES, c.now, c.sleep, store());
    for (let i = 0; i < 8; i++) await before.acquire(s, 'reads');
    expect(before.stats.waited).toBe(0);
    const after = new ArmGovernor(RATES, c.now, c.sleep, store());
    await after.acquire(s, 'reads');
    expect(after.stats.waited).toBe(1);
    expect(await store().read({ subscription: s, kind: 'reads' })).toMatchObject({ at: c.now() });
  });

  it("a 429 one process got pauses the other's requests for its Retry-After", async () => {
    const c = clock();
    const s = sub();
    const a = new ArmGovernor(RATES, c.now, c.sleep, store());
    const b = new ArmGovernor(RATES, c.now, c.sleep, store());
    await a.observe(s, 'writes', {
      status: 429,
      headers: createHttpHeaders({ 'retry-after': '9' }),
      request: createPipelineRequest({ url: `https://arm/subscriptions/${s}/x` }),
    });
    const t0 = c.now();
    await b.acquire(s, 'writes');
    expect(c.now() - t0).toBeGreaterThanOrEqual(9000);
    expect(b.stats.waited).toBe(1);
  });

  it('leases racing for the same row never grant more than the bucket holds', async () => {
    const c = clock();
    const s = sub();
    const stores = Array.from({ length: 6 }, () => store());
    const rate = { perSecond: 0.001, burst: 10 };
    // Six processes ask for 3 tokens each at the same instant: the bucket holds 10, so at most 10 are granted.
    const grants = await Promise.all(
      stores.map((st) => st.take({ subscription: s, kind: 'reads' }, rate, 3, c.now())),
    );
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBe(10);
  });

  it('a store that cannot be reached: the process keeps to its own bucket, requests are not refused', async () => {
    const c = clock();
    const errors: unknown[] = [];
    const down = TableBudgetStore.create({
      connectionString:
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
      tableName,
      credential: { getToken: () => Promise.resolve(null) },
    })!;
    const g = new ArmGovernor(RATES, c.now, c.sleep, down, (err) => errors.push(err));
    const t0 = c.now();
    for (let i = 0; i < 12; i++) await g.acquire('s-down', 'reads');
    expect(g.stats.storeFailures).toBe(1);
    expect(errors).toHaveLength(1);
    // Its own bucket still holds it to the rate: 12 from a burst of 8 at 4/s take 1 s.
    expect(c.now() - t0).toBeGreaterThanOrEqual(1000);
  });
});
