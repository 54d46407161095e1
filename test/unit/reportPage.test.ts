/**
 * The report page, pure (src/lib/drill/reportPage.ts): hostile values come out inert, expected and actual values
 * are written for people, failed checks are marked in words and colour, the verify phase never says "succeeded"
 * beside a failed check, a cancelled drill says nothing was restored, and the timeline has a bar per phase (and one
 * for Azure's job). The page in a real browser: test/e2e/reportPage.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { withEvidence } from '../../src/lib/drill/evidence';
import type { DrillReport } from '../../src/lib/drill/report';
import { readable, renderReportHtml, REPORT_PAGE_CSP, when } from '../../src/lib/drill/reportPage';
import { validateReport } from '../support/report';

const SUB = '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers';
const BI = `${SUB}/Microsoft.DataProtection/backupVaults/v/backupInstances/bi-shop`;
const SERVER = `${SUB}/Microsoft.DBforPostgreSQL/servers/drill-target`;
const T0 = Date.UTC(2026, 10, 1, 10, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A passed Single Server drill, as buildReport makes one (times on a 60 s drill). */
function passed(): DrillReport {
  const phases: DrillReport['phases'] = (
    [
      ['resolve', 0, 1],
      ['select', 1, 2],
      ['prepare', 2, 2],
      ['validate', 2, 10],
      ['restore', 10, 45],
      ['verify', 45, 50],
      ['cleanup', 50, 58],
      ['report', 58, 58],
    ] as const
  ).map(([name, from, to]) => ({
    name,
    status: 'succeeded',
    startedAt: at(from),
    endedAt: at(to),
    durationSeconds: to - from,
  }));
  const report: DrillReport = {
    schemaVersion: 1,
    drillId: 'drill-page-1',
    label: 'weekly shop drill',
    trigger: { kind: 'http' },
    startedAt: at(0),
    endedAt: at(58),
    durationSeconds: 58,
    request: {
      backupInstanceId: BI,
      target: { kind: 'database', serverId: SERVER, secretUri: 'https://kv.vault.azure.net/secrets/s' },
      targets: { rtoMinutes: 15, rpoHours: 26 },
    },
    datasource: {
      kind: 'singleServerDatabase',
      id: `${SUB}/Microsoft.DBforPostgreSQL/servers/src/databases/shop`,
    },
    recoveryPoint: { id: 'rp-7', time: new Date(T0 - 6 * 3600_000).toISOString(), dataStore: 'VaultStore' },
    phases,
    job: {
      id: 'job-1',
      status: 'Completed',
      azureDuration: 'PT30S',
      azureDurationSeconds: 30,
      startTime: at(12),
      endTime: at(42),
      polls: 4,
    },
    rtoSeconds: 35,
    rtoBasis: 'azureJob',
    detectionLagSeconds: 3,
    rpoSeconds: 6 * 3600,
    objectives: {
      rto: { targetSeconds: 900, actualSeconds: 35, met: true },
      rpo: { targetSeconds: 26 * 3600, actualSeconds: 6 * 3600, met: true },
    },
    restored: { database: { serverId: SERVER, name: 'pgdrill_drillpage1' } },
    verification: [
      { check: 'connect', database: 'shop', status: 'passed', message: 'connected' },
      {
        check: 'table public.customers',
        database: 'shop',
        status: 'passed',
        expected: '>= 500',
        actual: 12345,
        message: '12345 row(s) counted in public.customers; minimum 500',
        durationMs: 1234,
      },
    ],
    cleanup: {
      policy: 'always',
      status: 'done',
      actions: [{ resource: 'pgdrill_drillpage1', action: 'drop database', status: 'done' }],
      resources: [{ kind: 'database', name: 'pgdrill_drillpage1', serverId: SERVER }],
    },
    verdict: 'passed',
    stats: { activityCalls: 20, operationPolls: 3, jobPolls: 4 },
  };
  return withEvidence(report, null);
}

/** Failed: a check found too few rows, one assertion's value was NULL, the RTO target was missed. */
function failed(): DrillReport {
  const r = passed();
  delete r.evidence;
  r.drillId = 'drill-page-2';
  r.verdict = 'failed';
  // As reports stored before the recorder fix said it: the page must not repeat it.
  r.phases.find((p) => p.name === 'verify')!.detail = '2 of 4 check(s) failed';
  r.verification.push(
    {
      check: 'table public.orders',
      database: 'shop',
      status: 'failed',
      expected: '>= 500',
      actual: 12,
      message: '12 row(s) counted in public.orders; minimum 500',
    },
    {
      check: 'assertion newest order',
      database: 'shop',
      status: 'failed',
      expected: '2026-11-01',
      actual: null,
      message: 'newest order: expected 2026-11-01, got null',
    },
  );
  r.objectives!.rto = { targetSeconds: 30, actualSeconds: 35, met: false };
  r.failure = {
    phase: 'verify',
    code: 'VerificationFailed',
    message: 'table public.orders (shop): 12 row(s) counted in public.orders; minimum 500',
    recommendedActions: ['Look at the failed checks.'],
    isUserError: false,
    isRetryable: false,
  };
  return withEvidence(r, { drillId: 'drill-page-1', sha256: passed().evidence!.sha256 });
}

/** Cancelled during the restore: nothing restored, the database the restore made dropped. */
function cancelled(): DrillReport {
  const r = passed();
  delete r.evidence;
  r.drillId = 'drill-page-3';
  r.verdict = 'cancelled';
  r.phases = r.phases.filter((p) => ['resolve', 'select', 'prepare', 'validate', 'restore'].includes(p.name));
  r.phases[4] = { ...r.phases[4]!, status: 'cancelled', detail: 'Cancelled: cancelled over HTTP' };
  r.phases.push({
    name: 'cleanup',
    status: 'succeeded',
    startedAt: at(45),
    endedAt: at(50),
    durationSeconds: 5,
  });
  r.phases.push({
    name: 'report',
    status: 'succeeded',
    startedAt: at(50),
    endedAt: at(50),
    durationSeconds: 0,
  });
  r.restored = {};
  r.verification = [];
  delete r.rtoSeconds;
  delete r.rtoBasis;
  delete r.detectionLagSeconds;
  delete r.objectives!.rto;
  return withEvidence(r, null);
}

/** The rows of the checks table, as HTML. */
const checkRows = (html: string) => html.match(/<tr class="check [^"]*">[\s\S]*?<\/tr>/g) ?? [];

describe('report page', () => {
  it('the fixtures are valid reports', () => {
    for (const r of [passed(), failed(), cancelled()]) expect(validateReport(r)).toEqual([]);
  });

  it('expected and actual values are written for people, not as JSON literals', () => {
    expect(readable('>= 500')).toBe('at least 500');
    expect(readable('>= 1000000')).toBe('at least 1,000,000');
    expect(readable(12345)).toBe('12,345');
    expect(readable('12345')).toBe('12,345');
    expect(readable('007')).toBe('007');
    expect(readable(null)).toBe('no value (NULL or no rows)');
    expect(readable(undefined)).toBe('–');
    expect(readable('')).toBe('empty text');
    expect(readable(true)).toBe('true');
    expect(readable('exists')).toBe('exists');
    expect(readable('>= 15')).toBe('at least 15');
    expect(readable('a time >= 2026-11-01T09:50:00.000Z')).toBe('a time at or after 2026-11-01 09:50:00 UTC');
    expect(readable('>= 2026-11-01T09:50:00.000Z')).toBe('at or after 2026-11-01 09:50:00 UTC');
    expect(readable('2026-11-01T10:02:03.456Z')).toBe('2026-11-01 10:02:03 UTC');
    expect(readable({ a: 1 })).toBe('{"a":1}');
    expect(when('not a time')).toBe('not a time');
  });

  it('a passed drill: badge, summary, objectives met, a bar per phase and one for Azure job, the evidence hash', () => {
    const r = passed();
    const html = renderReportHtml(r);
    expect(html).toContain('<span class="badge badge-passed" id="verdict">PASSED</span>');
    expect(html).toContain('The backup restored and its data was verified: 2 of 2 check(s) passed');
    expect(html.match(/<rect class="bar phase status-succeeded"/g)).toHaveLength(r.phases.length);
    expect(html.match(/<rect class="bar job"/g)).toHaveLength(1);
    expect(html.match(/<span class="mark mark-ok">MET<\/span>/g)).toHaveLength(2);
    expect(html).toContain('at least 500');
    expect(html).toContain('12,345');
    expect(html).not.toMatch(/&#34;&gt;=|&#34;&#62;=|"&gt;= 500"/);
    expect(html).toContain('Database <code>pgdrill_drillpage1</code>');
    expect(html).toContain(r.evidence!.sha256);
    expect(checkRows(html).every((row) => !row.includes(' failed"'))).toBe(true);
  });

  it('a failed drill: failed rows marked in words and by class, verify shown failed, the missed target named', () => {
    const html = renderReportHtml(failed());
    expect(html).toContain('<span class="badge badge-failed" id="verdict">FAILED</span>');
    const rows = checkRows(html);
    expect(rows).toHaveLength(4);
    const bad = rows.filter((row) => /^<tr class="check check-failed failed">/.test(row));
    expect(bad).toHaveLength(2);
    for (const row of bad) expect(row).toContain('<span class="mark mark-bad">FAILED</span>');
    expect(bad[0]).toContain('<td>at least 500</td><td>12</td>');
    expect(bad[1]).toContain('<td>2026-11-01</td><td>no value (NULL or no rows)</td>');
    expect(html).not.toMatch(/>null</);
    // The stored verify phase said succeeded; the page shows it failed, in the table and the timeline.
    expect(html).toMatch(/<tr class="phase-row status-failed"><td>verify<\/td>/);
    expect(html).toMatch(/<g class="row" data-label="verify"><title>verify: failed/);
    expect(html).not.toMatch(/<tr class="phase-row status-succeeded"><td>verify/);
    expect(html).toContain('2 of 4 check(s) failed.');
    expect(html).toMatch(/data-objective="RTO">[\s\S]*?<span class="mark mark-bad">MISSED<\/span>/);
    expect(html).toContain('<strong>VerificationFailed</strong> in the verify phase');
    expect(html).toContain('<li>Look at the failed checks.</li>');
    expect(html).toContain('(drill drill-page-1)');
  });

  it('a cancelled drill says nothing was restored, and what cleanup did with what the restore made', () => {
    const html = renderReportHtml(cancelled());
    expect(html).toContain('<span class="badge badge-cancelled" id="verdict">CANCELLED</span>');
    expect(html).toContain('cancelled in its restore phase, before anything was restored');
    expect(html).toContain('<strong>Nothing was restored</strong>');
    expect(html).not.toMatch(/Restored as|Database <code>/);
    expect(html).toContain('No check ran');
    // The RTO target was set but never measured: said so, not "no target".
    expect(html).toMatch(
      /data-objective="RTO">[\s\S]*?15\.0 min<\/td><td><span class="mark mark-none">not measured/,
    );
    expect(html).toContain('<span class="mark mark-ok">deleted</span>');
    expect(html.match(/<rect class="bar phase /g)).toHaveLength(7);
    expect(html).toMatch(/<rect class="bar phase status-cancelled" data-name="restore"/);
  });

  it('hostile values come out inert: no script, no element, no attribute they did not come with', () => {
    const r = failed();
    const evil = `<script>alert(1)</script><img src=x onerror="alert(2)">'&`;
    r.label = evil;
    r.verification[0]!.check = evil;
    r.verification[0]!.database = `</td></tr></table>${evil}`;
    r.verification[2]!.actual = evil;
    r.cleanup.actions[0]!.message = evil;
    r.phases[0]!.detail = evil;
    r.failure!.recommendedActions = [evil];
    r.drillId = `drill-${evil}`;
    const html = renderReportHtml(r);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain(
      '&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=&#34;alert(2)&#34;&#62;&#39;&#38;',
    );
    // Nothing is fetched or run: no stylesheet link, no url() in the CSS; no tag with a resource attribute, an
    // event handler or an http(s) address.
    expect(html).not.toMatch(/<link|<iframe|<object|<embed|url\(|@import/i);
    for (const tag of html.match(/<[a-z][^>]*>/gi) ?? [])
      expect(tag).not.toMatch(/https?:|\s(on\w+|src|href|xlink:href|srcset|action)=/i);
    expect(html).toContain(`content="${REPORT_PAGE_CSP.replace(/'/g, '&#39;')}"`);
  });

  it('a cross-region drill shows both regions, the points on each side, the replication lag and the regional RPO', () => {
    const r = passed();
    r.request.restoreFrom = 'secondaryRegion';
    r.crossRegion = {
      sourceRegion: 'westus',
      restoreRegion: 'eastus',
      recoveryPointTime: at(-8 * 3600),
      newestSecondaryPointTime: at(-8 * 3600),
      newestPrimaryPointTime: at(-2 * 3600),
      replicationLagSeconds: 6 * 3600,
      regionalRpoSeconds: 8 * 3600,
    };
    expect(validateReport(r)).toEqual([]);
    const html = renderReportHtml(r);
    const section = /<section id="cross-region">.*?<\/section>/s.exec(html)![0];
    expect(section).toContain('<code>westus</code>');
    expect(section).toContain('<code>eastus</code>');
    expect(section).toContain(when(at(-2 * 3600)));
    expect(section).toMatch(/Replication lag<\/th><td>6\.0 h/);
    expect(section).toMatch(/Regional RPO<\/th><td>8\.0 h/);
    // A same-region drill has no such section.
    expect(renderReportHtml(passed())).not.toContain('id="cross-region"');
  });
});
