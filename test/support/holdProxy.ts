/**
 * An HTTP proxy in front of a storage endpoint (Azurite) that can hold one matching request for a while and
 * say when it arrived: a test kills the host at exactly that moment (a report upload, a blob delete in
 * flight). Everything else passes straight through.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

export interface Hold {
  /** Resolves when a matching request arrives (it is then held `ms` before it goes on). */
  arrived: Promise<void>;
}

export interface HoldProxy {
  /** The proxy's base, standing for the target's origin (same paths). */
  origin: string;
  hold(match: (method: string, path: string) => boolean, ms: number): Hold;
  close(): Promise<void>;
}

export async function startHoldProxy(target: string): Promise<HoldProxy> {
  const to = new URL(target);
  const holds: { match: (m: string, p: string) => boolean; ms: number; arrive: () => void }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const i = holds.findIndex((h) => h.match(req.method ?? 'GET', path));
    const hold = i >= 0 ? holds.splice(i, 1)[0] : undefined;
    const forward = (): void => {
      const out = httpRequest(
        {
          host: to.hostname,
          port: to.port,
          method: req.method,
          path,
          headers: { ...req.headers, host: to.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (!hold) return forward();
    req.pause();
    hold.arrive();
    setTimeout(() => {
      req.resume();
      forward();
    }, hold.ms);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    hold(match, ms) {
      let arrive!: () => void;
      const arrived = new Promise<void>((r) => (arrive = r));
      holds.push({ match, ms, arrive });
      return { arrived };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
