/**
 * `pgdrill evidence export|verify`: a self-contained evidence bundle of the drills in a range (every kept report
 * version named by its SHA-256, each drill's page, an index page, manifest.json), and its offline check.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildManifest, verifyBundle, type BundleManifest } from '../lib/drill/evidenceBundle';
import type { DrillReport } from '../lib/drill/report';
import { renderReportHtml } from '../lib/drill/reportPage';
import { call, failure, type Connection } from './http';

/** The fields of a history row the bundle reads. */
interface FinishedDrill {
  drillId: string;
  verdict: string;
  startedAt: string;
  backupInstanceId?: string;
  sha256?: string;
}

/** Recomputes every hash and chain of the bundle in `dir`; exit 0 only if nothing was altered or removed. */
export function verifyEvidence(dir: string, json: boolean): number {
  const files = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else files.set(p, readFileSync(join(dir, p)));
    }
  };
  try {
    walk('');
  } catch (err) {
    throw new Error(`cannot read the bundle ${dir}: ${(err as Error).message}`);
  }
  const verdict = verifyBundle(files);
  if (json) process.stdout.write(JSON.stringify(verdict) + '\n');
  else {
    for (const p of verdict.problems) process.stdout.write(`FAIL ${p}\n`);
    process.stdout.write(
      verdict.ok
        ? `bundle verified: ${verdict.versions} report version(s), ${verdict.chains} chain(s), every hash and link intact\n`
        : `bundle NOT verified: ${verdict.problems.length} problem(s)\n`,
    );
  }
  return verdict.ok ? 0 : 1;
}

/** Writes the bundle of the drills in `range` (already checked) to `out`. */
export async function exportEvidence(
  conn: Connection,
  out: string,
  range: BundleManifest['range'],
): Promise<number> {
  const params = new URLSearchParams({ top: '200' });
  if (range.since) params.set('since', range.since);
  if (range.until) params.set('until', range.until);
  if (range.backupInstance) params.set('backupInstance', range.backupInstance);
  const drills: FinishedDrill[] = [];
  for (let path: string | undefined = `/api/drills?${params.toString()}`; path;) {
    const s = await call(conn, 'GET', path);
    if (s.status !== 200) throw failure(s, 'evidence export');
    drills.push(...((s.body.finished ?? []) as unknown as FinishedDrill[]));
    path = s.body.nextLink;
  }
  const files = new Map<string, string>();
  const versions: DrillReport[] = [];
  const index: string[][] = [];
  for (const d of drills) {
    const s = await call(conn, 'GET', `/api/drills/${encodeURIComponent(d.drillId)}/evidence`);
    if (s.status === 404) continue; // saved before evidence was kept
    if (s.status !== 200) throw failure(s, `evidence of ${d.drillId}`);
    const kept = (s.body as unknown as { versions: { sha256: string; text: string }[] }).versions;
    const parsed = kept.map((v) => ({ ...v, report: JSON.parse(v.text) as DrillReport }));
    for (const v of parsed) {
      files.set(`reports/${d.drillId}/${v.sha256}.json`, v.text);
      versions.push(v.report);
    }
    // The drill's page: its newest version (the one no other version of it links to is the last saved).
    const newest = parsed.find((v) => v.sha256 === d.sha256) ?? parsed[parsed.length - 1]!;
    files.set(`reports/${d.drillId}.html`, renderReportHtml(newest.report));
    index.push([d.drillId, d.backupInstanceId ?? '', d.verdict, d.startedAt, newest.sha256]);
  }
  files.set('index.html', renderBundleIndex(index, range));
  const manifest = buildManifest(files, versions, range, new Date().toISOString());
  for (const [p, text] of files) {
    mkdirSync(dirname(join(out, p)), { recursive: true });
    writeFileSync(join(out, p), text);
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(
    `evidence bundle written to ${out}: ${index.length} drill(s), ${versions.length} report version(s), ${Object.keys(manifest.chains).length} chain(s); check it with pgdrill evidence verify ${out}\n`,
  );
  return 0;
}

/** The bundle's index page: self-contained, one row per drill. */
function renderBundleIndex(rows: string[][], range: BundleManifest['range']): string {
  const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Restore drill evidence</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}code{font-size:12px}</style></head><body>
<h1>Restore drill evidence</h1><p>Drills ${esc(range.since ?? 'from the start')} to ${esc(range.until ?? 'now')}${range.backupInstance ? ` of ${esc(range.backupInstance)}` : ''}. Every file's SHA-256 is in manifest.json; <code>pgdrill evidence verify</code> checks them and each backup instance's chain.</p>
<table><tr><th>drill</th><th>backup instance</th><th>verdict</th><th>started</th><th>report SHA-256</th></tr>${rows
    .map(
      ([id, bi, v, at, sha]) =>
        `<tr><td><a href="reports/${esc(id!)}.html">${esc(id!)}</a></td><td>${esc(bi!)}</td><td>${esc(v!)}</td><td>${esc(at!)}</td><td><code>${esc(sha!)}</code></td></tr>`,
    )
    .join('')}</table></body></html>
`;
}
