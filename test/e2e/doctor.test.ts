/**
 * The pre-flight doctor end to end: the standalone host (dist/) serving POST /api/drills/preflight against the
 * emulator started with the demo's own configuration (emulator/examples/demo.json), the shared Azurite and real
 * PostgreSQL, and `pgdrill doctor` calling it. Each of the demo's three requests (demo/requests.ts, as the demo
 * builds them) passes every check; a broken one exits 1 with the fix under the failed check.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRequests, type DemoResources } from '../../demo/requests';
import { loadConfigFile } from '../../emulator/config';
import { startEmulator, type EmulatorHandle } from '../../emulator/index';
import { standaloneHostEnv } from '../support/drill';
import { arm, armToken } from '../support/emulator';
import { call, KEY, startHostProcess, type Host } from '../support/host';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const CHECKS = 15;

let emu: EmulatorHandle;
let host: Host;
let token: string;
let requests: ReturnType<typeof demoRequests>;
const dir = mkdtempSync(join(tmpdir(), 'pgdrill-doctor-'));

beforeAll(async () => {
  const config = loadConfigFile(join(root, 'emulator', 'examples', 'demo.json'));
  config.storage = { ...config.storage, managedAzurite: false, blobEndpoint: process.env.TEST_AZURITE_BLOB! };
  emu = await startEmulator(config, {
    caDir: dirname(process.env.NODE_EXTRA_CA_CERTS!),
    log: () => undefined,
  });
  host = await startHostProcess({
    ...standaloneHostEnv(emu, `doc${Date.now() % 100000}`),
    DRILL_FUNCTION_KEY: KEY,
  });
  token = await armToken(emu);
  const resources = (await arm(emu, token, 'GET', '/_emulator/resources')).body as DemoResources;
  requests = demoRequests(resources);
}, 180_000);
afterAll(async () => {
  await host?.stop();
  await emu?.stop();
});

/** The CLI in a child process, asynchronously: this process serves the emulator, which must keep answering. */
function pgdrill(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, '--url', host.url, '--key', KEY]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
function requestFile(name: string, request: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(request));
  return file;
}

describe('pgdrill doctor and POST /api/drills/preflight', () => {
  it("passes every check of each of the demo's three requests (exit 0, one line per check)", async () => {
    for (const [i, request] of requests.entries()) {
      const file = requestFile(`demo-${i}`, request);
      const text = await pgdrill('doctor', file);
      expect(text.status, `${request.label}\n${text.stdout}${text.stderr}`).toBe(0);
      const lines = text.stdout.trim().split('\n');
      expect(lines).toHaveLength(CHECKS + 1);
      expect(lines.slice(0, CHECKS).every((l) => /^(PASS|SKIP) {2}\S/.test(l))).toBe(true);
      expect(lines[CHECKS]).toMatch(/^ok: \d+ passed, 0 failed, \d+ skipped/);
      const json = await pgdrill('doctor', file, '--json');
      expect(json.status).toBe(0);
      const result = JSON.parse(json.stdout.trim().split('\n').at(-1)!);
      expect(result.ok).toBe(true);
      expect(result.checks).toHaveLength(CHECKS);
      // The files drills reach the vault's blob role and pg_restore; the cross-region one its prerequisites.
      const passed = (id: string) =>
        result.checks.find((c: { id: string }) => c.id === id).status === 'passed';
      if (request.target.kind === 'files')
        expect(passed('vault-blob-role') && passed('pg-restore-version')).toBe(true);
      expect(passed('cross-region')).toBe(request.restoreFrom === 'secondaryRegion');
      expect(json.stdout).not.toMatch(/demo-(target|drill)-admin|Password=/);
    }
  }, 180_000);

  it('exits 1 with a FAIL line and its fix when a check fails; nothing is started', async () => {
    const request = requests[0]!;
    await arm(emu, token, 'POST', '/_emulator/keyvault/forbid', { secretUri: request.target.secretUri });
    try {
      const r = await pgdrill('doctor', requestFile('forbidden', request));
      expect(r.status, r.stdout + r.stderr).toBe(1);
      const lines = r.stdout.trim().split('\n');
      const failed = lines.findIndex((l) => l.startsWith('FAIL  '));
      expect(lines[failed]).toContain('Key Vault secret');
      expect(lines[failed + 1]).toMatch(/^ {6}fix: .*Key Vault Secrets User/);
      expect(lines.at(-1)).toMatch(/^NOT READY: \d+ passed, 1 failed/);
    } finally {
      await arm(emu, token, 'POST', '/_emulator/keyvault/forbid', {
        secretUri: request.target.secretUri,
        forbidden: false,
      });
    }
    const list = await call(host, 'GET', '/api/drills');
    expect(list.body.running ?? []).toEqual([]);
    const jobs = (await arm(emu, token, 'GET', '/_emulator/jobs')).body as {
      jobs: { properties: { operationCategory?: string; operation?: string } }[];
    };
    expect(jobs.jobs.filter((j) => /restore/i.test(j.properties.operation ?? ''))).toEqual([]);
  }, 120_000);

  it('at most 4 doctor runs go at once: the fifth and sixth get 429 with Retry-After', async () => {
    // Each run's backup instance read is held 3 s, so six requests sent together overlap.
    await arm(emu, token, 'POST', '/_emulator/faults', {
      operation: 'BackupInstances_Get',
      kind: 'delay',
      delayMs: 3000,
      count: 6,
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => call(host, 'POST', '/api/drills/preflight', requests[0])),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.body.error.code).toBe('TooManyPreflights');
      // Once they are done, a doctor runs again.
      expect((await call(host, 'POST', '/api/drills/preflight', requests[0])).status).toBe(200);
    } finally {
      await arm(emu, token, 'DELETE', '/_emulator/faults');
    }
  }, 120_000);

  it('the endpoint answers 200 with the DoctorResult, a bad body 400 naming the field; usage errors exit 2', async () => {
    const ok = await call(host, 'POST', '/api/drills/preflight', requests[0]);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      ok: true,
      restoreFrom: 'primaryRegion',
      backupInstanceId: requests[0]!.backupInstanceId,
    });
    const bad = await call(host, 'POST', '/api/drills/preflight', {
      ...requests[0],
      target: { kind: 'database' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidDrillRequest');
    expect(JSON.stringify(bad.body.error.errors)).toContain('/target');
    expect((await call(host, 'POST', '/api/drills/preflight', requests[0], null)).status).toBe(401);
    // GET is the status route of a drill named "preflight", which does not exist.
    expect((await call(host, 'GET', '/api/drills/preflight')).status).toBe(404);
    expect((await pgdrill('doctor')).status).toBe(2);
    const invalid = await pgdrill('doctor', requestFile('invalid', { backupInstanceId: 'x' }));
    // Like run: the host refused the request (exit 1), the field named.
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('/target');
  }, 60_000);
});
