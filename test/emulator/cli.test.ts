/**
 * `npm run emulator -- --config emulator/examples/demo.json` as a user runs it (the built entry point): exactly
 * one JSON ready line on stdout, logs on stderr, a working ARM endpoint, and a clean stop on SIGTERM that
 * leaves no PostgreSQL cluster or temporary directory behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

/** Connecting to a port: 'open', or the error code (ECONNREFUSED once nothing listens). */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('emulator command', () => {
  it('prints one ready line, serves, and stops cleanly on SIGTERM: no cluster left listening, no temporary file left', async () => {
    // A temporary directory of its own (TMPDIR): whatever the emulator creates there is its own, and must be
    // gone after the stop. Others may enter it (the clusters run as the postgres user).
    const tmp = mkdtempSync(join(tmpdir(), 'pgdrill-cli-tmp-'));
    chmodSync(tmp, 0o755);
    const child = spawn(
      process.execPath,
      [
        join(root, 'dist', 'emulator', 'main.js'),
        '--config',
        join(root, 'emulator', 'examples', 'demo.json'),
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: tmp },
      },
    );
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await new Promise<any>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        lines.push(line);
        if (lines.length === 1) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before ready: ${stderr}`)));
    });
    expect(ready).toMatchObject({
      ready: true,
      arm: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
      identityEndpoint: expect.stringMatching(/\/msi\/token$/),
      identityHeader: expect.any(String),
      keyVaultUrls: { 'pgdrill-demo-kv': 'https://pgdrill-demo-kv.vault.azure.net' },
      caFile: expect.stringMatching(/ca\.pem$/),
      httpsProxy: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      env: { DATAPROTECTION_ENDPOINT: ready.arm, IDENTITY_HEADER: ready.identityHeader },
    });
    expect(ready.startupMs).toBeGreaterThan(0);
    // The emulator trusts its own CA file, which this test process does not: ask curl with --cacert.
    const token = JSON.parse(
      execFileSync(
        'curl',
        [
          '-s',
          '--cacert',
          ready.caFile,
          '-H',
          `X-IDENTITY-HEADER: ${ready.identityHeader}`,
          `${ready.identityEndpoint}?api-version=2019-08-01&resource=https://management.azure.com`,
        ],
        { encoding: 'utf8' },
      ),
    ).access_token as string;
    const resources = JSON.parse(
      execFileSync(
        'curl',
        [
          '-s',
          '--cacert',
          ready.caFile,
          '-H',
          `Authorization: Bearer ${token}`,
          `${ready.arm}/_emulator/resources`,
        ],
        { encoding: 'utf8' },
      ),
    );
    expect(resources.vaults[0].backupInstances).toHaveLength(2);
    const single = resources.vaults[0].backupInstances.find((b: any) => b.kind === 'single');
    expect(single.recoveryPoints).toHaveLength(7);
    expect(single.recoveryPoints.filter((p: any) => p.stores[0] === 'ArchiveStore')).toHaveLength(1);
    const ports = resources.servers.map((s: any) => s.port);
    // Single Server source, restore target, Flexible Server, drill server (westus), and the target and drill
    // server of cross-region drills in the paired region (eastus).
    expect(ports).toHaveLength(6);
    for (const port of ports) expect(await probe(port)).toBe('open');
    const used = readdirSync(tmp);
    expect(used.filter((n) => n.startsWith('pgdrill-pg-'))).toHaveLength(6);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines).toHaveLength(1);
    expect(stderr).toContain('SIGTERM: stopping');
    // The managed clusters are gone: nothing listens on their ports any more.
    for (const s of resources.servers)
      expect(await probe(s.port), `cluster ${s.name} on ${s.port}`).toBe('ECONNREFUSED');
    // While it ran, it used the temporary directory (clusters, Azurite); now nothing of it is left.
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
    expect(existsSync(join(root, '.tmp', 'emulator', 'ca', 'ca.pem'))).toBe(true);
  }, 120_000);

  it('a bad configuration exits non-zero naming the field', () => {
    let out = '';
    try {
      execFileSync(
        process.execPath,
        [join(root, 'dist', 'emulator', 'main.js'), '--config', join(root, 'package.json')],
        { cwd: root, encoding: 'utf8', stdio: 'pipe' },
      );
    } catch (e) {
      out = (e as { stderr: string }).stderr;
      expect((e as { status: number }).status).toBe(1);
    }
    expect(out).toMatch(/emulator configuration is invalid/);
    expect(out).toMatch(/\/name: unknown field/);
  });
});
