/** The TLS policy for PostgreSQL connections (src/lib/postgres/connection.ts, docs/security.md). */
import { describe, expect, it } from 'vitest';
import { isLoopback, nodeSsl, tlsModeFor } from '../../src/lib/postgres/connection';

const strict = { allowUnverified: false };
const lenient = { allowUnverified: true };

describe('TLS policy', () => {
  it('servers not on this machine are verified (verify-full) unless the operator allows require', () => {
    const host = 'drill.postgres.database.azure.com';
    expect(tlsModeFor(host, undefined, strict)).toBe('verify-full');
    expect(tlsModeFor(host, 'Require', strict)).toBe('verify-full');
    expect(tlsModeFor(host, 'prefer', strict)).toBe('verify-full');
    expect(tlsModeFor(host, 'allow', strict)).toBe('verify-full');
    expect(tlsModeFor(host, 'require', lenient)).toBe('require');
    expect(tlsModeFor(host, 'verify-ca', strict)).toBe('verify-ca');
    expect(tlsModeFor(host, 'VerifyFull', strict)).toBe('verify-full');
    expect(tlsModeFor('10.0.0.5', 'require', strict)).toBe('verify-full');
  });

  it('no TLS only for loopback addresses; an unknown mode is named', () => {
    expect(() => tlsModeFor('db.example.com', 'disable', lenient)).toThrow(/only servers on this machine/);
    expect(tlsModeFor('127.0.0.1', 'disable', strict)).toBe('disable');
    expect(tlsModeFor('localhost', undefined, strict)).toBe('prefer');
    expect(tlsModeFor('::1', 'require', strict)).toBe('require');
    expect(() => tlsModeFor('127.0.0.1', 'sometimes', strict)).toThrow(/"sometimes" is not one of/);
    expect(isLoopback('127.12.0.1')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
    expect(isLoopback('localhost.evil.com')).toBe(false);
  });

  it('node-postgres gets certificate checks for the verify modes, none for require', () => {
    expect(nodeSsl('verify-full', 'db.example.com')).toMatchObject({
      rejectUnauthorized: true,
      servername: 'db.example.com',
    });
    expect(nodeSsl('verify-ca', 'db.example.com')).toMatchObject({ rejectUnauthorized: true });
    expect(nodeSsl('require', 'db.example.com')).toEqual({ rejectUnauthorized: false });
    expect(nodeSsl('prefer', '127.0.0.1')).toBe(false);
  });
});
