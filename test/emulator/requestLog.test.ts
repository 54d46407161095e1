/**
 * The emulator's request log keeps the newest entries; its counts stay exact however many requests a run makes
 * (a 1,000-drill benchmark counts from them, not from the trimmed log).
 */
import { describe, expect, it } from 'vitest';
import { emptyRequestCounts, recordRequest, type RequestLogEntry } from '../../emulator/context';

const entry = (seq: number, operation: string, status: number): RequestLogEntry => ({
  seq,
  service: operation.startsWith('KeyVault') ? 'keyvault' : 'arm',
  method: 'GET',
  path: '/x',
  query: '',
  status,
  operation,
  time: new Date(0).toISOString(),
  durationMs: 1,
  tokenPresent: true,
});

describe('emulator request log', () => {
  it('trims the log to its limit and keeps exact counts by service, operation and status', () => {
    const ctx = { requests: [] as RequestLogEntry[], requestCounts: emptyRequestCounts() };
    for (let i = 1; i <= 25; i++)
      recordRequest(
        ctx,
        entry(i, i % 5 === 0 ? 'KeyVault_GetSecret' : 'Jobs_Get', i % 10 === 0 ? 429 : 200),
        10,
      );
    expect(ctx.requests.map((r) => r.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(ctx.requestCounts).toEqual({
      total: 25,
      dropped: 15,
      byService: { arm: 20, keyvault: 5 },
      byOperation: { 'arm Jobs_Get': 20, 'keyvault KeyVault_GetSecret': 5 },
      byStatus: { '200': 23, '429': 2 },
    });
  });
});
