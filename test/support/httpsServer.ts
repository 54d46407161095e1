/**
 * A real HTTPS server on 127.0.0.1 for HTTP-level client tests. Each test scripts the answers; every request
 * that reaches the server is recorded (method, URL, headers, body), so tests can count what was sent.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { testServerCert } from './tls';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  /** Destroy the socket instead of answering (a connection reset). */
  reset?: boolean;
}

export type Handler = (req: RecordedRequest, origin: string) => ScriptedResponse | Promise<ScriptedResponse>;

export interface TestHttpsServer {
  origin: string;
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export async function startHttpsServer(handler: Handler = () => ({ status: 404 })): Promise<TestHttpsServer> {
  const { certPem, keyPem } = testServerCert();
  const requests: RecordedRequest[] = [];
  let current = handler;
  let origin = '';
  const server: Server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(rec);
      Promise.resolve(current(rec, origin))
        .then((out) => {
          if (out.reset) {
            req.socket.destroy();
            return;
          }
          const body =
            out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
          const outHeaders = Object.fromEntries(
            Object.entries(out.headers ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
          );
          res.writeHead(out.status, {
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...outHeaders,
          });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    setHandler(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TokenCredential that hands out a fixed token and counts how often it was asked. */
export class StaticTokenCredential {
  calls: string[][] = [];
  constructor(readonly token = 'test-token') {}
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> {
    this.calls.push(Array.isArray(scopes) ? scopes : [scopes]);
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 3600_000 });
  }
}
