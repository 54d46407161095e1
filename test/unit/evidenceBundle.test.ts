/**
 * Evidence bundles, pure: a bundle of two chains verifies; one changed byte, a removed version (even with the
 * manifest rewritten to match), and an added file are each named.
 */
import { describe, expect, it } from 'vitest';
import { withEvidence } from '../../src/lib/drill/evidence';
import { buildManifest, sha256Hex, verifyBundle } from '../../src/lib/drill/evidenceBundle';
import type { DrillReport } from '../../src/lib/drill/report';

const BI =
  '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances';

function report(drillId: string, instance: string, minute: number): DrillReport {
  return {
    schemaVersion: 1,
    drillId,
    startedAt: new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString(),
    endedAt: new Date(Date.UTC(2026, 10, 1, 0, minute + 1)).toISOString(),
    durationSeconds: 60,
    request: {
      backupInstanceId: `${BI}/${instance}`,
      target: { kind: 'files', containerUrl: 'https://acct.blob.core.windows.net/drills' },
    },
    phases: [],
    verification: [{ check: 'connect', status: 'passed', message: 'ok' }],
    cleanup: { policy: 'always', status: 'done', actions: [] },
    verdict: 'passed',
  } as unknown as DrillReport;
}

/** Versions linked the way the store links them, and the bundle's files. */
function bundle() {
  const versions: DrillReport[] = [];
  let prev: { drillId: string; sha256: string } | null = null;
  for (const [i, id] of ['a1', 'a2', 'a3'].entries()) {
    const v = withEvidence(report(id, 'inst-a', i), prev);
    versions.push(v);
    prev = { drillId: id, sha256: v.evidence!.sha256 };
  }
  versions.push(withEvidence(report('b1', 'inst-b', 5), null));
  const files = new Map<string, string>();
  for (const v of versions)
    files.set(`reports/${v.drillId}/${v.evidence!.sha256}.json`, JSON.stringify(v, null, 2));
  files.set('index.html', '<html></html>');
  const manifest = buildManifest(files, versions, { since: '2026-11-01' }, '2026-12-02T00:00:00Z');
  const all = new Map<string, Uint8Array>([...files].map(([p, t]) => [p, Buffer.from(t)]));
  all.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return { versions, all, manifest };
}

describe('evidence bundles', () => {
  it('a bundle as exported verifies: every hash, both chains in order', () => {
    const { all, manifest, versions } = bundle();
    expect(manifest.chains[`${BI}/inst-a`.toLowerCase()]!.map((l) => l.drillId)).toEqual(['a1', 'a2', 'a3']);
    expect(verifyBundle(all)).toEqual({ ok: true, problems: [], versions: 4, chains: 2 });
    expect(manifest.files[`reports/a2/${versions[1]!.evidence!.sha256}.json`]).toBe(
      sha256Hex(JSON.stringify(versions[1], null, 2)),
    );
  });

  it('one changed byte in a report version is named', () => {
    const { all, versions } = bundle();
    const path = `reports/a2/${versions[1]!.evidence!.sha256}.json`;
    all.set(path, Buffer.from(Buffer.from(all.get(path)!).toString('utf8').replace('"passed"', '"passes"')));
    const v = verifyBundle(all);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      `${path}: changed (its SHA-256 is not the manifest's)`,
      `${path}: the report's content does not hash to its name (altered)`,
    ]);
  });

  it('a removed version is named, even when the manifest is rewritten to hide it', () => {
    const { all, versions } = bundle();
    const path = `reports/a2/${versions[1]!.evidence!.sha256}.json`;
    all.delete(path);
    expect(verifyBundle(all).problems).toContain(`${path}: listed in the manifest but missing`);
    // The manifest rewritten without it: the chain still gives it away (a3 links to a2, not to a1).
    const rest = versions.filter((x) => x.drillId !== 'a2');
    const files = new Map([...all].filter(([p]) => p !== 'manifest.json'));
    const forged = buildManifest(files, rest, {}, '2026-12-02T00:00:00Z');
    all.set('manifest.json', Buffer.from(JSON.stringify(forged)));
    const v = verifyBundle(all);
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/a3 \(.{12}\) links to a2 \(.{12}\), not to a1/);
  });

  it('a file added after the export is named', () => {
    const { all } = bundle();
    all.set('reports/extra.json', Buffer.from('{}'));
    expect(verifyBundle(all).problems).toEqual([
      'reports/extra.json: not in the manifest (added after the export)',
    ]);
  });
});
