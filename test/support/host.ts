/**
 * The standalone host as a child process for end-to-end tests: the built app (dist/), its log lines kept, its
 * HTTP API called with the function key, a drill followed until a condition holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sleep } from './emulator';

const root = join(__dirname, '..', '..');
export const KEY = 'e2e-function-key-0123456789';

export interface Host {
  url: string;
  child: ChildProcess;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the host with `env` and waits until it is ready. It binds port 0 itself and reports the port it got
 * in its ready line: no port is picked here and bound later by another process.
 */
export async function startHostProcess(env: Record<string, string>): Promise<Host> {
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'host', 'main.js')], {
    env: { ...env, DRILL_HOST_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    logs.push(...lines);
  });
  child.stderr.on('data', (d: Buffer) => logs.push(`stderr: ${d.toString()}`));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const readyLine = (): string | undefined => logs.find((l) => l.includes('"message":"ready"'));
  for (let i = 0; i < 600 && !readyLine(); i++) {
    if (child.exitCode !== null) throw new Error(`host exited: ${logs.join('\n')}`);
    await sleep(100);
  }
  const ready = readyLine();
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`host not ready in 60 s: ${logs.join('\n')}`);
  }
  return {
    url: (JSON.parse(ready) as { url: string }).url,
    child,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function call(
  host: Host,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = KEY,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${host.url}${path}`, {
    method,
    headers: { ...(key ? { 'x-functions-key': key } : {}), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls a drill's status until `until` holds; the error names the last status and the host's last lines. */
export async function waitFor(
  host: () => Host,
  id: string,
  until: (s: any) => boolean,
  timeoutMs = 120_000,
  everyMs = 100,
): Promise<any> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const s = await call(host(), 'GET', `/api/drills/${id}`);
      last = s.body;
      if (s.status === 200 && until(s.body)) return s.body;
    } catch {
      /* host restarting */
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `drill ${id} did not get there in ${timeoutMs} ms; last status ${JSON.stringify(last)}; host log tail:\n${host().logs.slice(-30).join('\n')}`,
      );
    await sleep(everyMs);
  }
}
