/**
 * The pure parts of scheduled doctor runs: a plan's doctor schedule (validated like its drill schedule, errors
 * at /doctor/schedule, due within the start window), the run id, and what a result alerts given the previous
 * one of the same plan, instance and region.
 */
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../src/functions';
import { doctorAlerts } from '../../src/lib/alerts/doctorAlerts';
import { slackBody, teamsBody } from '../../src/lib/alerts/alerts';
import type { DoctorCheck, DoctorResult } from '../../src/lib/doctor/types';
import { doctorRunId } from '../../src/lib/drill/instanceIds';
import { doctorDueSlot, dueSlot, parsePlanSet, parsePlans } from '../../src/lib/drill/plans';
import { BI, VALID } from '../support/triggers';

const plan = (extra: Record<string, unknown>) => ({
  name: 'p',
  schedule: '0 0 3 * * *',
  request: VALID,
  ...extra,
});

function result(failed: string[], checkedAt = '2030-01-07T10:00:05.000Z'): DoctorResult {
  const check = (id: string): DoctorCheck => ({
    id,
    title: `title of ${id}`,
    status: failed.includes(id) ? 'failed' : 'passed',
    evidence: `evidence of ${id}`,
    ...(failed.includes(id) ? { fix: `fix of ${id}`, code: `Code${id.length}` } : {}),
    durationMs: 1,
  });
  return {
    ok: failed.length === 0,
    checkedAt,
    backupInstanceId: BI,
    restoreFrom: 'primaryRegion',
    checks: ['a', 'bb', 'ccc'].map(check),
  };
}

describe('doctor schedule of a plan', () => {
  it('is optional, validated like the drill schedule, and due within the start window in the plan time zone', () => {
    expect(parsePlans(JSON.stringify([plan({})]))[0]!.doctor).toBeUndefined();
    const set = parsePlanSet(
      JSON.stringify([
        plan({ name: 'bad-cron', doctor: { schedule: '0 0 99 * * *' } }),
        plan({ name: 'bad-shape', doctor: { schedule: 'hourly' } }),
        plan({ name: 'extra', doctor: { schedule: '0 0 * * * *', every: 1 } }),
        plan({ name: 'none', doctor: {} }),
        plan({ name: 'good', doctor: { schedule: '0 30 * * * *' }, timeZone: 'Europe/Berlin' }),
      ]),
    );
    expect(set.plans.map((p) => p.name)).toEqual(['good']);
    const by = (i: number) =>
      set.problems.filter((p) => p.pointer.startsWith(`/${i}/`) || p.pointer === `/${i}`);
    expect(by(0)[0]).toMatchObject({ pointer: '/0/doctor/schedule' });
    expect(by(0)[0]!.message).toContain('is not a valid NCRONTAB schedule');
    expect(by(1)[0]!.pointer).toBe('/1/doctor/schedule');
    expect(by(2)[0]!.pointer).toBe('/2/doctor/every');
    expect(JSON.stringify(by(3))).toContain('schedule');
    const good = set.plans[0]!;
    expect(good.doctor).toEqual({ schedule: '0 30 * * * *' });
    // Its own slots, not the drill's: at 10:40 UTC the 10:30 slot is due (Berlin and UTC agree on :30).
    expect(doctorDueSlot(good, new Date('2030-01-07T10:40:00Z'))?.toISOString()).toBe(
      '2030-01-07T10:30:00.000Z',
    );
    expect(dueSlot(good, new Date('2030-01-07T10:40:00Z'))).toBeUndefined();
    // Past the start window (60 minutes by default), a slot is not started late.
    expect(
      doctorDueSlot({ ...good, startWindowMinutes: 5 }, new Date('2030-01-07T10:40:00Z')),
    ).toBeUndefined();
    expect(doctorRunId('p', new Date('2030-01-07T10:30:00Z'))).toBe('doctor-p@20300107T103000Z');
  });
});

describe('doctor alerts', () => {
  const alerts = (now: string[], before: string[] | undefined, runId = 'doctor-p@1') =>
    doctorAlerts({ plan: 'p', runId, result: result(now), previousFailed: before });

  it('the first run with failures alerts; all passing alerts nothing', () => {
    expect(alerts([], undefined)).toEqual([]);
    const [a] = alerts(['bb'], undefined);
    expect(a).toMatchObject({
      id: `doctor:doctor-p@1:${BI.toLowerCase()}:primaryRegion:doctorFailed`,
      kind: 'doctorFailed',
      severity: 'error',
      plan: 'p',
      doctorRunId: 'doctor-p@1',
      backupInstanceId: BI,
      failureCode: 'Code2',
      checks: [{ id: 'bb', title: 'title of bb', evidence: 'evidence of bb', fix: 'fix of bb' }],
      occurredAt: '2030-01-07T10:00:05.000Z',
    });
    expect(a!.title).toBe('Pre-flight check failed for srv-db-1 (plan p)');
  });

  it('a check still failing alerts nothing again; a new failure alerts with the old ones after it', () => {
    expect(alerts(['bb'], ['bb'])).toEqual([]);
    const [a] = alerts(['a', 'bb'], ['bb']);
    expect(a!.checks!.map((c) => c.id)).toEqual(['a', 'bb']);
    expect(a!.summary).toBe(
      'title of a: fails now; 1 other check(s) still failing. A drill of this instance would fail before restoring.',
    );
  });

  it('recovery is told once, when nothing fails any more', () => {
    const [r] = alerts([], ['a', 'bb']);
    expect(r).toMatchObject({ kind: 'doctorRecovered', severity: 'info' });
    expect(r!.summary).toBe('every check passes; failing before: a, bb');
    expect(alerts([], [])).toEqual([]);
    // Partly fixed: no recovery yet, and nothing new to tell.
    expect(alerts(['bb'], ['a', 'bb'])).toEqual([]);
  });

  it('chat formats show each failed check with its evidence and fix', () => {
    const [a] = alerts(['a', 'ccc'], undefined);
    const teams = JSON.stringify(teamsBody(a!));
    expect(teams).toContain('"title":"Failed: title of a","value":"evidence of a Fix: fix of a"');
    expect(teams).toContain('"title":"Plan","value":"p"');
    expect(JSON.stringify(slackBody(a!))).toContain('Failed: title of ccc');
  });
});

describe('function names', () => {
  it('are unique across HTTP functions, orchestrators and activities (Azure Functions registers them in one namespace)', () => {
    const names = functionDefinitions.map((d) => d.name.toLowerCase());
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(names).toContain('plandoctor');
    expect(names).toContain('plandoctorresults');
  });
});
