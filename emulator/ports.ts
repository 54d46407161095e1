/**
 * The fixed ports the emulator must own (the ARM endpoint's `port`, the Key Vault proxy's `proxyPort`) are
 * checked before anything starts: a taken port is one line naming the flag or setting and the fix, within a
 * second, not a failure after every cluster has started and been backed up. Port 0 (any free one) needs no check.
 */
import { createServer } from 'node:net';

export class PortInUseError extends Error {}

/** Where each port was given, for the message: a command-line flag (`--port`) or the configuration field. */
export interface PortSources {
  port?: string;
  proxyPort?: string;
}

function bindable(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

export async function checkPortsFree(
  config: { host: string; port: number; proxyPort: number },
  sources: PortSources = {},
): Promise<void> {
  const wanted = [
    { port: config.port, host: config.host, source: sources.port ?? '"port" in the emulator configuration' },
    {
      port: config.proxyPort,
      host: '127.0.0.1',
      source: sources.proxyPort ?? '"proxyPort" in the emulator configuration',
    },
  ];
  for (const w of wanted) {
    if (!w.port) continue;
    const err = await bindable(w.port, w.host);
    if (!err) continue;
    const flag = w.source.startsWith('--');
    const fix = flag
      ? `pass a free port with ${w.source} (0 picks any)`
      : `set ${w.source} to a free port (0 picks any)`;
    throw new PortInUseError(
      err.code === 'EADDRINUSE'
        ? `${w.source} ${w.port} is in use on ${w.host}: ${fix}`
        : `${w.source} ${w.port} cannot be listened on at ${w.host} (${err.code ?? err.message}): ${fix}`,
    );
  }
}
