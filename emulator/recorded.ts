/**
 * Details of real ARM answers that the recordings of Azure CLI traffic show (reference/dataprotection/
 * RECORDINGS.md sections 1, 2 and 4) and that no contract defines: the signature-like query Azure appends to
 * poll URLs, and the x-ms-ratelimit-remaining-subscription-* values each kind of call reports.
 */
import { randomBytes } from 'node:crypto';

/**
 * The query real poll URLs carry after api-version: `&t=<ticks>&c=<cert>&s=<sig>&h=<hash>` (about 2 KB in real
 * traffic; shorter here). It means nothing to the emulator, which routes on the path; it is there so a client that
 * rebuilds or trims a poll URL instead of using it as given is caught.
 */
export function signedQuery(now = Date.now()): string {
  // .NET ticks: 100 ns intervals since 0001-01-01.
  const ticks = BigInt(now) * 10_000n + 621_355_968_000_000_000n;
  const b64 = (n: number): string => encodeURIComponent(randomBytes(n).toString('base64'));
  return `&t=${ticks}&c=${b64(48)}&s=${b64(64)}&h=${encodeURIComponent(randomBytes(32).toString('base64url'))}`;
}

/** Which recorded budget a call reports. */
export type QuotaKind = 'armWrite' | 'armRead' | 'operationStatus';

/**
 * The recorded ranges (RECORDINGS.md section 4, "Rate-limit headers"): POSTs report writes 1196–1199; job and
 * Location GETs report resource-requests in the low hundreds (157–198), not monotonic, because several ARM
 * instances count separately; Azure-AsyncOperation polls report resource-requests 985–999. The recordings show
 * values, not the limits behind them, so the emulator draws within the recorded ranges (and never low enough to
 * look like throttling: that is config "throttling" with its own headers and 429s).
 */
const RANGES: Record<QuotaKind, { header: string; min: number; max: number }> = {
  armWrite: { header: 'x-ms-ratelimit-remaining-subscription-writes', min: 1196, max: 1199 },
  armRead: { header: 'x-ms-ratelimit-remaining-subscription-resource-requests', min: 157, max: 198 },
  operationStatus: { header: 'x-ms-ratelimit-remaining-subscription-resource-requests', min: 985, max: 999 },
};

export function recordedQuota(kind: QuotaKind): Record<string, string> {
  const r = RANGES[kind];
  const value = r.min + (randomBytes(1)[0]! % (r.max - r.min + 1));
  return { [r.header]: String(value) };
}
