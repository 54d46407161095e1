/**
 * The drill history (GET /api/drills) against Azurite: one real drill's report, saved again as 30 drills of
 * three backup instances, two plans and every verdict over 30 days; pages are newest first and, followed by
 * their next links, give every match exactly once; filters combine; a bad parameter is refused naming it; and
 * retention drops old drills (rows and report blobs) but keeps a drill whose cleanup is still owed.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrillHttpHandlers } from '../../src/functions/drills';
import { driverClient } from '../../src/host/driverClient';
import type { DrillReport } from '../../src/lib/drill/report';
import type { ReportRow } from '../../src/lib/storage/reportStore';
import {
  azuriteConnectionString,
  DEFAULT_SETTINGS,
  SINGLE_BI,
  singleDatabaseRequest,
  startDrillRig,
  type DrillRig,
} from '../support/drill';

let rig: DrillRig;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const instances = [
  SINGLE_BI,
  SINGLE_BI.replace('bi-single', 'bi-other'),
  SINGLE_BI.replace('bi-single', 'bi-third'),
];
const verdicts = ['passed', 'failed', 'cancelled'] as const;
let saved: { drillId: string; startedAt: string; instance: string; plan: string; verdict: string }[] = [];

beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
  const { report } = await rig.run(singleDatabaseRequest());
  expect(report.verdict).toBe('passed');
  for (let i = 0; i < 30; i++) {
    const startedAt = new Date(T0 + i * DAY + i * 1000).toISOString();
    const verdict = verdicts[(i >> 1) % 3]!;
    const r: DrillReport = {
      ...report,
      drillId: `drill-hist-${String(i).padStart(2, '0')}`,
      startedAt,
      endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(),
      request: { ...report.request, backupInstanceId: instances[i % 3]! },
      trigger: { kind: 'timer', plan: i % 2 ? 'odd' : 'even', slot: startedAt },
      verdict,
      ...(verdict === 'failed'
        ? {
            failure: {
              phase: 'verify',
              code: 'VerificationFailed',
              message: 'x',
              recommendedActions: ['y'],
              isRetryable: false,
              isUserError: false,
            },
          }
        : {}),
    };
    await rig.reports.save(r);
    saved.push({
      drillId: r.drillId,
      startedAt,
      instance: instances[i % 3]!,
      plan: i % 2 ? 'odd' : 'even',
      verdict,
    });
  }
  saved = saved.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

const handlers = () =>
  createDrillHttpHandlers({
    clientFor: () => driverClient(rig.driver),
    settings: () => DEFAULT_SETTINGS,
    reports: () => rig.reports,
  });

async function get(query: string): Promise<{ status: number; body: any }> {
  const res = await handlers().list(
    new HttpRequest({ method: 'GET', url: `http://localhost/api/drills${query}` }),
    new InvocationContext({ functionName: 'listDrills' }),
  );
  return { status: res.status!, body: res.jsonBody };
}

/** Every page of a query, following nextLink. */
async function all(query: string): Promise<{ rows: ReportRow[]; pages: number }> {
  const rows: ReportRow[] = [];
  let pages = 0;
  let path: string | undefined = query;
  while (path !== undefined) {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    rows.push(...body.finished);
    pages++;
    path = body.nextLink?.replace('/api/drills', '');
  }
  return { rows, pages };
}

const ours = (rows: ReportRow[]) => rows.filter((r) => r.drillId.startsWith('drill-hist-'));

describe('drill history', () => {
  it('newest first; pages of 4 followed to the end give every drill once, in order', async () => {
    const { rows, pages } = await all('?top=4&since=2026-10-01');
    expect(ours(rows).map((r) => r.drillId)).toEqual(saved.map((s) => s.drillId));
    expect(pages).toBeGreaterThanOrEqual(8);
    // Rows show the drill, not the table: no etag or keys.
    expect(Object.keys(rows[0]!)).not.toContain('etag');
    expect(Object.keys(rows[0]!)).not.toContain('partitionKey');
    expect(ours(rows)[0]).toMatchObject({
      plan: saved[0]!.plan,
      triggerKind: 'timer',
      verdict: saved[0]!.verdict,
    });
  });

  it('filters combine: instance (any case), plan, verdict, since and until', async () => {
    const inst = instances[1]!;
    const { rows } = await all(
      `?top=3&backupInstance=${encodeURIComponent(inst.toUpperCase())}&plan=odd&verdict=passed&since=2026-11-05&until=2026-11-28T00:00:00Z`,
    );
    const expected = saved.filter(
      (s) =>
        s.instance === inst &&
        s.plan === 'odd' &&
        s.verdict === 'passed' &&
        s.startedAt >= '2026-11-05' &&
        s.startedAt <= '2026-11-28T00:00:00Z',
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.drillId)).toEqual(expected.map((s) => s.drillId));
    const failed = await all('?verdict=failed&since=2026-11-01&until=2026-12-01');
    expect(ours(failed.rows)).toHaveLength(10);
    expect(ours(failed.rows).every((r) => r.failureCode === 'VerificationFailed')).toBe(true);
  });

  it('a bad parameter is refused, naming it and what it takes', async () => {
    for (const [query, parameter] of [
      ['?verdict=green', 'verdict'],
      ['?since=yesterday', 'since'],
      ['?until=1900-01-01', 'until'],
      ['?since=2026-11-10&until=2026-11-01', 'since'],
      ['?top=0', 'top'],
      ['?top=500', 'top'],
      ['?after=x', 'after'],
      ['?backupInstance=bi-single', 'backupInstance'],
      ["?plan=a'b", 'plan'],
    ] as const) {
      const { status, body } = await get(query);
      expect(status, query).toBe(400);
      expect(body.error).toMatchObject({ code: 'InvalidQuery', parameter });
      expect(body.error.message.startsWith(`${parameter}: `)).toBe(true);
    }
  });

  it('retention drops drills older than the cut (rows and blobs), but keeps one whose cleanup is owed', async () => {
    const owed = (await rig.reports.get('drill-hist-01'))!;
    await rig.reports.save({ ...owed, cleanup: { ...owed.cleanup, status: 'failed' } });
    // Cut at 10 November: drills 0–8 started before it; drill 1 still owes its cleanup.
    const expired = await rig.reports.expire(new Date(T0 + 9 * DAY));
    expect(expired).toBe(8);
    const left = ours((await all('?since=2026-10-01')).rows).map((r) => r.drillId);
    expect(left).toContain('drill-hist-01');
    expect(left).not.toContain('drill-hist-00');
    expect(left).toHaveLength(22);
    expect(await rig.reports.get('drill-hist-00')).toBeUndefined();
    const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
      `${rig.storagePrefix}-reports`,
    );
    const versions = async (id: string) => {
      let n = 0;
      for await (const _ of container.listBlobsFlat({ prefix: `evidence/${id}/` })) n++;
      return n;
    };
    expect(await versions('drill-hist-00')).toBe(0);
    expect(await versions('drill-hist-09')).toBe(1);
    expect(await rig.reports.get('drill-hist-09')).toBeDefined();
    // The sweeper's own list no longer has them either.
    expect((await rig.reports.list()).some((r) => r.drillId === 'drill-hist-02')).toBe(false);
  });
});
