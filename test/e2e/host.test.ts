/**
 * End to end over HTTP: the standalone host as a real process (the built app), the emulator, PostgreSQL and
 * Azurite. Drills by every trigger; the host killed with SIGKILL in validation, in job monitoring and in the
 * load, then restarted: every drill completes with exactly one restore job; a poison message; cancellation.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { freePort } from '../../emulator/postgres';
import type { DrillReport } from '../../src/lib/drill/report';
import { arm, armToken, sleep, startTestEmulator } from '../support/emulator';
import {
  azuriteConnectionString,
  FLEX_BI,
  SINGLE_BI,
  standaloneHostEnv,
  TARGET_SERVER,
} from '../support/drill';
import { call, KEY, startHostProcess, waitFor, type Host } from '../support/host';

const root = join(__dirname, '..', '..');
const KV = 'https://kv-test.vault.azure.net/secrets';
let emu: EmulatorHandle;
const hub = `e2e${randomBytes(3).toString('hex')}`;
const queueName = 'drill-requests';

async function startHost(extraEnv: Record<string, string> = {}, port?: number): Promise<Host> {
  const p = port ?? (await freePort());
  return startHostProcess(
    {
      ...standaloneHostEnv(emu, hub, p),
      DRILL_FUNCTION_KEY: KEY,
      DRILL_JOB_POLL_INITIAL_SECONDS: '0.5',
      DRILL_JOB_POLL_MAX_SECONDS: '1',
      DRILL_RETRY_FIRST_DELAY_SECONDS: '0.5',
      DRILL_TIMER_SCHEDULE: '*/2 * * * * *',
      ...extraEnv,
    },
    p,
  );
}

async function restoreJobsFor(destinationPart: string): Promise<any[]> {
  const token = await armToken(emu);
  const jobs = (await arm(emu, token, 'GET', '/_emulator/jobs')).body.jobs as any[];
  return jobs.filter(
    (j) =>
      j.properties.operation === 'Restore' &&
      `${j.emulator.recoveryDestination}/${j.emulator.filePrefix ?? ''}`.includes(destinationPart),
  );
}

function dbRequest(extra: Record<string, unknown> = {}) {
  return {
    backupInstanceId: SINGLE_BI,
    target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin` },
    verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
    ...extra,
  };
}

function filesRequest(extra: Record<string, unknown> = {}) {
  const drill = emu.ctx.servers.get('drill-pg')!.admin;
  return {
    backupInstanceId: FLEX_BI,
    target: {
      kind: 'files',
      containerUrl: `${emu.blobEndpoint}/${emu.ctx.config.storage.containers[0]}`,
      load: { host: drill.host, port: drill.port, secretUri: `${KV}/drill-admin` },
    },
    verify: { tables: [{ name: 'public.items', minRows: 1 }] },
    ...extra,
  };
}

beforeAll(async () => {
  emu = await startTestEmulator({
    backups: 2,
    archived: 0,
    extraServers: [
      { name: 'drill-pg', kind: 'flexible', resourceGroup: 'rg-test', managed: { password: 'drill-pw' } },
    ],
    extraSecrets: { 'drill-admin': { connectionStringFor: 'drill-pg' } },
    config: {
      // Slow enough to be killed in the middle of each phase.
      timings: {
        validate: { durationSeconds: 3, retryAfterSeconds: 1 },
        restoreOperation: { durationSeconds: 0.3, retryAfterSeconds: 1 },
        restoreJobSeconds: 4,
        rehydrationSeconds: 1,
      },
      vaults: [
        {
          name: 'vault-test',
          resourceGroup: 'rg-test',
          backupInstances: [
            {
              name: 'bi-single',
              server: 'src-single',
              database: 'shop',
              seed: {
                sql: 'CREATE TABLE orders (id serial PRIMARY KEY, amount int, updated_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders (amount) SELECT g FROM generate_series(1, 1000) g;',
                backups: 2,
                intervalHours: 24,
                archived: 0,
              },
            },
            // A larger Flexible Server database, so that loading it takes long enough to be interrupted.
            {
              name: 'bi-flex',
              server: 'src-flex',
              databases: ['inventory'],
              seed: {
                sql: "CREATE TABLE items (id serial PRIMARY KEY, sku text NOT NULL, payload text, updated_at timestamptz NOT NULL DEFAULT now()); INSERT INTO items (sku, payload) SELECT 'sku-' || g, repeat(md5(g::text), 8) FROM generate_series(1, 400000) g;",
                backups: 1,
                intervalHours: 24,
                archived: 0,
              },
            },
          ],
        },
      ],
    },
  });
}, 180_000);

afterAll(async () => {
  await emu?.stop();
});

describe('standalone host end to end', () => {
  it('HTTP: function keys are enforced; a drill runs; status, list, report; 400 for a bad body', async () => {
    const host = await startHost();
    try {
      expect((await call(host, 'POST', '/api/drills', dbRequest(), null)).status).toBe(401);
      expect((await call(host, 'POST', '/api/drills', dbRequest(), 'wrong-key')).status).toBe(401);
      const bad = await call(host, 'POST', '/api/drills', { ...dbRequest(), target: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors.length).toBeGreaterThan(0);
      const started = await call(host, 'POST', '/api/drills', dbRequest({ idempotencyKey: 'e2e-http' }));
      expect(started.status).toBe(202);
      // The app's own links, and no key of any kind in the answer.
      expect(started.body).toEqual({
        id: 'drill-e2e-http',
        statusUri: '/api/drills/drill-e2e-http',
        cancelUri: '/api/drills/drill-e2e-http/cancel',
      });
      // The Durable management API takes the system key only: neither no key nor the function key opens it.
      const hook = `${host.url}/runtime/webhooks/durabletask/instances/drill-e2e-http`;
      expect((await fetch(hook)).status).toBe(401);
      expect((await fetch(`${hook}?code=${KEY}`)).status).toBe(401);
      expect((await fetch(`${host.url}/durabletask/instances/drill-e2e-http`)).status).toBe(401);
      expect((await fetch(`${host.url}/`)).status).toBe(401);
      const done = await waitFor(
        () => host,
        'drill-e2e-http',
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report.verdict).toBe('passed');
      const list = await call(host, 'GET', '/api/drills');
      expect(list.body.finished.map((r: any) => r.drillId)).toContain('drill-e2e-http');
      expect(host.logs.some((l) => l.includes('drill-e2e-http'))).toBe(true);
    } finally {
      expect(await host.stop()).toBe(0);
    }
  }, 120_000);

  it('pgdrill run follows a drill to the end: exit 0 and the report as one JSON line', async () => {
    const host = await startHost();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pgdrill-run-'));
      writeFileSync(join(dir, 'drill.json'), JSON.stringify(dbRequest({ idempotencyKey: 'e2e-cli' })));
      const cli = join(root, 'dist', 'src', 'cli', 'main.js');
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [
          cli,
          'run',
          join(dir, 'drill.json'),
          '--url',
          host.url,
          '--key',
          KEY,
          '--json',
        ]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ drillId: 'drill-e2e-cli', verdict: 'passed' });
      const human = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [
          cli,
          'report',
          'drill-e2e-cli',
          '--url',
          host.url,
          '--key',
          KEY,
        ]);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', () => resolve(out));
      });
      expect(human).toMatch(/drill drill-e2e-cli: PASSED[\s\S]*RPO .* RTO/);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('queue: a drill from a message; an invalid message ends in the poison queue', async () => {
    const host = await startHost();
    try {
      const qs = QueueServiceClient.fromConnectionString(azuriteConnectionString());
      const queue = qs.getQueueClient(queueName);
      await queue.createIfNotExists();
      await queue.sendMessage(
        Buffer.from(JSON.stringify(dbRequest({ idempotencyKey: 'e2e-queue' }))).toString('base64'),
      );
      await queue.sendMessage(Buffer.from(JSON.stringify({ backupInstanceId: 'nope' })).toString('base64'));
      const done = await waitFor(
        () => host,
        'drill-e2e-queue',
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({ verdict: 'passed', trigger: { kind: 'queue' } });
      const poison = qs.getQueueClient(`${queueName}-poison`);
      let texts: string[] = [];
      for (let i = 0; i < 50 && texts.length === 0; i++) {
        texts = (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) =>
          Buffer.from(m.messageText, 'base64').toString('utf8'),
        );
        await sleep(100);
      }
      expect(texts).toContain(JSON.stringify({ backupInstanceId: 'nope' }));
      expect(host.logs.some((l) => l.includes('moved to the poison queue'))).toBe(true);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it('timer: a due plan starts once per slot', async () => {
    const plans = [
      {
        name: 'e2e',
        schedule: '*/30 * * * * *',
        timeZone: 'UTC',
        startWindowMinutes: 1,
        request: dbRequest(),
      },
    ];
    const host = await startHost({ DRILL_PLANS: JSON.stringify(plans) });
    try {
      let id: string | undefined;
      for (let i = 0; i < 100 && !id; i++) {
        id = host.logs.map((l) => /"drillId":"(plan-e2e@[^"]+)"/.exec(l)?.[1]).find(Boolean);
        await sleep(100);
      }
      if (!id) throw new Error(`no plan drill started:\n${host.logs.slice(-25).join('\n')}`);
      expect(id).toMatch(/^plan-e2e@\d{8}T\d{6}Z$/);
      const done = await waitFor(
        () => host,
        id,
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({ verdict: 'passed', trigger: { kind: 'timer', plan: 'e2e' } });
      const startedForSlot = host.logs.filter(
        (l) => l.includes(`"drillId":"${id}"`) && l.includes('drill started'),
      );
      expect(startedForSlot).toHaveLength(1);
    } finally {
      await host.stop();
    }
  }, 120_000);

  it.each([
    [
      'validation',
      () => dbRequest({ idempotencyKey: 'kill-validate' }),
      'drill-kill-validate',
      (s: any) => s.phase === 'validate',
    ],
    [
      'job monitoring',
      () => dbRequest({ idempotencyKey: 'kill-job' }),
      'drill-kill-job',
      (s: any) => s.phase === 'restore' && /job/.test(s.detail ?? ''),
    ],
    [
      'the load',
      () => filesRequest({ idempotencyKey: 'kill-load' }),
      'drill-kill-load',
      (s: any) => s.phase === 'load',
    ],
  ])(
    'SIGKILL during %s: after a restart the drill completes, with exactly one restore job',
    async (_phase, request, id, when) => {
      const port = await freePort();
      let host = await startHost({}, port);
      const current = () => host;
      expect((await call(host, 'POST', '/api/drills', request())).status).toBe(202);
      await waitFor(current, id, when, 60_000);
      host.child.kill('SIGKILL');
      await host.stop();
      host = await startHost({}, port);
      try {
        expect(host.logs.some((l) => l.includes('"message":"instance resumed"') && l.includes(id))).toBe(
          true,
        );
        const done = await waitFor(current, id, (s) => s.runtimeStatus === 'Completed', 120_000);
        const report = done.report as DrillReport;
        expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
        const destination = report.restored?.database?.name ?? `pgdrill-`;
        const jobs = await restoreJobsFor(
          report.request.target.kind === 'database'
            ? destination
            : String(report.restored?.files?.[0]?.name.split('_')[0]),
        );
        expect(jobs).toHaveLength(1);
        expect(report.cleanup.status).toBe('done');
      } finally {
        await host.stop();
      }
    },
    180_000,
  );

  it('cancellation during the job: cancelled verdict, and the restored database is cleaned up', async () => {
    const host = await startHost();
    try {
      expect(
        (await call(host, 'POST', '/api/drills', dbRequest({ idempotencyKey: 'e2e-cancel' }))).status,
      ).toBe(202);
      await waitFor(
        () => host,
        'drill-e2e-cancel',
        (s) => s.phase === 'restore',
      );
      const c = await call(host, 'POST', '/api/drills/drill-e2e-cancel/cancel');
      expect(c.status).toBe(202);
      const done = await waitFor(
        () => host,
        'drill-e2e-cancel',
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.report).toMatchObject({ verdict: 'cancelled', cleanup: { status: 'done' } });
      expect((await call(host, 'POST', '/api/drills/drill-e2e-cancel/cancel')).status).toBe(409);
    } finally {
      await host.stop();
    }
  }, 120_000);
});
