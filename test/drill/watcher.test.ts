/**
 * The vault job watcher, with real drills against the emulator on the real replay engine: drills whose job runs
 * long hand it to their vault's one watcher, which lists the vault's jobs for all of them and tells each when
 * its job ended; a drill re-registering at its backstop is told once; a watcher that cannot list is noticed at
 * the backstop and the drill polls its own job instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/host/replayEngine';
import { EVENT_TYPE } from '../../src/host/replayEngine';
import { childInstanceId } from '../../src/lib/drill/instanceIds';
import { JOB_ENDED_EVENT, vaultWatcherId } from '../../src/lib/drill/jobWatch';
import type { DrillSettings } from '../../src/lib/drill/settings';
import { arm, armToken } from '../support/emulator';
import {
  DR_SECRET,
  DR_SERVER,
  FAST_SETTINGS,
  PAIRED_REGION_TARGET,
  singleDatabaseRequest,
  startDrillRig,
  V,
  type DrillRig,
} from '../support/drill';

let rig: DrillRig;

beforeAll(async () => {
  rig = await startDrillRig({
    backups: 1,
    archived: 0,
    // A target in the vault's paired region, for the cross-region drill.
    ...PAIRED_REGION_TARGET,
    config: {
      timings: {
        validate: { durationSeconds: 0.2, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 0.2, retryAfterSeconds: 1 },
        restoreJobSeconds: 8,
        rehydrationSeconds: 1,
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

/** Own polls at once and after 0.3 s; the next would be 0.45 s away (≥ a third of the 1 s interval): the watcher's. */
const watched = (backstopSeconds: number): DrillSettings => ({
  ...FAST_SETTINGS,
  jobWatch: { intervalSeconds: 1, backstopSeconds },
});

const request = () => singleDatabaseRequest({ deadline: 'PT5M' });

/** Every generation's history of an instance (continueAsNew starts a new one). */
const historyOf = (id: string): HistoryEvent[] => (rig.driver.histories.get(id) ?? []).flat();
const jobEndedEvents = (drillId: string) =>
  historyOf(childInstanceId(drillId, 'job')).filter(
    (e) => e.EventType === EVENT_TYPE.EventRaised && e.Name === JOB_ENDED_EVENT,
  );
const getJobCalls = (drillId: string) =>
  historyOf(childInstanceId(drillId, 'job')).filter(
    (e) => e.EventType === EVENT_TYPE.TaskScheduled && e.Name === 'getJob',
  ).length;

describe('vault job watcher', () => {
  it('three drills in one vault: one watcher lists for all of them, each drill is told once that its job ended, even after registering again', async () => {
    const listsBefore = rig.driver.activityCalls.get('endedRestoreJobs') ?? 0;
    // A 2 s backstop: each drill registers again while its 8 s job runs.
    const runs = await Promise.all([1, 2, 3].map(() => rig.run(request(), undefined, watched(2))));
    for (const { report } of runs) {
      expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
      expect(report.job).toMatchObject({ status: 'Completed' });
    }
    const watchers = rig.driver.list().filter((s) => s.name === 'vaultJobWatcher');
    expect(watchers.map((w) => w.instanceId)).toEqual([vaultWatcherId(V)]);
    for (const { drillId } of runs) {
      // Told by the watcher, exactly once; its own polls (two) stopped when the next was a third of the interval away.
      expect(jobEndedEvents(drillId), drillId).toHaveLength(1);
      expect(getJobCalls(drillId)).toBe(2);
      const registrations = historyOf(childInstanceId(drillId, 'job')).filter(
        (e) => e.EventType === EVENT_TYPE.TaskScheduled && e.Name === 'watchRestoreJob',
      ).length;
      expect(registrations, `${drillId} registered again at its backstop`).toBeGreaterThanOrEqual(2);
    }
    // One list per interval for the three: fewer than the polls the three would have made on their own.
    const lists = (rig.driver.activityCalls.get('endedRestoreJobs') ?? 0) - listsBefore;
    expect(lists).toBeGreaterThan(0);
    expect(lists).toBeLessThan(3 * 8);
    // Nothing left to watch: the watcher ends on its own after a few idle intervals.
    const done = await rig.driver.waitForCompletion(vaultWatcherId(V), 30_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ ended: 'idle' });
  }, 120_000);

  it('a watcher that cannot list: at its backstop the drill sees it is not listing and polls its own job', async () => {
    const token = await armToken(rig.emu);
    await arm(rig.emu, token, 'POST', '/_emulator/reset');
    await arm(rig.emu, token, 'POST', '/_emulator/faults', {
      operation: 'Jobs_List',
      kind: 'status',
      status: 500,
    });
    try {
      const { report, drillId } = await rig.run(request(), undefined, watched(4));
      expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
      expect(jobEndedEvents(drillId)).toHaveLength(0);
      // Its own polls (two before it handed over) resumed once the watcher was seen not listing.
      expect(getJobCalls(drillId)).toBeGreaterThan(2);
      const watcher = rig.driver.getStatus(vaultWatcherId(V));
      expect((watcher?.customStatus as { lastError?: string }).lastError).toMatch(
        /Injected by an emulator fault rule/,
      );
    } finally {
      await arm(rig.emu, token, 'DELETE', '/_emulator/faults');
    }
  }, 120_000);

  it('a cross-region drill hands its job to the watcher of the paired region, which lists the cross-region jobs; a same-region drill beside it keeps the vault watcher', async () => {
    const token = await armToken(rig.emu);
    await arm(rig.emu, token, 'POST', '/_emulator/reset');
    const regions = { sourceRegion: 'westus', targetRegion: 'eastus' };
    const crr = singleDatabaseRequest({
      deadline: 'PT5M',
      restoreFrom: 'secondaryRegion',
      target: { kind: 'database', serverId: DR_SERVER, secretUri: DR_SECRET },
    });
    const [cross, same] = await Promise.all([
      rig.run(crr, undefined, watched(2)),
      rig.run(request(), undefined, watched(2)),
    ]);
    for (const { report } of [cross, same])
      expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(cross.report.crossRegion).toMatchObject({ restoreRegion: 'eastus' });
    // Each drill was told by its own watcher, once.
    expect(jobEndedEvents(cross.drillId)).toHaveLength(1);
    expect(jobEndedEvents(same.drillId)).toHaveLength(1);
    const ids = rig.driver
      .list()
      .filter((s) => s.name === 'vaultJobWatcher')
      .map((w) => w.instanceId);
    expect(ids).toEqual(expect.arrayContaining([vaultWatcherId(V), vaultWatcherId(V, regions)]));
    // The paired region's watcher read the cross-region job list; the cross-region job never appeared in a
    // vault job GET.
    const requests = (await arm(rig.emu, token, 'GET', '/_emulator/requests')).body.requests as {
      operation?: string;
      path: string;
    }[];
    expect(requests.some((r) => r.operation === 'FetchCrossRegionRestoreJobs_List')).toBe(true);
    expect(
      requests.filter((r) => r.operation === 'Jobs_Get' && r.path.includes(cross.report.job!.id)),
    ).toEqual([]);
  }, 120_000);
});
