/**
 * Evidence bundles (pure): what `pgdrill evidence export` writes and `pgdrill evidence verify` checks. A bundle
 * is a folder: `reports/{drill}/{sha256}.json` (every kept version of each drill's report, named by its hash),
 * `reports/{drill}.html` (the newest version's page), `index.html`, and `manifest.json` (the SHA-256 of every
 * other file, and each backup instance's chain in order). Verifying recomputes every hash and follows every
 * chain: a changed byte, a removed or added file, or a broken link is named.
 */
import { createHash } from 'node:crypto';
import type { DrillReport } from '../types/generated/drill-report';
import { reportHash } from './evidence';

export interface BundleManifest {
  format: 'pgdrill-evidence-bundle/1';
  generatedAt: string;
  range: { since?: string; until?: string; backupInstance?: string };
  /** Every file of the bundle but the manifest, with the SHA-256 of its bytes. */
  files: Record<string, string>;
  /** Per backup instance, its report versions oldest first: drill id and hash. */
  chains: Record<string, { drillId: string; sha256: string }[]>;
}

export const sha256Hex = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/**
 * Orders a backup instance's versions by their links: the one whose `previous` is not among them first (the
 * chain may start before the bundle's range), then each version that links to the one before.
 */
export function orderChain(versions: DrillReport[]): DrillReport[] {
  const byHash = new Map(versions.map((v) => [v.evidence!.sha256, v]));
  const linkedTo = new Set(versions.map((v) => v.evidence!.previous?.sha256).filter(Boolean));
  const ordered: DrillReport[] = [];
  // Follow links backwards from each version nothing links to (the newest), then reverse.
  for (const head of versions.filter((v) => !linkedTo.has(v.evidence!.sha256))) {
    const chain: DrillReport[] = [];
    for (let v: DrillReport | undefined = head; v && !chain.includes(v);) {
      chain.push(v);
      const prev: string | undefined = v.evidence!.previous?.sha256;
      v = prev ? byHash.get(prev) : undefined;
    }
    ordered.push(...chain.reverse().filter((v) => !ordered.includes(v)));
  }
  return ordered;
}

export function buildManifest(
  files: Map<string, Uint8Array | string>,
  versions: DrillReport[],
  range: BundleManifest['range'],
  generatedAt: string,
): BundleManifest {
  const chains: BundleManifest['chains'] = {};
  const byInstance = new Map<string, DrillReport[]>();
  for (const v of versions) {
    const key = v.request.backupInstanceId.toLowerCase();
    byInstance.set(key, [...(byInstance.get(key) ?? []), v]);
  }
  for (const [instance, list] of [...byInstance].sort(([a], [b]) => a.localeCompare(b)))
    chains[instance] = orderChain(list).map((v) => ({ drillId: v.drillId, sha256: v.evidence!.sha256 }));
  return {
    format: 'pgdrill-evidence-bundle/1',
    generatedAt,
    range,
    files: Object.fromEntries(
      [...files].sort(([a], [b]) => a.localeCompare(b)).map(([p, b]) => [p, sha256Hex(b)]),
    ),
    chains,
  };
}

export interface BundleVerdict {
  ok: boolean;
  /** What is wrong, one line each, naming the file or drill. */
  problems: string[];
  /** How many report versions verified, and how many chains. */
  versions: number;
  chains: number;
}

/** Checks a bundle read into memory (path → bytes, manifest.json among them). */
export function verifyBundle(files: Map<string, Uint8Array>): BundleVerdict {
  const problems: string[] = [];
  const manifestBytes = files.get('manifest.json');
  if (!manifestBytes) return { ok: false, problems: ['manifest.json is missing'], versions: 0, chains: 0 };
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as BundleManifest;
  } catch (err) {
    return {
      ok: false,
      problems: [`manifest.json is not JSON: ${(err as Error).message}`],
      versions: 0,
      chains: 0,
    };
  }
  if (manifest.format !== 'pgdrill-evidence-bundle/1')
    problems.push(`manifest.json: unknown format ${JSON.stringify(manifest.format)}`);
  for (const [path, expected] of Object.entries(manifest.files ?? {})) {
    const bytes = files.get(path);
    if (!bytes) problems.push(`${path}: listed in the manifest but missing`);
    else if (sha256Hex(bytes) !== expected)
      problems.push(`${path}: changed (its SHA-256 is not the manifest's)`);
  }
  for (const path of files.keys())
    if (path !== 'manifest.json' && !(path in (manifest.files ?? {})))
      problems.push(`${path}: not in the manifest (added after the export)`);
  // Every report version: its own hash is its name and its content's.
  const versions = new Map<string, DrillReport>();
  for (const [path, bytes] of files) {
    const m = /^reports\/([^/]+)\/([0-9a-f]{64})\.json$/.exec(path);
    if (!m) continue;
    let report: DrillReport;
    try {
      report = JSON.parse(Buffer.from(bytes).toString('utf8')) as DrillReport;
    } catch {
      problems.push(`${path}: not JSON`);
      continue;
    }
    const actual = reportHash(report);
    if (report.evidence?.sha256 !== m[2] || actual !== m[2])
      problems.push(`${path}: the report's content does not hash to its name (altered)`);
    if (report.drillId !== m[1]) problems.push(`${path}: holds drill ${report.drillId}, not ${m[1]}`);
    versions.set(m[2]!, report);
  }
  // Every chain: each version links to the one before it in the manifest; the first may start outside.
  for (const [instance, chain] of Object.entries(manifest.chains ?? {})) {
    chain.forEach((link, i) => {
      const v = versions.get(link.sha256);
      if (!v)
        return problems.push(`chain of ${instance}: version ${link.sha256} of ${link.drillId} is missing`);
      if (i === 0) return;
      const before = chain[i - 1]!;
      const prev = v.evidence?.previous;
      if (!prev || prev.sha256 !== before.sha256)
        problems.push(
          `chain of ${instance}: ${link.drillId} (${link.sha256.slice(0, 12)}) links to ${prev ? `${prev.drillId} (${prev.sha256.slice(0, 12)})` : 'nothing'}, not to ${before.drillId} (${before.sha256.slice(0, 12)}): a version was removed or replaced`,
        );
    });
  }
  return {
    ok: problems.length === 0,
    problems,
    versions: versions.size,
    chains: Object.keys(manifest.chains ?? {}).length,
  };
}
