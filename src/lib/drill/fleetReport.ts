/**
 * The fleet report: what a fleet run covered and how each drill ended, built from the scope decision and the
 * drills' outcomes. Pure.
 */
import type { CoverageEntry, ScopeDecision } from './fleet';

/** One drill of the fleet, as the fleet report lists it. */
export interface FleetDrillResult {
  backupInstanceId: string;
  drillId: string;
  verdict: string;
  failureCode?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
}

export interface FleetReport {
  fleetId: string;
  plan: string;
  /** When the run's start window opened. */
  slot: string;
  startedAt: string;
  endedAt: string;
  /** completed: every due drill ran (whatever its verdict); failed: the scope could not be read at all. */
  status: 'completed' | 'failed';
  failure?: { code: string; message: string };
  counts: {
    inScope: number;
    due: number;
    drilled: number;
    passed: number;
    failed: number;
    notDue: number;
    skipped: number;
    /** In scope and still without a passed drill inside the coverage window after this run. */
    overdue: number;
  };
  drills: FleetDrillResult[];
  skipped: ScopeDecision[];
  notDue: string[];
  /** Instance ids still overdue after this run. */
  overdue: string[];
  problems: { resource: string; code: string; message: string }[];
}

export function buildFleetReport(input: {
  fleetId: string;
  plan: string;
  slot: string;
  startedAt: string;
  endedAt: string;
  coverage: CoverageEntry[];
  drills: FleetDrillResult[];
  skipped: ScopeDecision[];
  notDue: string[];
  problems: FleetReport['problems'];
  everyDays: number | undefined;
}): FleetReport {
  const passedNow = new Set(
    input.drills.filter((d) => d.verdict === 'passed').map((d) => d.backupInstanceId.toLowerCase()),
  );
  const overdue =
    input.everyDays === undefined
      ? []
      : input.coverage
          .filter((c) => c.overdue && !passedNow.has(c.backupInstanceId.toLowerCase()))
          .map((c) => c.backupInstanceId);
  const passed = input.drills.filter((d) => d.verdict === 'passed').length;
  return {
    fleetId: input.fleetId,
    plan: input.plan,
    slot: input.slot,
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    status: 'completed',
    counts: {
      inScope: input.coverage.length,
      due: input.drills.length,
      drilled: input.drills.length,
      passed,
      failed: input.drills.length - passed,
      notDue: input.notDue.length,
      skipped: input.skipped.length,
      overdue: overdue.length,
    },
    drills: input.drills,
    skipped: input.skipped,
    notDue: input.notDue,
    overdue,
    problems: input.problems,
  };
}
