/**
 * The trigger handlers, as Azure Functions would call them (HttpRequest, InvocationContext with the poison
 * queue output binding, Timer), over the in-process driver running the real orchestrators with scripted
 * activities.
 */
import { HttpRequest, output } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait';
import { createDrillHttpHandlers } from '../../src/functions/drills';
import { createDrillQueueHandler, unwrapEnvelope } from '../../src/functions/queue';
import { createDrillTimerHandler } from '../../src/functions/timer';
import { parsePlans, parsePlanSet } from '../../src/lib/drill/plans';
import { ReportStore } from '../../src/lib/storage/reportStore';
import { azuriteConnectionString, DEFAULT_SETTINGS } from '../support/drill';
import { BI, context, post, SERVER, SUB, TIMER, VALID, setup } from '../support/triggers';

const clone = (o: unknown): any => JSON.parse(JSON.stringify(o));

describe('POST /api/drills', () => {
  const malformed: [string, unknown, string][] = [
    ['not JSON', '{"backupInstanceId":', ''],
    ['an array', [VALID], ''],
    ['no backupInstanceId', { target: VALID.target }, '/backupInstanceId'],
    ['no target', { backupInstanceId: BI }, '/target'],
    ['an unknown field', { ...VALID, extra: 1 }, '/extra'],
    ['a misspelled field', { ...VALID, backupinstanceId: BI }, '/backupinstanceId'],
    [
      'a vault id instead of a backup instance id',
      { ...VALID, backupInstanceId: BI.split('/backupInstances')[0] },
      '/backupInstanceId',
    ],
    [
      'a bad subscription id',
      { ...VALID, backupInstanceId: BI.replace(SUB, 'not-a-guid') },
      '/backupInstanceId',
    ],
    ['an unknown target kind', { ...VALID, target: { ...VALID.target, kind: 'disk' } }, '/target'],
    [
      'a database target without secretUri',
      { ...VALID, target: { kind: 'database', serverId: SERVER } },
      '/target',
    ],
    [
      'a secret URI that is not a secret',
      { ...VALID, target: { ...VALID.target, secretUri: 'https://kv.vault.azure.net/keys/k' } },
      '/target',
    ],
    [
      'a Flexible Server id as target server',
      { ...VALID, target: { ...VALID.target, serverId: SERVER.replace('/servers/', '/flexibleServers/') } },
      '/target',
    ],
    [
      'a database name without the drill prefix',
      { ...VALID, target: { ...VALID.target, databaseName: 'production' } },
      '/target',
    ],
    ['a files target without containerUrl', { ...VALID, target: { kind: 'files' } }, '/target'],
    [
      'a file prefix without the drill prefix',
      {
        ...VALID,
        target: { kind: 'files', containerUrl: 'https://a.blob.core.windows.net/c', filePrefix: 'backup' },
      },
      '/target',
    ],
    [
      'a load without secretUri',
      {
        ...VALID,
        target: { kind: 'files', containerUrl: 'https://a.blob.core.windows.net/c', load: { host: 'h' } },
      },
      '/target',
    ],
    [
      'an unknown recovery point policy',
      { ...VALID, recoveryPoint: { policy: 'newest' } },
      '/recoveryPoint/policy',
    ],
    ['policy id without id', { ...VALID, recoveryPoint: { policy: 'id' } }, '/recoveryPoint/id'],
    [
      'policy latestBefore without before',
      { ...VALID, recoveryPoint: { policy: 'latestBefore' } },
      '/recoveryPoint/before',
    ],
    [
      'policy randomWithinWindow without windowDays',
      { ...VALID, recoveryPoint: { policy: 'randomWithinWindow' } },
      '/recoveryPoint/windowDays',
    ],
    [
      'a rehydration retention of 7 days',
      { ...VALID, rehydration: { retentionDays: 7 } },
      '/rehydration/retentionDays',
    ],
    [
      'an unknown rehydration priority',
      { ...VALID, rehydration: { priority: 'Urgent' } },
      '/rehydration/priority',
    ],
    ['cleanup keep without keepFor', { ...VALID, cleanup: { policy: 'keep' } }, '/cleanup/keepFor'],
    ['a deadline that is not a duration', { ...VALID, deadline: '12 hours' }, '/deadline'],
    ['a zero deadline', { ...VALID, deadline: 'PT0S' }, '/deadline'],
    ['an idempotency key with a slash', { ...VALID, idempotencyKey: 'a/b' }, '/idempotencyKey'],
    [
      'a table name without schema',
      { ...VALID, verify: { tables: [{ name: 'orders' }] } },
      '/verify/tables/0/name',
    ],
    [
      'a negative minRows',
      { ...VALID, verify: { tables: [{ name: 'public.orders', minRows: -1 }] } },
      '/verify/tables/0/minRows',
    ],
    [
      'an assertion without expected',
      { ...VALID, verify: { assertions: [{ name: 'a', sql: 'select 1' }] } },
      '/verify/assertions/0/expected',
    ],
    [
      'a statement timeout of 1 ms',
      { ...VALID, verify: { statementTimeoutMs: 1 } },
      '/verify/statementTimeoutMs',
    ],
    ['a negative RTO target', { ...VALID, targets: { rtoMinutes: -5 } }, '/targets/rtoMinutes'],
  ];

  it.each(malformed)('refuses %s with 400 naming the field', async (_what, body, pointer) => {
    const { clientFor } = setup();
    const res = await createDrillHttpHandlers({ clientFor, settings: () => DEFAULT_SETTINGS }).start(
      post(body),
      context().ctx,
    );
    expect(res.status).toBe(400);
    const error = res.jsonBody.error;
    if (pointer === '')
      expect(error.code).toBe(typeof body === 'string' ? 'InvalidJson' : 'InvalidDrillRequest');
    else expect(error.errors.map((e: any) => e.pointer)).toContain(pointer);
    for (const e of error.errors ?? []) expect(e.message.length).toBeGreaterThan(3);
  });

  it('refuses a body over the size limit with 413', async () => {
    const { clientFor } = setup();
    const big = {
      ...VALID,
      label: 'x'.repeat(100),
      verify: {
        assertions: Array.from({ length: 2000 }, (_, i) => ({ name: `a${i}`, sql: 'select 1', expected: 1 })),
      },
    };
    const res = await createDrillHttpHandlers({ clientFor, settings: () => DEFAULT_SETTINGS }).start(
      post(big),
      context().ctx,
    );
    expect(res.status).toBe(413);
  });

  it('starts a drill (202 + its own status and cancel links); same idempotency key: 409 while running, 200 after', async () => {
    const s = setup();
    const h = createDrillHttpHandlers({ clientFor: s.clientFor, settings: () => DEFAULT_SETTINGS });
    const body = { ...VALID, idempotencyKey: 'nightly-2026-01-05' };
    const first = await h.start(post(body), context().ctx);
    expect(first.status).toBe(202);
    // The app's own links only: Durable's management links carry the system key, and terminate skips cleanup.
    expect(first.jsonBody).toEqual({
      id: 'drill-nightly-2026-01-05',
      statusUri: '/api/drills/drill-nightly-2026-01-05',
      cancelUri: '/api/drills/drill-nightly-2026-01-05/cancel',
    });
    const again = await h.start(post(body), context().ctx);
    expect(again.status).toBe(409);
    expect(again.jsonBody.error.code).toBe('DrillAlreadyRunning');
    // status while running
    const statusReq = new HttpRequest({
      method: 'GET',
      url: 'http://localhost/api/drills/drill-nightly-2026-01-05',
      params: { id: 'drill-nightly-2026-01-05' },
    });
    const running = await h.status(statusReq, context().ctx);
    expect(running.jsonBody).toMatchObject({
      id: 'drill-nightly-2026-01-05',
      runtimeStatus: 'Running',
      phase: expect.any(String),
    });
    s.state.jobDone = true;
    await s.driver.waitForCompletion('drill-nightly-2026-01-05');
    const done = await h.status(statusReq, context().ctx);
    expect(done.jsonBody).toMatchObject({
      runtimeStatus: 'Completed',
      phase: 'done',
      report: { verdict: 'passed' },
    });
    const after = await h.start(post(body), context().ctx);
    expect(after.status).toBe(200);
    expect(after.jsonBody).toMatchObject({ existing: true, runtimeStatus: 'Completed' });
    expect(s.driver.list().filter((i) => i.name === 'restoreDrill')).toHaveLength(1);
  });

  it('cancel: 202 and the drill ends cancelled (with cleanup); unknown drills are 404; finished ones 409', async () => {
    const s = setup();
    const h = createDrillHttpHandlers({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      newId: () => 'fixed',
    });
    const started = await h.start(post(VALID), context().ctx);
    expect(started.status).toBe(202);
    // While the job runs, the status shows the job's own progress (from the job monitor).
    const statusReq = new HttpRequest({
      method: 'GET',
      url: 'http://localhost/api/drills/drill-fixed',
      params: { id: 'drill-fixed' },
    });
    let body: any;
    for (let i = 0; i < 100 && !body?.job; i++) {
      body = (await h.status(statusReq, context().ctx)).jsonBody;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(body).toMatchObject({
      phase: 'restore',
      job: { status: 'InProgress' },
      detail: expect.stringContaining('job InProgress'),
    });
    const cancelReq = (id: string) =>
      new HttpRequest({ method: 'POST', url: `http://localhost/api/drills/${id}/cancel`, params: { id } });
    expect((await h.cancel(cancelReq('drill-fixed'), context().ctx)).status).toBe(202);
    const final = await s.driver.waitForCompletion('drill-fixed');
    expect(final.output).toMatchObject({ verdict: 'cancelled', cleanup: { status: 'done' } });
    expect((await h.cancel(cancelReq('drill-fixed'), context().ctx)).status).toBe(409);
    expect((await h.cancel(cancelReq('nope'), context().ctx)).status).toBe(404);
    const unknown = await h.status(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/drills/nope', params: { id: 'nope' } }),
      context().ctx,
    );
    expect(unknown.status).toBe(404);
  });
});

describe('queue drill-requests', () => {
  const poison = output.storageQueue({
    queueName: 'drill-requests-poison',
    connection: 'AzureWebJobsStorage',
  });
  const poisonBlob = output.storageBlob({
    path: 'drill-requests-poison/{id}.txt',
    connection: 'AzureWebJobsStorage',
  });

  it('starts a drill from a plain message, an Event Grid envelope and a CloudEvent', async () => {
    const s = setup();
    const handle = createDrillQueueHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      poison,
      poisonBlob,
    });
    await handle(VALID, context({ triggerMetadata: { id: 'm1' } }).ctx);
    await handle(
      JSON.stringify([
        {
          id: 'e',
          eventType: 'PgDrill.Requested',
          subject: 'x',
          dataVersion: '1',
          eventTime: '2026-01-01T00:00:00Z',
          data: VALID,
        },
      ]),
      context({ triggerMetadata: { id: 'm2' } }).ctx,
    );
    await handle(
      {
        specversion: '1.0',
        type: 'pgdrill.requested',
        source: '/ops',
        id: 'c',
        data: { ...VALID, idempotencyKey: 'dr-2026' },
      },
      context({ triggerMetadata: { id: 'm3' } }).ctx,
    );
    expect(
      s.driver
        .list()
        .map((i) => i.instanceId)
        .filter((id) => !id.includes(':'))
        .sort(),
    ).toEqual(['drill-dr-2026', 'drill-q-m1', 'drill-q-m2']);
    expect(s.driver.getStatus('drill-q-m1')!.input).toMatchObject({ trigger: { kind: 'queue' } });
  });

  it('a redelivered message does not start a second drill', async () => {
    const s = setup();
    const handle = createDrillQueueHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      poison,
      poisonBlob,
    });
    await handle(VALID, context({ triggerMetadata: { id: 'same' } }).ctx);
    const { ctx, lines } = context({ triggerMetadata: { id: 'same' } });
    await handle(VALID, ctx);
    expect(s.driver.list().filter((i) => i.name === 'restoreDrill')).toHaveLength(1);
    expect(lines.join('\n')).toContain('already started');
  });

  it.each([
    ['not JSON', 'hello'],
    ['an invalid request', JSON.stringify({ ...VALID, target: { kind: 'database' } })],
    [
      'an envelope with invalid data',
      JSON.stringify({ id: 'e', eventType: 't', subject: 's', data: { backupInstanceId: 'x' } }),
    ],
  ])(
    '%s goes to the poison queue unchanged, with the error logged, and is not retried',
    async (_what, message) => {
      const s = setup();
      const handle = createDrillQueueHandler({
        clientFor: s.clientFor,
        settings: () => DEFAULT_SETTINGS,
        poison,
        poisonBlob,
      });
      const { ctx, lines } = context({ triggerMetadata: { id: 'bad' }, options: { extraOutputs: [poison] } });
      await expect(handle(message, ctx)).resolves.toBeUndefined();
      expect(ctx.extraOutputs.get(poison)).toBe(message);
      expect(lines.join('\n')).toMatch(/moved to the poison queue.*"errors"/);
      expect(s.driver.list()).toHaveLength(0);
    },
  );

  it('the poison message is the original text byte for byte; too large to copy, a blob; too deep, not parsed', async () => {
    const s = setup();
    const handle = createDrillQueueHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      poison,
      poisonBlob,
    });
    const outputs = { options: { extraOutputs: [poison, poisonBlob] } };
    // Pretty-printed, a number beyond double precision, a duplicate key: what arrived is what is kept.
    const odd = '{\n  "backupInstanceId": "x",\n  "n": 12345678901234567890123,\n  "n": 1\n}';
    const a = context({ triggerMetadata: { id: 'odd', queueTrigger: odd }, ...outputs });
    await handle(JSON.parse(odd), a.ctx);
    expect(a.ctx.extraOutputs.get(poison)).toBe(odd);
    // 60 KB: the text goes to a blob named after the message, the poison message points to it.
    const big = JSON.stringify({ ...VALID, label: 'x'.repeat(60_000) });
    const b = context({ triggerMetadata: { id: 'big', queueTrigger: big }, ...outputs });
    await handle(big, b.ctx);
    expect(b.ctx.extraOutputs.get(poisonBlob)).toBe(big);
    expect(JSON.parse(b.ctx.extraOutputs.get(poison) as string)).toMatchObject({
      poisonBlob: 'drill-requests-poison/big.txt',
      bytes: Buffer.byteLength(big),
    });
    expect(b.lines.join('\n')).toContain('moved to a poison blob');
    // 5,000 levels of nesting: refused by its depth before any parsing.
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    const d = context({ triggerMetadata: { id: 'deep', queueTrigger: deep }, ...outputs });
    await expect(handle(deep, d.ctx)).resolves.toBeUndefined();
    expect(d.ctx.extraOutputs.get(poison)).toBe(deep);
    expect(d.lines.join('\n')).toContain('nests deeper than 64 levels');
    expect(s.driver.list()).toHaveLength(0);
  });

  it('unwraps envelopes only when they are envelopes', () => {
    expect(unwrapEnvelope({ data: VALID })).toEqual({ data: VALID }); // not an envelope: validated (and refused) as is
    expect(unwrapEnvelope({ eventType: 't', subject: 's', data: JSON.stringify(VALID) })).toEqual(VALID);
  });
});

describe('timer drill plans', () => {
  const plan = (extra: Record<string, unknown> = {}) => ({
    name: 'weekly',
    schedule: '0 0 3 * * 1',
    timeZone: 'Europe/Paris',
    request: VALID,
    ...extra,
  });

  function store() {
    const cs = azuriteConnectionString();
    const id = randomBytes(3).toString('hex');
    return ReportStore.create({
      connectionString: cs,
      blobs: BlobServiceClient.fromConnectionString(cs),
      tableName: `Skips${id}`,
      containerName: `skips-${id}`,
      credential: { getToken: () => Promise.resolve(null) },
    });
  }

  it('starts a due plan once per slot (instance id = plan + slot), in the plan time zone', async () => {
    const s = setup();
    const reports = store();
    const plans = parsePlans(
      JSON.stringify([
        plan(),
        plan({ name: 'daily', schedule: '0 30 1 * * *', timeZone: 'UTC', startWindowMinutes: 30 }),
      ]),
    );
    let now = new Date('2026-01-05T02:10:00Z'); // Monday 03:10 in Paris: weekly is 10 min late, daily is 40 min late
    const handle = createDrillTimerHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      plans: () => plans,
      recordSkip: (k) => reports.recordSkip(k),
      now: () => now,
    });
    const runs = await handle(TIMER, context().ctx);
    expect(runs).toEqual([
      {
        plan: 'weekly',
        slot: '2026-01-05T02:00:00.000Z',
        outcome: 'started',
        instanceId: 'plan-weekly@20260105T020000Z',
      },
      { plan: 'daily', slot: '', outcome: 'notDue' },
    ]);
    now = new Date('2026-01-05T02:15:00Z');
    const again = await handle(TIMER, context().ctx);
    expect(again[0]).toMatchObject({ outcome: 'alreadyStarted', instanceId: 'plan-weekly@20260105T020000Z' });
    expect(s.driver.list().filter((i) => i.name === 'restoreDrill')).toHaveLength(1);
    expect(s.driver.getStatus('plan-weekly@20260105T020000Z')!.input).toMatchObject({
      trigger: { kind: 'timer', plan: 'weekly', slot: '2026-01-05T02:00:00.000Z' },
    });
  });

  it('a fleet plan starts one fleet run per slot, skips (and records) a slot while its last run goes, and the run drills its scope', async () => {
    const s = setup();
    const reports = store();
    const { request: _r, ...base } = plan({ schedule: '0 0 * * * *', timeZone: 'UTC' });
    const fleetPlans = parsePlans(
      JSON.stringify([
        {
          ...base,
          name: 'fleet',
          scope: { vaults: [BI.split('/backupInstances')[0]] },
          templates: [{ kind: 'singleServerDatabase', request: { target: VALID.target } }],
        },
      ]),
    );
    let now = new Date('2026-01-05T10:05:00Z');
    const handle = createDrillTimerHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      plans: () => fleetPlans,
      recordSkip: (k) => reports.recordSkip(k),
      now: () => now,
    });
    expect(await handle(TIMER, context().ctx)).toEqual([
      {
        plan: 'fleet',
        slot: '2026-01-05T10:00:00.000Z',
        outcome: 'fleetStarted',
        instanceId: 'fleet-fleet@20260105T100000Z',
      },
    ]);
    expect((await handle(TIMER, context().ctx))[0]).toMatchObject({ outcome: 'alreadyStarted' });
    const child = 'fleet-fleet@20260105T100000Z.0000';
    await waitUntil(() => s.driver.getStatus(child), { what: 'the fleet drill' });
    now = new Date('2026-01-05T11:01:00Z'); // the next slot: the 10:00 run's drill still waits for its job
    expect((await handle(TIMER, context().ctx))[0]).toMatchObject({
      outcome: 'skipped',
      instanceId: 'fleet-fleet@20260105T100000Z',
    });
    expect(await reports.listSkips()).toEqual([
      expect.objectContaining({
        plan: 'fleet',
        slot: '2026-01-05T11:00:00.000Z',
        runningInstanceId: 'fleet-fleet@20260105T100000Z',
      }),
    ]);
    s.state.jobDone = true;
    const done = await s.driver.waitForCompletion('fleet-fleet@20260105T100000Z');
    expect(done.output).toMatchObject({
      status: 'completed',
      counts: { inScope: 1, due: 1, drilled: 1, passed: 1, failed: 0, overdue: 0 },
      drills: [{ backupInstanceId: BI, drillId: child, verdict: 'passed' }],
    });
    expect(s.driver.getStatus(child)!.input).toMatchObject({
      trigger: { kind: 'fleet', plan: 'fleet', fleetId: 'fleet-fleet@20260105T100000Z' },
      request: { backupInstanceId: BI },
    });
  });

  it('skips (and records) a slot while the previous drill of the plan still runs', async () => {
    const s = setup();
    const reports = store();
    const plans = parsePlans(JSON.stringify([plan({ schedule: '0 0 * * * *', timeZone: 'UTC' })]));
    let now = new Date('2026-01-05T10:05:00Z');
    const handle = createDrillTimerHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      plans: () => plans,
      recordSkip: (k) => reports.recordSkip(k),
      now: () => now,
    });
    const timer = TIMER;
    expect((await handle(timer, context().ctx))[0]!.outcome).toBe('started');
    now = new Date('2026-01-05T11:01:00Z'); // next hourly slot; the 10:00 drill's job still runs
    const { ctx, lines } = context();
    expect((await handle(timer, ctx))[0]).toMatchObject({
      outcome: 'skipped',
      instanceId: 'plan-weekly@20260105T100000Z',
    });
    expect(lines.join('\n')).toContain('previous drill still running');
    expect(await reports.listSkips()).toEqual([
      expect.objectContaining({
        plan: 'weekly',
        slot: '2026-01-05T11:00:00.000Z',
        runningInstanceId: 'plan-weekly@20260105T100000Z',
      }),
    ]);
    s.state.jobDone = true;
    await s.driver.waitForCompletion('plan-weekly@20260105T100000Z');
    now = new Date('2026-01-05T12:00:30Z');
    expect((await handle(timer, context().ctx))[0]).toMatchObject({
      outcome: 'started',
      instanceId: 'plan-weekly@20260105T120000Z',
    });
  });

  it('plans are validated with the field and the fix named', () => {
    expect(() => parsePlans('[{"name":"x","schedule":"nope","request":{}}]')).toThrow(/\/0\/schedule/);
    expect(() => parsePlans(JSON.stringify([plan(), plan()]))).toThrow(/\/1\/name: "weekly" is used twice/);
    expect(() => parsePlans(JSON.stringify([plan({ timeZone: 'Mars/Olympus' })]))).toThrow(
      /\/0\/schedule.*timeZone/,
    );
    expect(() => parsePlans(JSON.stringify([plan({ request: clone({ ...VALID, target: {} }) })]))).toThrow(
      /DRILL_PLANS/,
    );
    expect(() => parsePlans('{')).toThrow(/DRILL_PLANS.*not JSON/s);
    expect(parsePlans(undefined)).toEqual([]);
  });

  it('each plan on its own: a bad plan is reported by pointer and never stops a good one', () => {
    const set = parsePlanSet(
      JSON.stringify([
        plan({ name: 'good-one' }),
        plan({ name: 'bad-schedule', schedule: 'nope' }),
        plan({ name: 'bad-request', request: clone({ ...VALID, target: { kind: 'files' } }) }),
        plan({ name: 'good-two' }),
      ]),
    );
    expect(set.plans.map((p) => p.name)).toEqual(['good-one', 'good-two']);
    expect(set.problems.map((p) => p.pointer)).toEqual(
      expect.arrayContaining(['/1/schedule', expect.stringMatching(/^\/2\/request\/target/)]),
    );
    expect(set.problems.every((p) => !p.pointer.startsWith('/0') && !p.pointer.startsWith('/3'))).toBe(true);
  });
});
