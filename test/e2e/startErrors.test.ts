/**
 * Start failures as a user meets them, from the built entry points: the standalone host without its storage or
 * with its port taken, the emulator with its --port taken, the demo without PostgreSQL. Each is one line naming
 * what failed and the fix, exit code 1, within seconds, and nothing left started.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The environment without the test run's own host settings (a user's shell has none of them). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(DRILL_|AzureWebJobs|DATAPROTECTION_|IDENTITY_|PGDRILL_CHILD)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port something else listens on. */
async function takenPort(): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

const lines = (text: string): string[] => text.split('\n').filter(Boolean);

describe('start errors', () => {
  it('the host with its storage not running: one line naming the endpoint and setting, how to start Azurite, exit 1', async () => {
    const p = await closedPort();
    const cs =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
      `BlobEndpoint=http://127.0.0.1:${p}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${p}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${p}/devstoreaccount1;`;
    const r = await run(
      [join(root, 'dist', 'src', 'host', 'main.js')],
      cleanEnv({ AzureWebJobsStorage: cs, DRILL_HOST_PORT: '0' }),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: cannot reach the host storage's blob endpoint 127.0.0.1:${p} (AzureWebJobsStorage): ECONNREFUSED: start Azurite (npx azurite --silent --skipApiVersionCheck --location .tmp/azurite) or point AzureWebJobsStorage at a reachable storage account`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(10_000);
  });

  it('the host with its port taken: one line naming DRILL_HOST_PORT, exit 1; --verbose adds the stack', async () => {
    const port = await takenPort();
    const env = cleanEnv({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      DRILL_HOST_PORT: String(port),
    });
    const r = await run([join(root, 'dist', 'src', 'host', 'main.js')], env);
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: port ${port} is in use: set DRILL_HOST_PORT to a free port (0 picks any)`,
    ]);
    expect(r.ms).toBeLessThan(10_000);
    const verbose = await run([join(root, 'dist', 'src', 'host', 'main.js'), '--verbose'], env);
    expect(verbose.code).toBe(1);
    expect(lines(verbose.stderr)[0]).toBe(
      `error: port ${port} is in use: set DRILL_HOST_PORT to a free port (0 picks any)`,
    );
    expect(verbose.stderr).toMatch(/\n\s+at .*startChecks/);
  });

  it('the emulator with --port taken: one line naming --port before any cluster starts, exit 1', async () => {
    const port = await takenPort();
    // Its own TMPDIR: the clusters' data directories would be created there.
    const tmp = mkdtempSync(join(tmpdir(), 'pgdrill-porttaken-'));
    chmodSync(tmp, 0o755);
    const r = await run(
      [
        join(root, 'dist', 'emulator', 'main.js'),
        '--config',
        join(root, 'emulator', 'examples', 'demo.json'),
        '--port',
        String(port),
      ],
      cleanEnv({ TMPDIR: tmp }),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: --port ${port} is in use on 127.0.0.1: pass a free port with --port (0 picks any)`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(5_000);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('the demo without PostgreSQL: one line with the fix and the log holding the details, exit 1, nothing started', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pgdrill-nopg-'));
    const env = cleanEnv({ PATH: empty, PGDRILL_POSTGRES_ROOT: empty, TMPDIR: empty });
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.PG_BIN_DIR;
    const r = await run([join(root, 'dist', 'demo', 'main.js')], env);
    expect(r.code, r.stderr).toBe(1);
    const log = join(root, '.tmp', 'demo', 'demo.log');
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^demo failed: PostgreSQL binaries not found: initdb, pg_ctl, pg_dump, pg_restore\\. Install them .*apt-get install postgresql postgresql-client.* \\(details: ${log.replace(/[.]/g, '\\.')}\\)$`,
        ),
      ),
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    // The log has the stack (another demo run may have started since: look for this failure in it).
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8')).toMatch(/demo failed: .*PostgreSQL binaries not found[^\n]*\n\s+at /);
    expect(readdirSync(empty)).toEqual([]);
  });
});
