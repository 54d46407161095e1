/**
 * Tamper-evident evidence against Azurite, on one real drill's report saved as several drills of one backup
 * instance: each version's hash is the canonical report's, each links to the version saved before it (the
 * first to none), an older drill saved again keeps its link and leaves the head alone, two drills saving at once
 * still make one chain, every version is kept and verifies, and a single changed byte does not.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, reportHash, segregationOf } from '../../src/lib/drill/evidence';
import type { DrillReport } from '../../src/lib/drill/report';
import {
  azuriteConnectionString,
  SINGLE_BI,
  singleDatabaseRequest,
  startDrillRig,
  type DrillRig,
} from '../support/drill';

let rig: DrillRig;
let base: DrillReport;

beforeAll(async () => {
  rig = await startDrillRig({ backups: 1, archived: 0 });
  base = (await rig.run(singleDatabaseRequest())).report;
}, 180_000);
afterAll(async () => {
  await rig?.stop();
});

const as = (drillId: string, instance: string, minutes: number): DrillReport => {
  const { evidence: _e, ...rest } = base;
  return {
    ...rest,
    drillId,
    startedAt: new Date(Date.parse(base.startedAt) + minutes * 60_000).toISOString(),
    request: { ...base.request, backupInstanceId: instance },
  };
};

/** Every kept version of a drill's report, by the hash in its name. */
async function versions(drillId: string): Promise<Map<string, string>> {
  const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(
    `${rig.storagePrefix}-reports`,
  );
  const out = new Map<string, string>();
  for await (const b of container.listBlobsFlat({ prefix: `evidence/${drillId}/` }))
    out.set(
      b.name.split('/').pop()!.replace('.json', ''),
      (await container.getBlockBlobClient(b.name).downloadToBuffer()).toString('utf8'),
    );
  return out;
}

describe('evidence', () => {
  it('canonical JSON sorts keys at every level and drops undefined; the hash leaves out only itself', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 'x' }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":"x","z":1}]},"b":1}',
    );
    expect(base.evidence!.sha256).toBe(reportHash(base));
    expect(reportHash({ ...base, durationSeconds: base.durationSeconds + 0.01 })).not.toBe(
      base.evidence!.sha256,
    );
    expect(reportHash({ ...base, evidence: { ...base.evidence!, sha256: 'f'.repeat(64) } })).toBe(
      base.evidence!.sha256,
    );
  });

  it("the main job's report carries its evidence: hash, link, controls and segregation", () => {
    expect(base.evidence).toMatchObject({ previous: null, segregation: { sameServer: false } });
    expect(base.evidence!.controls.map((c) => c.clause)).toEqual([
      'A.8.13 Information backup',
      'A1.3',
      'Art. 12 Backup policies and restoration and recovery procedures',
      '45 CFR 164.308(a)(7)(ii)(D) Testing and revision procedures',
    ]);
    expect(base.evidence!.controls[0]!.proof).toContain(base.recoveryPoint!.id);
    expect(base.evidence!.segregation.statement).toMatch(/a server other than the source/);
    // Restoring onto the source server itself is said plainly.
    const source = base.datasource!.id.split('/databases/')[0]!;
    const onSource = segregationOf({
      ...base,
      request: { ...base.request, target: { ...base.request.target, serverId: source } as never },
    });
    expect(onSource).toMatchObject({ sameServer: true, sameResourceGroup: true, sameSubscription: true });
    expect(onSource.statement).toMatch(/not a segregated system/);
  });

  it('a chain per backup instance: each version links to the one before; an older drill saved again keeps its link', async () => {
    const bi = SINGLE_BI.replace('bi-single', 'bi-chain');
    const a = await rig.reports.save(as('drill-ev-a', bi, 1));
    const b = await rig.reports.save(as('drill-ev-b', bi, 2));
    const c = await rig.reports.save(as('drill-ev-c', bi, 3));
    expect(a.evidence.previous).toBeNull();
    expect(b.evidence.previous).toEqual({ drillId: 'drill-ev-a', sha256: a.evidence.sha256 });
    expect(c.evidence.previous).toEqual({ drillId: 'drill-ev-b', sha256: b.evidence.sha256 });
    // b saved again (its cleanup finished later): a new version with the same link; the next drill follows c.
    const b2 = await rig.reports.save({
      ...as('drill-ev-b', bi, 2),
      cleanup: { ...base.cleanup, sweptAt: '2026-12-02T00:00:00.000Z' },
    });
    expect(b2.evidence.previous).toEqual(b.evidence.previous);
    expect(b2.evidence.sha256).not.toBe(b.evidence.sha256);
    const d = await rig.reports.save(as('drill-ev-d', bi, 4));
    expect(d.evidence.previous).toEqual({ drillId: 'drill-ev-c', sha256: c.evidence.sha256 });
    // Every version is kept: b's old one (c links to it) and its new one, each verifying against its name.
    const kept = await versions('drill-ev-b');
    expect([...kept.keys()].sort()).toEqual([b.evidence.sha256, b2.evidence.sha256].sort());
    for (const [sha, text] of kept) expect(reportHash(JSON.parse(text) as DrillReport)).toBe(sha);
    // One changed byte and the version no longer verifies.
    const text = kept.get(b.evidence.sha256)!;
    const tampered = text.replace('"verdict": "passed"', '"verdict": "passes"');
    expect(tampered).not.toBe(text);
    expect(reportHash(JSON.parse(tampered) as DrillReport)).not.toBe(b.evidence.sha256);
    // Another instance has a chain of its own.
    const other = await rig.reports.save(
      as('drill-ev-other', SINGLE_BI.replace('bi-single', 'bi-chain-2'), 5),
    );
    expect(other.evidence.previous).toBeNull();
  });

  it('two drills of one instance saving at once still make one chain', async () => {
    const bi = SINGLE_BI.replace('bi-single', 'bi-race');
    const first = await rig.reports.save(as('drill-race-0', bi, 1));
    const [x, y] = await Promise.all([
      rig.reports.save(as('drill-race-x', bi, 2)),
      rig.reports.save(as('drill-race-y', bi, 2)),
    ]);
    const links = [x.evidence.previous, y.evidence.previous].map((p) => p!.drillId).sort();
    // One of them links to the first drill, the other to that one: never both to the first.
    expect(links).toEqual(
      [
        'drill-race-0',
        x.evidence.previous!.drillId === 'drill-race-0' ? 'drill-race-x' : 'drill-race-y',
      ].sort(),
    );
    expect(first.evidence.previous).toBeNull();
  });
});
