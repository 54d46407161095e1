/**
 * Complete drills through the in-process driver against the emulator (real PostgreSQL restores, Key Vault,
 * identity), Azurite (restore-as-files, reports) and the real activities and orchestrators.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../emulator/errorCatalog';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken, sleep } from '../support/emulator';
import { drillLeftovers } from '../support/leftovers';
import { expectNoSecrets, secretNeedles, storageText } from '../support/secrets';
import { FLEX_BI, SINGLE_BI, startDrillRig, TARGET_SERVER, V, type DrillRig } from '../support/drill';

let rig: DrillRig;
const KV = 'https://kv-test.vault.azure.net/secrets';

beforeAll(async () => {
  rig = await startDrillRig({ backups: 4, archived: 1 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});
beforeEach(async () => {
  // Each test meets only the faults it adds.
  const token = await armToken(rig.emu);
  expect((await arm(rig.emu, token, 'DELETE', '/_emulator/faults')).status).toBe(200);
});

function databaseRequest(extra: Record<string, unknown> = {}) {
  return {
    backupInstanceId: SINGLE_BI,
    label: 'test drill',
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin` },
    verify: {
      schemas: ['public'],
      tables: [
        { name: 'public.orders', minRows: 10 },
        { name: 'public.customers', minRows: 50, estimate: false },
      ],
      canary: { sql: 'SELECT max(updated_at) FROM orders', toleranceMinutes: 5 },
      assertions: [{ name: 'customers', sql: 'SELECT count(*) FROM customers', expected: 50 }],
    },
    targets: { rtoMinutes: 30, rpoHours: 48 },
    ...extra,
  };
}

async function databases(serverName: string): Promise<string[]> {
  const c = new pg.Client({ ...rig.emu.ctx.servers.get(serverName)!.admin, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

async function restoreJobs(): Promise<any[]> {
  const token = await armToken(rig.emu);
  return (await arm(rig.emu, token, 'GET', '/_emulator/jobs')).body.jobs.filter(
    (j: any) => j.properties.operation === 'Restore',
  );
}

async function addFault(rule: Record<string, unknown>): Promise<void> {
  const token = await armToken(rig.emu);
  expect((await arm(rig.emu, token, 'POST', '/_emulator/faults', rule)).status).toBe(201);
}

function expectPhases(report: DrillReport, names: string[]) {
  expect(report.phases.map((p) => p.name)).toEqual(names);
  for (const p of report.phases) expect(p.durationSeconds).toBeGreaterThanOrEqual(0);
}

describe('restore drills', () => {
  it('Single Server: restore as database, verify, drop; report stored as table row, JSON and HTML', async () => {
    const seqBefore = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const { report, drillId } = await rig.run(databaseRequest());
    const mine = rig.emu.ctx.requests.filter((r) => r.service === 'arm' && r.seq > seqBefore);
    const armRequests = mine.length;
    expect(report.verdict).toBe('passed');
    // A first restore attempt posts at once: the vault's job list is scanned only when a trigger is retried.
    expect(mine.filter((r) => r.operation === 'Jobs_List')).toEqual([]);
    expect(mine.filter((r) => r.operation === 'BackupInstances_TriggerRestore')).toHaveLength(1);
    expectPhases(report, [
      'resolve',
      'select',
      'prepare',
      'validate',
      'restore',
      'verify',
      'cleanup',
      'report',
    ]);
    expect(report.datasource).toMatchObject({ kind: 'singleServerDatabase' });
    const newest = [...rig.emu.ctx.vaults.get('vault-test')!.instances.get('bi-single')!.points].pop()!;
    expect(report.recoveryPoint).toMatchObject({ id: newest.id, dataStore: 'VaultStore', policy: 'latest' });
    expect(report.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(report.rtoSeconds).toBeGreaterThan(0);
    // Measured on Azure's job clock (the emulator gives the job's start and end), the detection lag beside it.
    expect(report.rtoBasis).toBe('azureJob');
    expect(report.detectionLagSeconds).toBeGreaterThanOrEqual(0);
    expect(report.objectives).toMatchObject({ rto: { met: true }, rpo: { met: true } });
    expect(report.job).toMatchObject({
      status: 'Completed',
      // ISO 8601, as real jobs report it (PT2M5.6503519S).
      azureDuration: expect.stringMatching(/^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$/),
    });
    expect(report.verification.map((c) => [c.check, c.status])).toEqual([
      ['sandbox', 'passed'],
      ['connect', 'passed'],
      ['server version', 'passed'],
      ['schema public', 'passed'],
      ['table public.orders', 'passed'],
      ['table public.customers', 'passed'],
      ['canary', 'passed'],
      ['assertion customers', 'passed'],
      ['schema', 'passed'],
    ]);
    // The database is dropped; the verification login was dropped by verification itself (cleanup finds it gone).
    expect(report.cleanup).toMatchObject({
      status: 'done',
      actions: [
        { action: 'drop database', status: 'done' },
        { action: 'drop role', status: 'absent' },
      ],
    });
    expect(await databases('tgt-single')).not.toContain(report.restored!.database!.name);
    expect(report.verification[0]!.message).toMatch(/^checks ran as pgdrill_ro_\w+, a read-only login/);
    // Stored: table row, JSON and HTML.
    const rows = await rig.reports.list();
    expect(rows.find((r) => r.drillId === drillId)).toMatchObject({
      verdict: 'passed',
      targetKind: 'database',
    });
    expect(await rig.reports.get(drillId)).toEqual(report);
    // Activity log lines carry the drill id (the orchestrators stamp it on every activity input).
    const activityLines = rig.logs.filter(
      (l) => l.includes('"activity done"') && l.includes(`"drillId":"${drillId}"`),
    );
    // Every activity of a database drill, the polling children's included, logged under the drill's id.
    expect(new Set(activityLines.map((l) => JSON.parse(l).activity as string))).toEqual(
      new Set([
        'resolveBackupInstance',
        'selectRecoveryPoint',
        'startValidateRestore',
        'pollOperation',
        'triggerRestore',
        'getJob',
        'verifyRestore',
        'cleanupDrill',
        'saveReport',
        'publishDrillOutcome',
      ]),
    );
    console.log(`single-server drill: ${armRequests} ARM requests, ${report.durationSeconds} s`);
    console.log(
      JSON.stringify(
        {
          verdict: report.verdict,
          rpoSeconds: report.rpoSeconds,
          rtoSeconds: report.rtoSeconds,
          verification: report.verification.map((c) => `${c.check}: ${c.status} (${c.message})`),
        },
        null,
        1,
      ),
    );
  }, 120_000);

  it('Flexible Server: restore as files, load both dumps into the drill server, verify each, clean everything', async () => {
    const armBefore = rig.emu.ctx.requests.filter((r) => r.service === 'arm').length;
    const { report } = await rig.run({
      backupInstanceId: FLEX_BI,
      target: rig.filesTarget(),
      verify: {
        tables: [{ name: 'public.items', minRows: 10 }],
        canary: { sql: 'SELECT max(updated_at) FROM items', toleranceMinutes: 5 },
      },
    });
    const armRequests = rig.emu.ctx.requests.filter((r) => r.service === 'arm').length - armBefore;
    console.log(`flexible-server drill: ${armRequests} ARM requests, ${report.durationSeconds} s`);
    console.log(
      JSON.stringify(
        {
          verdict: report.verdict,
          rpoSeconds: report.rpoSeconds,
          rtoSeconds: report.rtoSeconds,
          loaded: report.restored?.loaded,
          verification: report.verification.map(
            (c) => `${c.database}: ${c.check}: ${c.status} (${c.message})`,
          ),
        },
        null,
        1,
      ),
    );
    expect(report.verdict).toBe('passed');
    expectPhases(report, [
      'resolve',
      'select',
      'prepare',
      'validate',
      'restore',
      'load',
      'verify',
      'cleanup',
      'report',
    ]);
    expect(report.datasource?.kind).toBe('flexibleServer');
    expect(report.restored!.files!.map((f) => f.database).sort()).toEqual(['billing', 'inventory']);
    expect(report.restored!.loaded!.map((l) => l.database).sort()).toEqual(['billing', 'inventory']);
    expect(
      report.verification
        .filter((c) => c.check === 'table public.items')
        .map((c) => c.database)
        .sort(),
    ).toEqual(['billing', 'inventory']);
    expect(report.verification.every((c) => c.status === 'passed')).toBe(true);
    const scratch = report.restored!.loaded!.map((l) => l.scratchDatabase);
    expect(scratch.every((s) => s.startsWith('pgdrill_'))).toBe(true);
    expect((await databases('drill-pg')).filter((d) => scratch.includes(d))).toEqual([]);
    expect(report.cleanup.actions.filter((a) => a.action === 'delete blob').map((a) => a.status)).toEqual([
      'done',
      'done',
    ]);
    const left: string[] = [];
    for await (const b of rig.emu.ctx.blobs.service
      .getContainerClient(rig.emu.ctx.config.storage.containers[0]!)
      .listBlobsFlat({ prefix: 'pgdrill-' }))
      left.push(b.name);
    expect(left).toEqual([]);
  }, 120_000);

  it('an archived recovery point is restored with rehydration', async () => {
    const { report } = await rig.run(
      databaseRequest({
        recoveryPoint: { policy: 'oldest', dataStore: 'ArchiveStore' },
        rehydration: { priority: 'High', retentionDays: 12 },
        // The oldest archived point is days old by design: an RPO target would fail it (TargetMissed).
        targets: { rtoMinutes: 30 },
      }),
    );
    expect(report.verdict).toBe('passed');
    expect(report.recoveryPoint).toMatchObject({ dataStore: 'ArchiveStore', policy: 'oldest' });
    const job = (await restoreJobs()).find((j) => j.name === report.job!.id);
    expect(job.properties).toMatchObject({
      rehydrationPriority: 'High',
      sourceDataStoreType: 'ArchiveStore',
    });
  }, 120_000);

  it('verification catches a missing table and a too-low row count (and the drill fails, cleaning up)', async () => {
    const { report } = await rig.run(
      databaseRequest({
        verify: {
          tables: [{ name: 'public.invoices' }, { name: 'public.orders', minRows: 1_000_000 }],
          assertions: [{ name: 'no orders', sql: 'SELECT count(*) FROM orders', expected: 0 }],
        },
      }),
    );
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({ phase: 'verify', code: 'VerificationFailed' });
    const byCheck = Object.fromEntries(report.verification.map((c) => [c.check, c]));
    expect(byCheck['table public.invoices']).toMatchObject({ status: 'failed', actual: 'missing' });
    expect(byCheck['table public.orders']).toMatchObject({ status: 'failed', expected: '>= 1000000' });
    expect(byCheck['assertion no orders']).toMatchObject({ status: 'failed', expected: 0 });
    expect(report.cleanup.status).toBe('done');
  }, 120_000);

  it('verification is read-only and time-limited: a writing check errors, a slow one times out', async () => {
    const { report } = await rig.run(
      databaseRequest({
        verify: {
          statementTimeoutMs: 300,
          assertions: [
            {
              name: 'tries to write',
              sql: 'INSERT INTO customers (name) VALUES ($$x$$) RETURNING 1',
              expected: 1,
            },
            { name: 'too slow', sql: 'SELECT pg_sleep(5)', expected: '' },
            { name: 'still counted', sql: 'SELECT count(*) FROM customers', expected: 50 },
          ],
        },
      }),
    );
    const byCheck = Object.fromEntries(report.verification.map((c) => [c.check, c]));
    expect(byCheck['assertion tries to write']).toMatchObject({
      status: 'error',
      message: expect.stringContaining('read-only transaction'),
    });
    expect(byCheck['assertion too slow']).toMatchObject({
      status: 'error',
      message: 'timed out after 300 ms (statement_timeout)',
    });
    expect(byCheck['assertion too slow']!.durationMs).toBeLessThan(3000);
    expect(byCheck['assertion still counted']).toMatchObject({ status: 'passed', actual: '50' });
    expect(report.verdict).toBe('failed');
  }, 120_000);

  it('each emulator domain failure gives a failed report with that code and its recommended action', async () => {
    const codes = Object.keys(ERROR_CATALOG);
    for (const code of codes) {
      await addFault({ operation: 'BackupInstances_ValidateForRestore', kind: 'domain', code, count: 1 });
      const { report } = await rig.run(databaseRequest());
      expect(report.verdict, code).toBe('failed');
      expect(report.failure, code).toMatchObject({
        phase: 'validate',
        code,
        recommendedActions: ERROR_CATALOG[code]!.recommendedAction,
      });
      expect(report.cleanup.status, code).toBe('nothing'); // nothing was created before the restore
    }
    // A job that fails half-way: the failure comes from the job's errorDetails, and cleanup still runs.
    await addFault({ kind: 'jobFailHalfway', code: 'UserErrorServerConnectionClosed', count: 1 });
    const { report } = await rig.run(databaseRequest());
    expect(report.failure).toMatchObject({
      phase: 'restore',
      code: 'UserErrorServerConnectionClosed',
      recommendedActions: ERROR_CATALOG.UserErrorServerConnectionClosed!.recommendedAction,
    });
    expect(report.job?.status).toBe('Failed');
    expect(report.cleanup).toMatchObject({
      status: 'done',
      actions: [{ action: 'drop database', status: 'absent' }],
    });
  }, 180_000);

  it('a real validation failure (credentials that do not log in) reports Azure code and action', async () => {
    const { report } = await rig.run(
      databaseRequest({
        target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-wrong-password` },
      }),
    );
    expect(report.failure).toMatchObject({
      phase: 'validate',
      code: 'UserErrorDBUserAuthFailed',
      recommendedActions: [expect.stringContaining('Key Vault secret')],
    });
  }, 120_000);

  it('transient 429, 500 and 503 faults on every step still give a passed drill', async () => {
    for (const operation of [
      'BackupInstances_Get',
      'RecoveryPoints_List',
      'BackupInstances_ValidateForRestore',
      // The Azure-AsyncOperation a restore hands out is vault-scoped, as in real traffic.
      'OperationStatusBackupVaultContext_Get',
      'Jobs_Get',
    ]) {
      await addFault({ operation, kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
      await addFault({ operation, kind: 'status', status: 500, count: 1 });
      await addFault({ operation, kind: 'status', status: 503, count: 1 });
    }
    await addFault({
      operation: 'BackupInstances_TriggerRestore',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      count: 1,
    });
    const { report } = await rig.run(databaseRequest());
    expect(report.verdict).toBe('passed');
    const token = await armToken(rig.emu);
    const faults = (await arm(rig.emu, token, 'GET', '/_emulator/faults')).body.faults;
    // Every one of the 16 rules fired exactly once: the drill met each fault and got past it.
    expect(faults.map((f: any) => f.fired)).toEqual(Array(16).fill(1));
  }, 120_000);

  it('no double restore: a trigger whose answer was lost is retried and finds the restore Azure accepted', async () => {
    await addFault({ operation: 'BackupInstances_TriggerRestore', kind: 'dropResponse', count: 1 });
    // The retry's job scan meets transient faults too (it runs only on a retry, so they are tested here).
    await addFault({ operation: 'Jobs_List', kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
    await addFault({ operation: 'Jobs_List', kind: 'status', status: 500, count: 1 });
    await addFault({ operation: 'Jobs_List', kind: 'status', status: 503, count: 1 });
    const seqBefore = rig.emu.ctx.requests.at(-1)?.seq ?? 0;
    const { report } = await rig.run(databaseRequest());
    expect(report.verdict).toBe('passed');
    // The retry (and only it) scanned the job list, found the job and posted nothing more.
    const sent = rig.emu.ctx.requests.filter((r) => r.seq > seqBefore);
    expect(sent.filter((r) => r.operation === 'BackupInstances_TriggerRestore')).toHaveLength(1);
    expect(sent.filter((r) => r.operation === 'Jobs_List').length).toBeGreaterThan(0);
    const token = await armToken(rig.emu);
    const faults = (await arm(rig.emu, token, 'GET', '/_emulator/faults')).body.faults;
    expect(faults.map((f: any) => [f.operation, f.fired])).toEqual([
      ['BackupInstances_TriggerRestore', 1],
      ['Jobs_List', 1],
      ['Jobs_List', 1],
      ['Jobs_List', 1],
    ]);
    const destination = `${TARGET_SERVER}/databases/${report.restored!.database!.name}`;
    const mine = (await restoreJobs()).filter((j) => j.emulator.recoveryDestination === destination);
    expect(mine).toHaveLength(1);
    expect(
      rig.logs.filter((l) => l.includes('reusing its job') && l.includes(`"drillId":"${report.drillId}"`)),
    ).toHaveLength(1);
  }, 120_000);

  it('no double restore: a restore POST that Azure accepts only after the client gave up is waited out, not sent again', async () => {
    // Held 25 s: past the client's 10 s request timeout and its retry (so a retry that does not wait would
    // post again, with seconds to spare even on a busy machine), within the 40 s this drill waits for such an
    // attempt.
    await addFault({ operation: 'BackupInstances_TriggerRestore', kind: 'delay', delayMs: 25_000, count: 1 });
    const started = Date.now();
    const { report } = await rig.runWith({ restoreSettleSeconds: 40 }, databaseRequest());
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(rig.logs.some((l) => l.includes('may still be accepted') && l.includes(report.drillId))).toBe(
      true,
    );
    // Whatever the drill did, the held POST has been carried out by now (a fixed delay of the fault, not a race).
    await sleep(Math.max(0, started + 27_000 - Date.now()));
    const destination = `${TARGET_SERVER}/databases/${report.restored!.database!.name}`;
    const mine = (await restoreJobs()).filter((j) => j.emulator.recoveryDestination === destination);
    expect(mine).toHaveLength(1);
    expect(mine[0].name).toBe(report.job!.id);
  }, 120_000);

  it('no secret reaches history, any custom status, output, any report artefact or logs (both kinds)', async () => {
    const { report, drillId } = await rig.run(databaseRequest());
    const files = await rig.run({
      backupInstanceId: FLEX_BI,
      target: rig.filesTarget(),
    });
    const haystack: string[] = [];
    let statuses = 0;
    for (const id of [drillId, files.drillId]) {
      for (const instance of rig.driver.list().filter((i) => i.instanceId.startsWith(id))) {
        haystack.push(JSON.stringify(instance));
        for (const generation of rig.driver.histories.get(instance.instanceId) ?? [])
          haystack.push(JSON.stringify(generation));
        const trail = rig.driver.customStatuses.get(instance.instanceId) ?? [];
        statuses += trail.length;
        haystack.push(JSON.stringify(trail));
      }
    }
    // Every artefact of the report store: JSON and HTML blobs of both drills, every table row (reports and
    // restore attempts).
    const stored = await storageText(rig.storagePrefix);
    for (const id of [drillId, files.drillId])
      for (const ext of ['json', 'html']) expect(stored.blobs.join(' ')).toContain(`${id}.${ext}`);
    haystack.push(JSON.stringify(report), JSON.stringify(files.report), stored.text, ...rig.logs);
    const events = haystack.join('\n');
    // The scan looked at real material: every phase's status, the secret URIs (not secrets) in history.
    expect(statuses).toBeGreaterThan(10);
    expect(events).toContain('https://kv-test.vault.azure.net/secrets/tgt-admin');
    expect(events).toContain(rig.drillServer.secretUri);
    expect(events).toContain('"EventType":4'); // TaskScheduled events
    expect(stored.text).toContain('<html');
    expectNoSecrets(events, secretNeedles(rig.emu));
  }, 120_000);

  it('a load that cannot read its credentials fails in the load phase and still cleans the restored files', async () => {
    const { report, drillId } = await rig.run({
      backupInstanceId: FLEX_BI,
      target: {
        kind: 'files',
        containerUrl: rig.containerUrl,
        load: { host: rig.drillServer.host, port: rig.drillServer.port, secretUri: `${KV}/no-such-secret` },
      },
    });
    expect(report.verdict).toBe('failed');
    expect(report.failure).toMatchObject({ phase: 'load', code: 'SecretNotFound' });
    expect(report.failure!.recommendedActions![0]).toMatch(/no-such-secret/);
    // Every restored file deleted, each one said, and really gone from the container.
    const deletes = report.cleanup.actions.filter((a) => a.action === 'delete blob');
    expect(deletes.length).toBe(report.restored!.files!.length);
    expect(deletes.every((a) => a.status === 'done')).toBe(true);
    // The scratch database cannot be checked without the secret: said, not assumed gone.
    expect(report.cleanup.status).toBe('partial');
    expect(report.cleanup.actions.filter((a) => a.status !== 'done')).toEqual([
      expect.objectContaining({
        action: 'drop database',
        status: 'failed',
        message: expect.stringMatching(/^SecretNotFound: secret .*no-such-secret does not exist/),
      }),
    ]);
    expect(await drillLeftovers(rig.emu, drillId)).toEqual([]);
  }, 120_000);

  it('the vault lists each drill job; reports list newest first', async () => {
    // Two drills of this test's own, whatever ran before.
    const first = await rig.run(databaseRequest());
    const second = await rig.run(databaseRequest());
    const token = await armToken(rig.emu);
    const jobs = (await arm(rig.emu, token, 'GET', `${V}/backupJobs?api-version=2026-06-01`)).body.value;
    const ids = jobs.map((j: any) => j.name);
    expect(ids).toEqual(expect.arrayContaining([first.report.job!.id, second.report.job!.id]));
    const rows = await rig.reports.list();
    const mine = rows.filter((r) => r.drillId === first.drillId || r.drillId === second.drillId);
    expect(mine.map((r) => r.drillId)).toEqual([second.drillId, first.drillId]);
    expect([...rows].sort((a, b) => b.startedAt.localeCompare(a.startedAt))).toEqual(rows);
  }, 120_000);
});
