/**
 * The standalone host's boundary (docs/security.md), as a real process: a generated corpus of over 500 bad
 * inputs — drill requests broken field by field, bodies that are not requests, ids that cannot be ids, keys
 * that are not keys, slow and oversized bodies, queue messages — gets no 5xx, crashes nothing and starts no
 * drill; every refused drill request names its field. The Durable API answers only to the system key.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcp } from 'node:net';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteProcess } from '../../emulator/storage';
import { MAX_REQUEST_BYTES } from '../../src/lib/drill/request';
import { azuriteConnectionString } from '../support/drill';
import { call, KEY, startHostProcess, type Host } from '../support/host';
import { waitUntil } from '../support/wait';

const SUB = '11111111-2222-4333-8444-555555555555';
const SYSTEM_KEY = 'boundary-system-key-0123456789';
const hub = `bnd${randomBytes(3).toString('hex')}`;
const queueName = 'drill-requests';
let host: Host;
/** The host's own storage: the bad queue messages below reach no other test file's host. */
let storage: AzuriteProcess;

const VALID = {
  backupInstanceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/bi`,
  label: 'boundary',
  recoveryPoint: { policy: 'latest' },
  target: {
    kind: 'database',
    serverId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/t`,
    secretUri: 'https://kv.vault.azure.net/secrets/s',
  },
  verify: {
    statementTimeoutMs: 1000,
    tables: [{ name: 'public.orders', minRows: 1 }],
    assertions: [{ name: 'a', sql: 'SELECT 1', expected: 1 }],
  },
  cleanup: { policy: 'always' },
  deadline: 'PT1H',
};

const FILES = {
  backupInstanceId: VALID.backupInstanceId,
  target: {
    kind: 'files',
    containerUrl: 'https://acct.blob.core.windows.net/c',
    load: { host: 'drill.example.com', port: 5432, secretUri: 'https://kv.vault.azure.net/secrets/d' },
  },
};

/** Sets the value at a JSON pointer of a deep copy (undefined deletes the field). */
function withAt(doc: unknown, pointer: string, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const parts = pointer.split('/').slice(1);
  let at: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const BAD: Record<string, unknown[]> = {
  '/backupInstanceId': [
    undefined,
    1,
    '',
    'x',
    null,
    [],
    {},
    '/subscriptions/x',
    `${VALID.backupInstanceId}/extra`,
    'a'.repeat(5000),
  ],
  '/label': [1, null, [], {}, true],
  '/recoveryPoint': [null, 'latest', [], 1],
  '/recoveryPoint/policy': [undefined, 'sometimes', 1, null, ''],
  '/target': [undefined, null, 'database', [], {}],
  '/target/kind': [undefined, 'disk', 1, null, 'DATABASE'],
  '/target/serverId': [undefined, 'nope', 1, null, '/subscriptions/x/resourceGroups/y'],
  '/target/secretUri': [undefined, 'http://kv.vault.azure.net/secrets/s', 'not a uri', 1, null, ''],
  '/target/databaseName': ['evil', 'pgdrill_UPPER', 1, '', 'pgdrill_' + 'x'.repeat(100), 'pgdrill_a;drop'],
  '/target/extra': ['x', 1],
  '/verify': [null, 'x', []],
  '/verify/statementTimeoutMs': [-5, 'x', null, 0.5, 1e12],
  '/verify/tables': [null, 'x', {}],
  '/verify/tables/0/name': [undefined, 5, null, ''],
  '/verify/tables/0/minRows': [-1, 'x', null, 1.5],
  '/verify/assertions/0/sql': [undefined, 5, null, ''],
  '/verify/assertions/0/name': [undefined, 5, null],
  '/verify/assertions/0/extra': [1],
  '/cleanup': [null, 'always', []],
  '/cleanup/policy': ['maybe', 1, null],
  '/deadline': ['x', 'PT0S', -1, null, 'P-1D', ''],
  '/idempotencyKey': ['has space', 'x'.repeat(100), '../../etc', 1, '', 'a/b', 'ü'],
  '/rehydration': ['x', { priority: 'Urgent' }, { retentionDays: 5 }],
  '/targets': ['x', { rtoMinutes: -1 }, { rpoHours: 'x' }],
  '/unknownField': [1, 'x', null],
};

const BAD_FILES: Record<string, unknown[]> = {
  '/target/containerUrl': [undefined, 'ftp://x/c', 'not a url', 1, ''],
  '/target/filePrefix': ['x', 'pgdrill-/../x', 1, ''],
  '/target/load/host': [undefined, 5, null],
  '/target/load/port': [0, 70000, 'x', -1],
  '/target/load/secretUri': [undefined, 'http://x', 1],
  '/target/load/jobs': [0, -1, 'x', 1000],
  '/target/load/extra': [1],
};

/** The type each field has; junk of any other type is invalid there. */
const TYPES: Record<string, 'string' | 'object' | 'number' | 'array'> = {
  '/backupInstanceId': 'string',
  '/label': 'string',
  '/recoveryPoint': 'object',
  '/recoveryPoint/policy': 'string',
  '/target': 'object',
  '/target/kind': 'string',
  '/target/serverId': 'string',
  '/target/secretUri': 'string',
  '/target/databaseName': 'string',
  '/verify': 'object',
  '/verify/statementTimeoutMs': 'number',
  '/verify/tables': 'array',
  '/verify/tables/0': 'object',
  '/verify/tables/0/name': 'string',
  '/verify/tables/0/minRows': 'number',
  '/verify/assertions': 'array',
  '/verify/assertions/0': 'object',
  '/verify/assertions/0/sql': 'string',
  '/verify/assertions/0/name': 'string',
  '/cleanup': 'object',
  '/cleanup/policy': 'string',
  '/deadline': 'string',
  '/idempotencyKey': 'string',
  '/rehydration': 'object',
  '/targets': 'object',
};

const JUNK: Record<string, unknown[]> = {
  string: [true, -3.5, 0, [[]], { a: 1 }, [`'; DROP TABLE x; --`]],
  object: [true, -3.5, 'str', [[]], ['a'], '{}'],
  number: ['1', true, [[]], { n: 1 }, '1e3', 'NaN'],
  array: [true, -3.5, 'str', { 0: 1 }, '[]', 7],
};

function requestCorpus(): { name: string; body: string; pointer?: string }[] {
  const out: { name: string; body: string; pointer?: string }[] = [];
  for (const [pointer, values] of Object.entries(BAD))
    for (const v of values)
      out.push({
        name: `${pointer}=${JSON.stringify(v)?.slice(0, 40)}`,
        body: JSON.stringify(withAt(VALID, pointer, v)),
        pointer,
      });
  for (const [pointer, values] of Object.entries(BAD_FILES))
    for (const v of values)
      out.push({
        name: `files ${pointer}=${JSON.stringify(v)?.slice(0, 40)}`,
        body: JSON.stringify(withAt(FILES, pointer, v)),
        pointer,
      });
  for (const [pointer, type] of Object.entries(TYPES))
    for (const v of JUNK[type]!)
      out.push({
        name: `${pointer}:${type} junk ${JSON.stringify(v)}`,
        body: JSON.stringify(withAt(VALID, pointer, v)),
        pointer,
      });
  // Prototype keys and duplicate keys are plain unknown fields (refused), never merged into anything.
  for (const key of ['__proto__', 'constructor', 'prototype'])
    out.push({
      name: `root ${key}`,
      body: JSON.stringify(VALID).replace(/^\{/, `{"${key}":{"polluted":true},`),
      pointer: `/${key}`,
    });
  out.push({
    name: 'duplicate target',
    body: JSON.stringify(VALID).replace(/^\{/, '{"target":1,'),
    pointer: '/target',
  });
  const bodies = [
    '',
    'null',
    'true',
    '1',
    '"x"',
    '[]',
    '{}',
    '[{}]',
    '{',
    '}',
    '{"a":',
    'not json',
    '\u0000',
    '{"a":1,}',
    "{'a':1}",
    '['.repeat(5000) + ']'.repeat(5000),
    '{"backupInstanceId":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
    JSON.stringify({ ...VALID, label: 'x'.repeat(70_000) }),
  ];
  for (const b of bodies) out.push({ name: `body ${JSON.stringify(b.slice(0, 20))}`, body: b });
  return out;
}

const DOT_SEGMENTS = ['..', '%2E%2E'];
const BAD_IDS = [
  '%',
  '%zz',
  '%E0%A4%A',
  'a%2Fb',
  '%00',
  'a%00b',
  '%0A',
  'x'.repeat(300),
  'a b',
  'a%20b',
  '..',
  '%2E%2E',
  'drill-<script>',
  'ü',
  '%C3%BC',
  'a;b',
  "a'b",
  'a"b',
  'a|b',
  'a`b',
];

beforeAll(async () => {
  storage = await startAzurite();
  host = await startHostProcess({
    ...(process.env as Record<string, string>),
    AzureWebJobsStorage: azuriteConnectionString(storage),
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:01',
    DURABLE_TASK_HUB_NAME: hub,
    DRILL_REPORTS_TABLE: `${hub}Reports`,
    DRILL_REPORTS_CONTAINER: `${hub}-reports`,
    DRILL_FUNCTION_KEY: KEY,
    DRILL_SYSTEM_KEY: SYSTEM_KEY,
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await storage?.stop();
});

/** After each test: the host still runs, answered no 5xx, started no drill, and logged no key. */
async function expectHostUnharmed(): Promise<void> {
  expect(host.child.exitCode).toBeNull();
  const list = await fetch(`${host.url}/runtime/webhooks/durabletask/instances?code=${SYSTEM_KEY}`);
  expect(await list.json()).toEqual([]);
  expect((await call(host, 'GET', '/api/drills')).body.running).toEqual([]);
  expect(host.logs.filter((l) => /"status":5\d\d/.test(l))).toEqual([]);
  expect(host.logs.join('\n')).not.toContain(KEY);
  expect(host.logs.join('\n')).not.toContain(SYSTEM_KEY);
}

describe('the standalone host boundary', () => {
  const results: { input: string; status: number }[] = [];

  afterAll(() => {
    const by = new Map<number, number>();
    for (const r of results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
    console.log(
      `boundary corpus: ${results.length} inputs; answers ${[...by].map(([s, n]) => `${s}×${n}`).join(', ')}`,
    );
  });

  it('bad drill requests: each refused with 400 naming the field (413 when over the size limit), none starts a drill', async () => {
    const corpus = requestCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    for (const c of corpus) {
      const res = await fetch(`${host.url}/api/drills`, {
        method: 'POST',
        headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
        body: c.body,
      });
      const text = await res.text();
      results.push({ input: c.name, status: res.status });
      const expected = Buffer.byteLength(c.body) > MAX_REQUEST_BYTES ? 413 : 400;
      expect(res.status, `${c.name}: ${res.status} ${text.slice(0, 200)}`).toBe(expected);
      const body = JSON.parse(text);
      // A refused request names the field that was broken (or the object it is in, or one inside it).
      if (c.pointer && body.error.code === 'InvalidDrillRequest') {
        const pointers: string[] = body.error.errors.map((e: any) => e.pointer);
        const related = (p: string) => p !== '' && (c.pointer!.startsWith(p) || p.startsWith(c.pointer!));
        expect(pointers.some(related), `${c.name}: ${pointers.join(', ')}`).toBe(true);
      }
    }
    await expectHostUnharmed();
  }, 120_000);

  it('bad ids are 400 naming the id; a path the URL rules turn into another route is 404', async () => {
    for (const id of BAD_IDS) {
      for (const [method, path] of [
        ['GET', `/api/drills/${id}`],
        ['POST', `/api/drills/${id}/cancel`],
        ['GET', `/runtime/webhooks/durabletask/instances/${id}?code=${SYSTEM_KEY}`],
        ['GET', `/durabletask/${SYSTEM_KEY}/instances/${id}`],
      ] as const) {
        const res = await fetch(`${host.url}${path}`, { method, headers: { 'x-functions-key': KEY } });
        results.push({ input: `${method} ${path}`, status: res.status });
        // '..' is resolved by the URL rules before any route sees it: no function lives there.
        const expected = DOT_SEGMENTS.includes(id) ? 404 : 400;
        expect(res.status, `${method} ${path}`).toBe(expected);
      }
    }
    await expectHostUnharmed();
  }, 60_000);

  it('keys: wrong, empty, near-miss or the wrong kind are refused; the Durable API takes only the system key', async () => {
    const keys = ['', 'x', KEY.slice(0, -1), KEY + 'x', KEY.toUpperCase(), SYSTEM_KEY, ' ' + KEY];
    for (const k of keys) {
      for (const path of ['/api/drills', '/', '/admin/host/status']) {
        const res = await fetch(`${host.url}${path}?code=${encodeURIComponent(k)}`);
        results.push({ input: `key ${path}`, status: res.status });
        // The system key is the Durable API's, not the functions'.
        expect(res.status, `${path} ${k}`).toBe(401);
      }
      const hook = await fetch(
        `${host.url}/runtime/webhooks/durabletask/instances?code=${encodeURIComponent(k)}`,
      );
      results.push({ input: 'key hook', status: hook.status });
      expect(hook.status).toBe(k === SYSTEM_KEY ? 200 : 401);
      const rpc = await fetch(`${host.url}/durabletask/${encodeURIComponent(k) || 'x'}/instances`);
      results.push({ input: 'key rpc', status: rpc.status });
      expect(rpc.status).toBe(k === SYSTEM_KEY ? 200 : 401);
    }
    // The function key opens the app's API but not the Durable one.
    expect((await fetch(`${host.url}/runtime/webhooks/durabletask/instances?code=${KEY}`)).status).toBe(401);
    expect((await fetch(`${host.url}/durabletask/instances`)).status).toBe(401);
    await expectHostUnharmed();
  });

  it('malformed JSON to the Durable API is a 400; a start there with bad input cannot crash the host', async () => {
    for (const body of ['{', 'not json', '['.repeat(3000)]) {
      const res = await fetch(`${host.url}/durabletask/${SYSTEM_KEY}/orchestrators/restoreDrill/bad-input`, {
        method: 'POST',
        body,
      });
      results.push({ input: 'durable start', status: res.status });
      expect(res.status).toBe(400);
      const raise = await fetch(`${host.url}/durabletask/${SYSTEM_KEY}/instances/nobody/raiseEvent/x`, {
        method: 'POST',
        body,
      });
      results.push({ input: 'durable raise', status: raise.status });
      expect(raise.status).toBeLessThan(500);
    }
    const unknown = await fetch(`${host.url}/durabletask/${SYSTEM_KEY}/orchestrators/noSuchOrchestrator/x`, {
      method: 'POST',
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    await expectHostUnharmed();
  });

  it('a body over the limit is answered 413 and the connection closed; a body that never ends is answered 408', async () => {
    const big = await fetch(`${host.url}/api/drills`, {
      method: 'POST',
      headers: { 'x-functions-key': KEY },
      body: 'x'.repeat(2 * 1024 * 1024),
    }).catch((err: unknown) => err);
    expect(big instanceof Response ? big.status : String(big)).toBe(413);
    results.push({ input: '2 MB body', status: 413 });
    // Headers promise 100 bytes; 10 arrive; then nothing.
    const answer = await new Promise<string>((resolve) => {
      const s = tcp(Number(new URL(host.url).port), '127.0.0.1', () => {
        s.write(
          `POST /api/drills HTTP/1.1\r\nHost: x\r\nx-functions-key: ${KEY}\r\ncontent-length: 100\r\n\r\n0123456789`,
        );
      });
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    results.push({ input: 'slow body', status: 408 });
    await expectHostUnharmed();
  }, 60_000);

  it('bad queue messages all end in the poison queue as they were, and start nothing', async () => {
    const qs = QueueServiceClient.fromConnectionString(azuriteConnectionString(storage));
    const queue = qs.getQueueClient(queueName);
    const poison = qs.getQueueClient(`${queueName}-poison`);
    for (const q of [queue, poison]) {
      await q.createIfNotExists();
      await q.clearMessages();
    }
    const messages = requestCorpus()
      .filter((c) => Buffer.byteLength(c.body) < 40_000)
      .slice(0, 120)
      .map((c) => c.body)
      .filter((b) => b !== '');
    for (const m of messages) await queue.sendMessage(Buffer.from(m).toString('base64'));
    const seen: string[] = [];
    await waitUntil(
      async () => {
        const { receivedMessageItems } = await poison.receiveMessages({ numberOfMessages: 32 });
        for (const r of receivedMessageItems) {
          seen.push(Buffer.from(r.messageText, 'base64').toString('utf8'));
          await poison.deleteMessage(r.messageId, r.popReceipt);
        }
        return seen.length >= messages.length;
      },
      {
        what: `${messages.length} poison messages`,
        timeoutMs: 150_000,
        everyMs: 200,
        detail: () => `${seen.length} seen`,
      },
    );
    for (const m of messages) results.push({ input: `queue message ${m.slice(0, 20)}`, status: 0 });
    expect(seen.sort()).toEqual([...messages].sort());
    await expectHostUnharmed();
  }, 180_000);
});
