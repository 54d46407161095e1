/**
 * A drill owns exactly what it creates (docs/security.md): a second drill whose database name or file prefix
 * could be confused with a running drill's is refused at start (409 over HTTP); and even when two such drills
 * do run at once (two starts racing past the check), each restores, loads, verifies and cleans only its own
 * data — the one keeping its data still has it afterwards.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrillHttpHandlers } from '../../src/functions/drills';
import { driverClient } from '../../src/host/driverClient';
import { nameCollision } from '../../src/lib/drill/collisions';
import { drillDatabaseName } from '../../src/lib/drill/names';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { ORCHESTRATORS } from '../../src/orchestrators/names';
import { waitUntil } from '../support/wait';
import {
  AZURITE_KEY,
  DEFAULT_SETTINGS,
  FAST_SETTINGS,
  FLEX_BI,
  SINGLE_BI,
  startDrillRig,
  TARGET_SERVER,
  type DrillRig,
} from '../support/drill';

const KV = 'https://kv-test.vault.azure.net/secrets';
let rig: DrillRig;

beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
}, 120_000);
afterAll(async () => {
  await rig?.stop();
});

const dbDrill = (databaseName: string, cleanup: Record<string, unknown> = { policy: 'always' }) => ({
  backupInstanceId: SINGLE_BI,
  target: { kind: 'database', serverId: TARGET_SERVER, secretUri: `${KV}/tgt-admin`, databaseName },
  verify: { tables: [{ name: 'public.orders', minRows: 1 }] },
  cleanup,
});

const filesDrill = (filePrefix: string, cleanup: Record<string, unknown> = { policy: 'always' }) => ({
  backupInstanceId: FLEX_BI,
  target: {
    kind: 'files',
    containerUrl: rig.containerUrl,
    filePrefix,
    load: { host: rig.drillServer.host, port: rig.drillServer.port, secretUri: rig.drillServer.secretUri },
  },
  cleanup,
});

async function databasesOn(server: string): Promise<string[]> {
  const c = new pg.Client({ ...rig.emu.ctx.servers.get(server)!.admin, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

/** Starts a drill that keeps its data, and waits until it is keeping it. */
async function keeper(request: unknown, drillId: string): Promise<void> {
  await rig.driver.start(
    ORCHESTRATORS.restoreDrill,
    { drillId, request: parseDrillRequest(request), trigger: { kind: 'test' }, settings: FAST_SETTINGS },
    drillId,
  );
  await waitUntil(
    () => {
      const s = rig.driver.getStatus(drillId)!;
      if (s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending')
        throw new Error(`keeper ${drillId} ended: ${JSON.stringify(s.output)}`);
      return (s.customStatus as { detail?: string } | undefined)?.detail?.startsWith('keeping');
    },
    { what: `keeper ${drillId} keeping its data`, timeoutMs: 120_000 },
  );
}

describe('a drill owns exactly what it creates', () => {
  it('names that could be confused are refused at start: equal labels, or one a prefix of the other', () => {
    const live = [
      { drillId: 'drill-a', request: parseDrillRequest(dbDrill('pgdrill_shared')) },
      { drillId: 'drill-f', request: parseDrillRequest(filesDrill('pgdrill-x-keepme')) },
    ];
    const mk = (req: unknown, id = 'drill-b') =>
      nameCollision({ drillId: id, request: parseDrillRequest(req) }, live);
    expect(mk(dbDrill('pgdrill_shared'))).toMatchObject({ drillId: 'drill-a', what: 'databaseName' });
    expect(mk(dbDrill('pgdrill_shared_more'))).toMatchObject({ what: 'databaseName' });
    expect(mk(filesDrill('pgdrill-x-keep'))).toMatchObject({ drillId: 'drill-f', what: 'filePrefix' });
    expect(mk(dbDrill('pgdrill_other'))).toBeUndefined();
    expect(mk(filesDrill('pgdrill-y'))).toBeUndefined();
    // A label crafted from another drill's full prefix is refused too.
    const theirs = 'pgdrill-x-keepme-drillf';
    expect(mk(filesDrill(theirs))).toMatchObject({ what: 'filePrefix' });
  });

  it('two drills with the same database label: the second is refused with 409; racing past it, both keep to their own', async () => {
    await keeper(dbDrill('pgdrill_shared', { policy: 'keep', keepFor: 'PT1H' }), 'drill-keeper-db');
    const keptName = drillDatabaseName('drill-keeper-db', 'pgdrill_shared');
    expect(await databasesOn('tgt-single')).toContain(keptName);
    // Over HTTP: refused, naming the field and the running drill.
    const client = driverClient(rig.driver);
    const http = createDrillHttpHandlers({ clientFor: () => client, settings: () => DEFAULT_SETTINGS });
    const res = await http.start(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/drills',
        body: { string: JSON.stringify(dbDrill('pgdrill_shared')) },
      }),
      new InvocationContext({ functionName: 'startDrill' }),
    );
    expect(res.status).toBe(409);
    expect(res.jsonBody).toMatchObject({
      error: { code: 'NameInUse', field: '/target/databaseName', runningDrillId: 'drill-keeper-db' },
    });
    // Racing past the check (started straight on the driver): a database of its own, the keeper's untouched.
    const { report } = await rig.run(dbDrill('pgdrill_shared'), 'drill-racer-db');
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(report.restored!.database!.name).not.toBe(keptName);
    expect(await databasesOn('tgt-single')).toContain(keptName);
    expect(await databasesOn('tgt-single')).not.toContain(report.restored!.database!.name);
    expect(rig.logs.some((l) => l.includes('reusing its job') && l.includes('drill-racer-db'))).toBe(false);
    rig.driver.raiseEvent('drill-keeper-db', 'cancelDrill', {});
    const done = await rig.driver.waitForCompletion('drill-keeper-db', 60_000);
    expect((done.output as { cleanup: { status: string } }).cleanup.status).toBe('done');
    expect(await databasesOn('tgt-single')).not.toContain(keptName);
  }, 120_000);

  it("file prefixes x-keepme and x-keep, racing past the start check: neither lists, loads or deletes the other's files", async () => {
    await keeper(filesDrill('pgdrill-x-keepme', { policy: 'keep', keepFor: 'PT1H' }), 'drill-keeper-files');
    const keptFiles = await blobsUnder('pgdrill-x-keepme');
    expect(keptFiles).toHaveLength(2); // one dump per database of the Flexible Server (billing, inventory)
    const { report } = await rig.run(filesDrill('pgdrill-x-keep'), 'drill-racer-files');
    expect(report.verdict, JSON.stringify(report.failure)).toBe('passed');
    expect(report.restored!.files!.map((f) => f.name).every((n) => n.startsWith('pgdrill-x-keep-'))).toBe(
      true,
    );
    expect(report.restored!.files!).toHaveLength(2);
    expect(report.restored!.files!.some((f) => keptFiles.includes(f.name))).toBe(false);
    expect(await blobsUnder('pgdrill-x-keepme')).toEqual(keptFiles);
    rig.driver.raiseEvent('drill-keeper-files', 'cancelDrill', {});
    await rig.driver.waitForCompletion('drill-keeper-files', 60_000);
    expect(await blobsUnder('pgdrill-x-keepme')).toEqual([]);
  }, 120_000);
});

async function blobsUnder(prefix: string): Promise<string[]> {
  const container = new ContainerClient(
    rig.containerUrl,
    new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
  );
  const names: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
  return names.sort();
}
