/** The in-process driver on durable-functions' own replay engine, with small orchestrators. */
import type * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/host/clock';
import { OrchestrationDriver, InstanceExistsError } from '../../src/host/driver';
import { EVENT_TYPE } from '../../src/host/replayEngine';

type Ctx = df.OrchestrationContext;

/** Polls until `ok` (bounded: a driver that stalls fails the test instead of hanging it). */
async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}

function driver(
  orchestrators: Record<string, (ctx: Ctx) => Generator<df.Task, unknown, unknown>>,
  activities: Record<string, (input: any) => Promise<unknown>> = {},
  clock = new FakeClock(),
) {
  return { d: new OrchestrationDriver({ orchestrators, activities, clock, keepHistories: true }), clock };
}

describe('orchestration driver', () => {
  it('runs activities in sequence and returns the output; history has the host events', async () => {
    const { d } = driver(
      {
        *seq(ctx: Ctx) {
          const a = (yield ctx.df.callActivity('double', 2)) as number;
          const b = (yield ctx.df.callActivity('double', a)) as number;
          ctx.df.setCustomStatus({ step: 'done' });
          return { a, b, input: ctx.df.getInput() };
        },
      },
      { double: (n: number) => Promise.resolve(n * 2) },
    );
    await d.start('seq', { hello: 'world' }, 'i1');
    const s = await d.waitForCompletion('i1');
    expect(s).toMatchObject({
      runtimeStatus: 'Completed',
      output: { a: 4, b: 8, input: { hello: 'world' } },
      customStatus: { step: 'done' },
    });
    const types = d.historyOf('i1').map((e) => EVENT_TYPE[e.EventType]);
    expect(types).toEqual([
      'OrchestratorStarted',
      'ExecutionStarted',
      'TaskScheduled',
      'OrchestratorCompleted',
      'OrchestratorStarted',
      'TaskCompleted',
      'TaskScheduled',
      'OrchestratorCompleted',
      'OrchestratorStarted',
      'TaskCompleted',
      'OrchestratorCompleted',
    ]);
    // A finished instance id may be used again: a new execution with the new input.
    await expect(d.start('seq', { hello: 'again' }, 'i1')).resolves.toBe('i1');
    expect((await d.waitForCompletion('i1')).output).toMatchObject({ input: { hello: 'again' } });
  });

  it('a throttled fan-out: tasks awaited again in later Task.any calls are scheduled once and each result arrives', async () => {
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const { d } = driver(
      {
        *fanOut(ctx: Ctx) {
          const running = new Map<number, df.Task>();
          const done: number[] = [];
          let next = 0;
          while (next < 5 || running.size) {
            for (const [n, t] of [...running])
              if (t.isCompleted) {
                running.delete(n);
                done.push(t.result as number);
              }
            while (running.size < 2 && next < 5) running.set(next, ctx.df.callActivity('work', next++));
            if (running.size) yield ctx.df.Task.any([...running.values()]);
          }
          return done;
        },
      },
      {
        work: (n: number) => {
          started.push(n);
          return new Promise((resolve) => release.set(n, () => resolve(n)));
        },
      },
    );
    await d.start('fanOut', null, 'f1');
    // Finish them out of order: each finished one lets exactly one more start, never a second copy of another.
    for (const n of [1, 0, 3, 2, 4]) {
      await waitFor(() => release.has(n));
      release.get(n)!();
    }
    const s = await d.waitForCompletion('f1');
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as number[]).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(started.sort()).toEqual([0, 1, 2, 3, 4]);
    const scheduled = d.historyOf('f1').filter((e) => EVENT_TYPE[e.EventType] === 'TaskScheduled');
    expect(scheduled).toHaveLength(5);
  });

  it('fires durable timers on the clock (a 5-day wait takes no wall time)', async () => {
    const { d, clock } = driver({
      *wait(ctx: Ctx) {
        const t0 = ctx.df.currentUtcDateTime.getTime();
        yield ctx.df.createTimer(new Date(t0 + 3 * 86400_000));
        yield ctx.df.createTimer(new Date(t0 + 5 * 86400_000));
        return (ctx.df.currentUtcDateTime.getTime() - t0) / 86400_000;
      },
    });
    const wall = Date.now();
    await d.start('wait', null, 'w');
    expect((await d.waitForCompletion('w')).output).toBe(5);
    expect(clock.jumps).toEqual([3 * 86400_000, 2 * 86400_000]);
    expect(Date.now() - wall).toBeLessThan(5000);
  });

  it('fans out with Task.all and races with Task.any', async () => {
    const { d } = driver(
      {
        *fan(ctx: Ctx) {
          const results = (yield ctx.df.Task.all(
            [1, 2, 3].map((n) => ctx.df.callActivity('square', n)),
          )) as number[];
          const timer = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
          const slow = ctx.df.callActivity('square', 10);
          const winner = yield ctx.df.Task.any([timer, slow]);
          if (winner === slow) timer.cancel();
          return { results, winner: winner === slow ? 'activity' : 'timer' };
        },
      },
      { square: (n: number) => Promise.resolve(n * n) },
    );
    await d.start('fan', null, 'f');
    expect((await d.waitForCompletion('f')).output).toEqual({ results: [1, 4, 9], winner: 'activity' });
  });

  it('runs sub-orchestrations, raised events and continueAsNew with bounded history', async () => {
    const { d } = driver({
      *counter(ctx: Ctx) {
        const n = ctx.df.getInput<number>();
        yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1000));
        if (n < 30) {
          ctx.df.continueAsNew(n + 1);
          return undefined;
        }
        return n;
      },
      *parent(ctx: Ctx) {
        const count = (yield ctx.df.callSubOrchestrator('counter', 0, 'parent:child')) as number;
        const approval = (yield ctx.df.waitForExternalEvent('approve')) as { by: string };
        return { count, by: approval.by };
      },
    });
    await d.start('parent', null, 'parent');
    for (let i = 0; i < 100 && d.getStatus('parent:child')?.runtimeStatus !== 'Completed'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(d.getStatus('parent:child')).toMatchObject({
      runtimeStatus: 'Completed',
      output: 30,
      generation: 30,
    });
    expect(Math.max(...d.histories.get('parent:child')!.map((h) => h.length))).toBeLessThanOrEqual(8);
    expect(d.raiseEvent('parent', 'approve', { by: 'ops' })).toBe(true);
    expect((await d.waitForCompletion('parent')).output).toEqual({ count: 30, by: 'ops' });
  });

  it('an orchestrator that throws fails with its message; a failing activity reaches the orchestrator as an Error', async () => {
    const { d } = driver(
      {
        *boom(ctx: Ctx) {
          try {
            yield ctx.df.callActivity('fail', null);
          } catch (err) {
            throw new Error(`caught: ${(err as Error).message.split('\n')[0]}`);
          }
        },
      },
      { fail: async () => Promise.reject(new Error('disk full')) },
    );
    await d.start('boom', null, 'b');
    const s = await d.waitForCompletion('b');
    expect(s.runtimeStatus).toBe('Failed');
    expect(String(s.output)).toContain('caught:');
    expect(String(s.output)).toContain('disk full');
  });

  it('refuses a second start of a running instance id', async () => {
    const { d } = driver({
      *wait(ctx: Ctx) {
        yield ctx.df.waitForExternalEvent('go');
        return 'ok';
      },
    });
    await d.start('wait', null, 'x');
    await expect(d.start('wait', null, 'x')).rejects.toBeInstanceOf(InstanceExistsError);
    expect(d.terminate('x', 'test')).toBe(true);
    expect((await d.waitForCompletion('x')).runtimeStatus).toBe('Terminated');
  });
});
