/**
 * An HTTP CONNECT proxy (what HTTPS_PROXY points at) that tunnels {vault}.vault.azure.net:443 to the emulator's
 * Key Vault server and refuses every other destination. Clients keep Key Vault's real host names, so the
 * SDK's challenge-resource check passes exactly as it does in Azure; the emulator's local CA signs the
 * *.vault.azure.net certificate.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { KEY_VAULT_HOST } from './keyvault';

export interface VaultProxy {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function startVaultProxy(
  host: string,
  port: number,
  kvPort: number,
  knownVaults: () => Set<string>,
): Promise<VaultProxy> {
  const server = createServer((_req, res) => {
    res.writeHead(405, { 'Content-Type': 'text/plain' });
    res.end('This proxy only tunnels HTTPS (CONNECT) to *.vault.azure.net.\n');
  });
  const sockets = new Set<Socket>();
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const [target, targetPort] = (req.url ?? '').split(':');
    const vault = KEY_VAULT_HOST.exec(target ?? '')?.[1]?.toLowerCase();
    if (!vault || targetPort !== '443' || !knownVaults().has(vault)) {
      client.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nThe emulator proxy does not reach ${req.url ?? '?'}: only configured Key Vaults (*.vault.azure.net:443).\r\n`,
      );
      return;
    }
    const upstream = connect(kvPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  // Tunnelled sockets still count as connections of the server: end them, or close() waits for keep-alive.
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port, close });
    });
  });
}
