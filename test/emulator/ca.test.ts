/**
 * The local CA is made once when processes start at the same time (test workers, an emulator, the demo): each
 * one ends up trusting the same certificate, and no lock or half-written file is left behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'pgdrill-ca-race-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeCa(): Promise<string> {
  const script = `const { createHash } = require('node:crypto');
const { loadOrCreateCa } = require(${JSON.stringify(join(root, 'dist', 'emulator', 'tls.js'))});
const ca = loadOrCreateCa(${JSON.stringify(join(dir, 'ca'))});
process.stdout.write(createHash('sha256').update(ca.caCertPem + ca.caKeyPem).digest('hex'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
  });
}

describe('local CA', () => {
  it('six processes creating it at once all get one and the same CA; no lock or temporary file remains', async () => {
    const digests = await Promise.all(Array.from({ length: 6 }, makeCa));
    expect(digests[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(digests).size).toBe(1);
    expect(readdirSync(join(dir, 'ca')).sort()).toEqual(['ca-key.pem', 'ca.pem']);
    // Made once: a later process loads it.
    expect(await makeCa()).toBe(digests[0]);
  });
});
