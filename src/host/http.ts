/** Small HTTP helpers of the standalone host (Node's http module, nothing else). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP failure the host answers with its status (4xx for bad input, never a 5xx). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const BODY_TIMEOUT_MS = 30_000;

/**
 * The body as text. Over `limit` bytes: 413; not finished within `timeoutMs`: 408. Either way the reading
 * stops; the caller answers, then closes the connection (answerAndClose).
 */
export function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: HttpFailure): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit)
        finish(new HttpFailure(413, 'RequestTooLarge', `the body is larger than ${limit} bytes`));
      else chunks.push(c);
    };
    const onEnd = (): void => finish();
    const timer = setTimeout(
      () =>
        finish(
          new HttpFailure(408, 'RequestTimeout', `the body did not arrive within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', (err) => finish(new HttpFailure(400, 'BadRequest', err.message)));
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    ...headers,
  });
  res.end(text);
}

/** A JSON error body in the shape the app's own functions answer with. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

/** Answers an input the host stopped reading (too large, too slow), then closes the connection. */
export function answerAndClose(req: IncomingMessage, res: ServerResponse, failure: HttpFailure): void {
  res.once('finish', () => req.destroy());
  sendError(res, failure.status, failure.code, failure.message, { Connection: 'close' });
}

/** Constant-time comparison of a presented key with the expected one. */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A URL for a log line: key parameters replaced. */
export function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(/([?&](?:code|sig|key)=)[^&#]*/gi, '$1REDACTED');
}

/** A path segment decoded, or a 400 naming it. */
export function decodeSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpFailure(400, 'InvalidPath', `${what} is not valid percent-encoding`);
  }
}
