/**
 * Replays a recorded response sequence (test/fixtures/recordings) over HTTPS on 127.0.0.1: each request must be
 * the next recorded one (same method, path compared case-insensitively as ARM does, and the query exactly as
 * recorded, so a poll URL rebuilt or trimmed instead of used as given does not match), and gets the recorded
 * answer, with the recorded origin in header URLs rewritten to this server's. Exchanges the az CLI made and our
 * client has no reason to make are marked optional and skipped when the next request matches a later one.
 * A request the recording cannot have (our client makes it, the az CLI did not) is served only when the test
 * declares it in `unrecorded`, with the answer the test gives and the reason, outside the sequence.
 * A request that matches nothing is answered 500 ReplayMismatch and kept in `mismatches`, for the test to fail on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpsServer, type RecordedRequest } from './httpsServer';

export interface RecordedExchange {
  step: string;
  request: { method: string; path: string; query: string; body?: unknown };
  response: { status: number; headers: Record<string, string>; body?: unknown };
  /** Why our client may leave this call out (the az CLI made it). */
  optional?: string;
  note?: string;
}

export interface Recording {
  source: { repository: string; path: string; commit: string; recorded: string };
  apiVersion: string;
  /** The origin the recorded URLs name. */
  origin: string;
  ids: Record<string, string>;
  commonHeaders: Record<string, string>;
  exchanges: RecordedExchange[];
}

export function loadRecording(file: string): Recording {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'recordings', file), 'utf8')) as Recording;
}

export interface ReplayServer {
  origin: string;
  /** Every request that reached the server, in order. */
  requests: RecordedRequest[];
  /** Indexes (into recording.exchanges) of the exchanges served, in order. */
  served: number[];
  /** Indexes of the optional exchanges skipped. */
  skipped: number[];
  /** Indexes (into options.unrecorded) of the declared unrecorded requests served, in order. */
  unrecordedServed: number[];
  mismatches: string[];
  /** Required exchanges not served yet. */
  unserved(): RecordedExchange[];
  close(): Promise<void>;
}

function matches(ex: RecordedExchange, method: string, path: string, query: string): boolean {
  return (
    ex.request.method === method &&
    ex.request.path.toLowerCase() === path.toLowerCase() &&
    ex.request.query === query
  );
}

/** A request our client makes that the recording does not have, and the answer the test chooses to give it. */
export interface UnrecordedExchange {
  method: string;
  path: string;
  query: string;
  /** Why the recording lacks it, and where the answer comes from. */
  why: string;
  response: { status: number; headers?: Record<string, string>; body?: unknown };
}

/**
 * `rewriteOrigin: false` leaves the recorded origin (https://management.azure.com) in the poll URLs, as they would
 * reach a client whose endpoint is elsewhere: URLs it must not call.
 */
export async function startReplayServer(
  recording: Recording,
  options: { rewriteOrigin?: boolean; unrecorded?: UnrecordedExchange[] } = {},
): Promise<ReplayServer> {
  const rewrite = options.rewriteOrigin ?? true;
  const unrecorded = options.unrecorded ?? [];
  const unrecordedServed: number[] = [];
  const served: number[] = [];
  const skipped: number[] = [];
  const mismatches: string[] = [];
  let next = 0;
  const server = await startHttpsServer((req, origin) => {
    const url = new URL(req.url, origin);
    const query = url.search.replace(/^\?/, '');
    const path = decodeURIComponent(url.pathname);
    const extra = unrecorded.findIndex(
      (u) => u.method === req.method && u.path.toLowerCase() === path.toLowerCase() && u.query === query,
    );
    if (extra >= 0) {
      unrecordedServed.push(extra);
      const answer = unrecorded[extra]!.response;
      return {
        status: answer.status,
        headers: { ...recording.commonHeaders, ...answer.headers },
        ...(answer.body !== undefined ? { body: answer.body } : {}),
      };
    }
    let at = next;
    // Only optional exchanges may be passed over to reach the one this request matches.
    while (
      at < recording.exchanges.length &&
      !matches(recording.exchanges[at]!, req.method, path, query) &&
      recording.exchanges[at]!.optional
    )
      at++;
    const ex = recording.exchanges[at];
    if (!ex || !matches(ex, req.method, path, query)) {
      const expected = recording.exchanges[next];
      mismatches.push(
        `${req.method} ${path}?${query} where the recording has ${expected ? `${expected.request.method} ${expected.request.path}?${expected.request.query} (${expected.step})` : 'nothing more'}`,
      );
      return { status: 500, body: { error: { code: 'ReplayMismatch', message: mismatches.at(-1) } } };
    }
    for (let i = next; i < at; i++) skipped.push(i);
    served.push(at);
    next = at + 1;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...recording.commonHeaders, ...ex.response.headers }))
      headers[k] = rewrite ? v.split(recording.origin).join(origin) : v;
    return {
      status: ex.response.status,
      headers,
      ...(ex.response.body !== undefined ? { body: ex.response.body } : {}),
    };
  });
  return {
    origin: server.origin,
    requests: server.requests,
    served,
    skipped,
    unrecordedServed,
    mismatches,
    unserved: () => recording.exchanges.slice(next).filter((e) => !e.optional),
    close: () => server.close(),
  };
}
