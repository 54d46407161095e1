/**
 * The main job (`npm start` = node dist/demo/main.js) and the pgdrill CLI, as a user runs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportHash } from '../../src/lib/drill/evidence';
import { validateReport } from '../support/report';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

describe('main job and CLI', () => {
  it('the demo with --json prints exactly three passed reports (one cross-region) and where their pages are on stdout, and exits 0', () => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS; // as on a user's shell: the demo sets up its own trust
    const r = spawnSync(process.execPath, [join(root, 'dist', 'demo', 'main.js'), '--json'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    const reports = lines.slice(0, 3).map((l) => JSON.parse(l));
    // Then the local copies of each report and its page, which the human output prints too.
    const { reportFiles } = JSON.parse(lines[3]!) as {
      reportFiles: { drillId: string; html: string; json: string }[];
    };
    expect(reportFiles.map((f) => f.drillId)).toEqual(reports.map((x) => x.drillId));
    for (const f of reportFiles) {
      expect(f.html).toBe(join(root, '.tmp', 'reports', `${f.drillId}.html`));
      const page = readFileSync(f.html, 'utf8');
      expect(page).toContain('<span class="badge badge-passed" id="verdict">PASSED</span>');
      expect(page).not.toMatch(/<script/i);
      expect(JSON.parse(readFileSync(f.json, 'utf8'))).toEqual(reports.find((x) => x.drillId === f.drillId));
      expect(r.stderr).toContain(`  ${f.html}  ${f.json}`);
    }
    for (const report of reports) {
      expect(validateReport(report)).toEqual([]);
      expect(report.verdict).toBe('passed');
      // Evidence: the report's own hash (it verifies) and its link (the demo's first drill of each instance).
      expect(report.evidence.sha256).toBe(reportHash(report));
      expect(report.evidence).toHaveProperty('previous');
      expect(report.evidence.controls).toHaveLength(4);
    }
    expect(reports.map((x) => x.request.target.kind).sort()).toEqual(['database', 'files', 'files']);
    // The disaster-recovery drill: restored in the vault's paired region from a secondary point, which trails
    // the primary by the demo's replication delay (an hour).
    const dr = reports.filter((x) => x.request.restoreFrom === 'secondaryRegion');
    expect(dr).toHaveLength(1);
    expect(dr[0].crossRegion).toMatchObject({ sourceRegion: 'westus', restoreRegion: 'eastus' });
    expect(dr[0].crossRegion.replicationLagSeconds).toBeGreaterThanOrEqual(0);
    expect(dr[0].crossRegion.regionalRpoSeconds).toBeGreaterThanOrEqual(3600);
    expect(r.stderr).toContain('all three drills passed');
  }, 180_000);

  it('pgdrill: --help everywhere, usage errors exit 2 on stderr, an unreachable host exits 1', () => {
    const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/run <request.json>[\s\S]*serve[\s\S]*demo/);
    for (const cmd of ['run', 'status', 'list', 'report', 'cancel', 'serve', 'demo']) {
      expect(execFileSync(process.execPath, [cli, cmd, '--help'], { encoding: 'utf8' })).toContain(
        `pgdrill ${cmd}`,
      );
    }
    const usage = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown command "frobnicate"');
    const noFile = spawnSync(process.execPath, [cli, 'run'], { encoding: 'utf8' });
    expect(noFile.status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'pgdrill-cli-'));
    writeFileSync(join(dir, 'r.json'), '{}');
    const down = spawnSync(
      process.execPath,
      [cli, 'run', join(dir, 'r.json'), '--url', 'http://127.0.0.1:9'],
      { encoding: 'utf8' },
    );
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(down.stdout).toBe('');
  });
});
