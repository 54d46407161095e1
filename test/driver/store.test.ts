/**
 * The standalone host's instance store against Azurite: the history is append-only (each event written once,
 * whatever the number of saves), a save is atomic (rows of a save whose meta row never landed are ignored and
 * later replaced), continueAsNew starts a new generation and drops the old one's rows, and a fresh store (a
 * restarted host) reads back exactly what was saved.
 */
import { TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { TableInstanceStore, type InstanceSnapshot } from '../../src/host/store';
import { azuriteConnectionString } from '../support/drill';

const tableName = `Store${randomBytes(4).toString('hex')}`;
const table = () =>
  TableClient.fromConnectionString(azuriteConnectionString(), tableName, { allowInsecureConnection: true });
const fresh = () => TableInstanceStore.fromConnectionString(azuriteConnectionString(), tableName);

afterAll(async () => {
  await table()
    .deleteTable()
    .catch(() => undefined);
});

const event = (i: number, payload = '') => ({
  EventType: 4,
  EventId: i,
  Timestamp: new Date(i * 1000).toISOString(),
  Input: payload,
});

function snapshot(id: string, history: unknown[], extra: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    id,
    name: 'restoreDrill',
    status: 'Running',
    createdAt: 1,
    updatedAt: 2,
    generation: 0,
    input: { drillId: id },
    customStatus: { phase: 'restore' },
    inbox: [],
    decisionsSeen: history.length,
    nextTaskId: 3,
    history,
    ...extra,
  };
}

async function rows(id: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const e of table().listEntities<Record<string, unknown>>({
    queryOptions: { filter: `PartitionKey eq '${id}'` },
  }))
    out.push(e);
  return out;
}

describe('instance store', () => {
  it('appends: 50 saves of 2 new events each store each event once, and a fresh store reads back exactly the instance', async () => {
    const store = fresh();
    const history: unknown[] = [];
    for (let save = 0; save < 50; save++) {
      history.push(event(history.length, 'x'.repeat(200)), event(history.length + 1));
      await store.save(snapshot('append-1', [...history], { updatedAt: save }));
    }
    const stored = await rows('append-1');
    const historyRows = stored.filter((r) => r.rowKey !== 'meta');
    expect(historyRows).toHaveLength(50);
    expect(historyRows.reduce((n, r) => n + Number(r.count), 0)).toBe(100);
    // Each save wrote its own events only: the stored history is the size of the history, not 50 copies.
    const chars = historyRows.reduce((n, r) => n + String(r.d0).length, 0);
    expect(chars).toBeLessThan(JSON.stringify(history).length + 50 * 2);
    const loaded = await fresh().load('append-1');
    expect(loaded).toEqual(snapshot('append-1', history, { updatedAt: 49 }));
  });

  it('a save whose history landed but whose meta row did not is ignored on load, and the next save replaces it', async () => {
    const store = fresh();
    const history = [event(0), event(1), event(2)];
    await store.save(snapshot('atomic-1', history));
    // What a host killed between two batches of one save would leave: events past the meta row's count.
    await table().upsertEntity({
      partitionKey: 'atomic-1',
      rowKey: 'g000000-000000003',
      from: 3,
      count: 2,
      chunks: 1,
      d0: JSON.stringify([event(97), event(98)]),
    });
    expect((await fresh().load('atomic-1'))!.history).toEqual(history);
    const more = [...history, event(3)];
    const restarted = fresh();
    await restarted.load('atomic-1');
    await restarted.save(snapshot('atomic-1', more));
    expect((await fresh().load('atomic-1'))!.history).toEqual(more);
  });

  it('continueAsNew: the new generation is read back, the old one’s rows are dropped', async () => {
    const store = fresh();
    await store.save(
      snapshot(
        'gen-1',
        Array.from({ length: 10 }, (_, i) => event(i)),
      ),
    );
    await store.save(
      snapshot(
        'gen-1',
        Array.from({ length: 12 }, (_, i) => event(i)),
      ),
    );
    const next = [event(100), event(101)];
    await store.save(snapshot('gen-1', next, { generation: 1 }));
    const loaded = await fresh().load('gen-1');
    expect(loaded).toMatchObject({ generation: 1, history: next });
    expect((await rows('gen-1')).map((r) => r.rowKey).sort()).toEqual(['g000001-000000000', 'meta']);
  });

  it('an id started again (a new instance once the last one finished) stores its own history from the start', async () => {
    const store = fresh();
    const first = Array.from({ length: 5 }, (_, i) => event(i, 'first'));
    await store.save(snapshot('reused-1', first, { status: 'Completed' }));
    const second = [event(0, 'second'), event(1, 'second')];
    await store.save(snapshot('reused-1', second, { createdAt: 99 }));
    expect((await fresh().load('reused-1'))!.history).toEqual(second);
    const more = [...second, event(2, 'second')];
    await store.save(snapshot('reused-1', more, { createdAt: 99 }));
    expect((await fresh().load('reused-1'))!.history).toEqual(more);
  });

  it('large events span rows; one too large for a row is refused, naming the instance', async () => {
    const store = fresh();
    const big = [event(0, 'a'.repeat(250_000)), event(1, 'b'.repeat(250_000)), event(2)];
    await store.save(snapshot('big-1', big));
    expect((await fresh().load('big-1'))!.history).toEqual(big);
    expect((await rows('big-1')).filter((r) => r.rowKey !== 'meta').length).toBeGreaterThanOrEqual(2);
    await expect(store.save(snapshot('big-2', [event(0, 'c'.repeat(400_000))]))).rejects.toThrow(
      /instance big-2: history events 0–0: \d+ characters are too large to store/,
    );
  });

  it('loadActive returns running instances only, each whole; load of an unknown id is undefined', async () => {
    const store = fresh();
    await store.save(snapshot('active-run', [event(0)]));
    await store.save(snapshot('active-done', [event(0)], { status: 'Completed' }));
    const active = (await fresh().loadActive()).filter((s) => s.id.startsWith('active-'));
    expect(active.map((s) => s.id)).toEqual(['active-run']);
    expect(active[0]!.history).toEqual([event(0)]);
    expect(await fresh().load('never-saved')).toBeUndefined();
  });
});
