/**
 * The timer and plans' doctor schedules, as Azure Functions would call the handler (the real planDoctor
 * orchestrator on the in-process driver, a scripted preflight that runs until released): one run per slot in
 * the plan's time zone, whatever the drill schedule does; a slot while the plan's previous doctor run still goes
 * starts nothing (and says which run goes); a disabled plan runs no doctor.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVITIES } from '../../src/activities/names';
import { createDrillTimerHandler } from '../../src/functions/timer';
import { parsePlans } from '../../src/lib/drill/plans';
import { ok } from '../support/scripted';
import { DEFAULT_SETTINGS } from '../support/drill';
import { BI, context, setup, TIMER, VALID } from '../support/triggers';

describe('timer: doctor schedules', () => {
  it('one doctor run per slot; none while the previous one goes; none for a disabled plan', async () => {
    const gate = { open: false };
    const s = setup({
      [ACTIVITIES.preflight]: async () => {
        while (!gate.open) await new Promise((r) => setTimeout(r, 10));
        return ok({
          backupInstanceId: BI,
          restoreFrom: 'primaryRegion',
          ok: true,
          checks: 1,
          failed: [],
          alerts: [],
        });
      },
    });
    const plans = parsePlans(
      JSON.stringify([
        {
          name: 'weekly',
          schedule: '0 0 3 * * 1',
          timeZone: 'Europe/Paris',
          doctor: { schedule: '0 0 */6 * * *' },
          request: VALID,
        },
        {
          name: 'off',
          schedule: '0 0 3 * * 1',
          enabled: false,
          doctor: { schedule: '0 0 * * * *' },
          request: VALID,
        },
      ]),
    );
    let now = new Date('2026-01-06T05:10:00Z'); // Tuesday 06:10 in Paris: the 06:00 doctor slot, no drill
    const handle = createDrillTimerHandler({
      clientFor: s.clientFor,
      settings: () => DEFAULT_SETTINGS,
      plans: () => plans,
      recordSkip: () => Promise.resolve(),
      now: () => now,
    });
    const ctx = context();
    expect(await handle(TIMER, ctx.ctx)).toEqual([
      { plan: 'weekly', slot: '', outcome: 'notDue' },
      { plan: 'off', slot: '', outcome: 'disabled' },
      {
        plan: 'weekly',
        slot: '2026-01-06T05:00:00.000Z',
        outcome: 'doctorStarted',
        instanceId: 'doctor-weekly@20260106T050000Z',
      },
    ]);
    expect(ctx.lines.join('\n')).toContain('"message":"doctor run started","plan":"weekly"');
    // Six hours on, the first run still checks: the new slot starts nothing and says which run goes.
    now = new Date('2026-01-06T11:05:00Z');
    const later = context();
    expect((await handle(TIMER, later.ctx))[2]).toEqual({
      plan: 'weekly',
      slot: '2026-01-06T11:00:00.000Z',
      outcome: 'doctorSkipped',
      instanceId: 'doctor-weekly@20260106T050000Z',
    });
    expect(later.lines.join('\n')).toContain('the previous doctor run of this plan is still running');
    gate.open = true;
    const done = await s.driver.waitForCompletion('doctor-weekly@20260106T050000Z', 10_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(s.driver.list().filter((i) => i.name === 'planDoctor')).toHaveLength(1);
    expect(s.calls.filter((c) => c.name === ACTIVITIES.preflight)).toHaveLength(1);
  });
});
