/**
 * A load killed with its worker leaves a pg_restore running: the next attempt (or cleanup) ends it, also when
 * the worker died before it could write the pid file (found by the dump path in its command line, Linux).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clearLoadLeftovers, loadFolder } from '../../src/lib/postgres/admin';
import { waitUntil } from '../support/wait';

describe('clearLoadLeftovers', () => {
  it.runIf(existsSync('/proc/self/cmdline'))(
    'ends a stopped pg_restore that has no pid file, and removes its folder',
    async () => {
      const scratch = `pgdrill_unit${process.pid}_db`;
      const folder = loadFolder(scratch);
      mkdirSync(folder, { recursive: true });
      // Stands in for pg_restore: a process whose last argument is the dump, in its own group, then stopped.
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `${folder}/restore.dump`], {
        detached: true,
        stdio: 'ignore',
      });
      const exited = new Promise<string | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      await waitUntil(() => (child.pid ? true : undefined), {
        what: 'the child to start',
        timeoutMs: 10_000,
      });
      process.kill(child.pid!, 'SIGSTOP');
      expect(await clearLoadLeftovers(scratch)).toBe(true);
      expect(await exited).toBe('SIGKILL');
      expect(existsSync(folder)).toBe(false);
      // Nothing left to end the second time.
      expect(await clearLoadLeftovers(scratch)).toBe(false);
    },
  );
});
