/**
 * `npm run emulator -- --config <file>`: starts the emulator and prints exactly one JSON line on stdout when
 * ready (URLs, identity header, CA file, and the environment a client needs). Logs go to stderr.
 * Ctrl-C or SIGTERM stops it cleanly (clusters stopped, temporary data removed).
 */
import { loadConfigFile } from './config';
import { startEmulator } from './index';

const USAGE = `Usage: npm run emulator -- --config <file> [--port <n>] [--proxy-port <n>]

Starts the Data Protection emulator (ARM, managed identity, Key Vault, PostgreSQL, Azurite).
Prints one JSON line on stdout when ready; see emulator/README.md.`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const file = arg('--config');
  if (!file) {
    process.stderr.write(`error: --config <file> is required\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const ports: Record<'--port' | '--proxy-port', number | undefined> = {
    '--port': undefined,
    '--proxy-port': undefined,
  };
  for (const flag of ['--port', '--proxy-port'] as const) {
    const value = arg(flag);
    if (value === undefined) continue;
    if (!/^\d+$/.test(value) || Number(value) > 65535) {
      process.stderr.write(
        `error: ${flag} must be a port number from 0 to 65535 (0 picks any), not "${value}"\n\n${USAGE}\n`,
      );
      process.exitCode = 2;
      return;
    }
    ports[flag] = Number(value);
  }
  const config = loadConfigFile(file);
  if (ports['--port'] !== undefined) config.port = ports['--port'];
  if (ports['--proxy-port'] !== undefined) config.proxyPort = ports['--proxy-port'];
  const started = Date.now();
  const emu = await startEmulator(config, {
    portSources: {
      port: ports['--port'] !== undefined ? '--port' : `"port" in ${file}`,
      proxyPort: ports['--proxy-port'] !== undefined ? '--proxy-port' : `"proxyPort" in ${file}`,
    },
  });
  process.stdout.write(
    JSON.stringify({
      ready: true,
      startupMs: Date.now() - started,
      arm: emu.arm,
      identityEndpoint: emu.identityEndpoint,
      identityHeader: emu.identityHeader,
      keyVaultUrls: emu.keyVaultUrls,
      httpsProxy: emu.httpsProxy,
      noProxy: emu.noProxy,
      caFile: emu.caFile,
      subscriptionId: emu.subscriptionId,
      blobEndpoint: emu.blobEndpoint,
      env: emu.env,
    }) + '\n',
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(JSON.stringify({ source: 'emulator', message: `${signal}: stopping` }) + '\n');
    emu.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
