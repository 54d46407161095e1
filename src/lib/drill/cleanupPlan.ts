/**
 * The cleanup policy as pure decisions, shared by the drill and the sweeper: what a policy does with what a
 * drill created, and the status a set of cleanup actions adds up to. Pure.
 */
import type { DrillReport } from '../types/generated/drill-report';
import { parseIsoDuration } from './durations';
import { describeResource, type CleanupAction, type CreatedResource } from './resources';

export type CleanupPolicy = DrillReport['cleanup']['policy'];
export type CleanupStatus = DrillReport['cleanup']['status'];

export type CleanupDecision =
  /** The drill created nothing. */
  | { kind: 'nothing' }
  /** The policy keeps the data (never; onSuccess after a failure): these actions say so. */
  | { kind: 'keep'; actions: CleanupAction[] }
  /** Policy keep: clean up once the keep period is over. */
  | { kind: 'defer'; keepForMs: number }
  /** Clean up now. */
  | { kind: 'now' };

export function planCleanup(args: {
  policy: CleanupPolicy;
  /** ISO 8601 duration, for policy keep. */
  keepFor?: string;
  verdict: DrillReport['verdict'];
  created: readonly CreatedResource[];
}): CleanupDecision {
  const { policy, verdict, created } = args;
  if (created.length === 0) return { kind: 'nothing' };
  if (policy === 'never' || (policy === 'onSuccess' && verdict !== 'passed')) {
    return {
      kind: 'keep',
      actions: created.map((c) => ({
        resource: describeResource(c),
        action: 'kept',
        status: 'done',
        message: `kept by cleanup policy ${policy}`,
      })),
    };
  }
  // A cancelled drill is not kept: whoever cancelled it wants it gone.
  if (policy === 'keep' && verdict !== 'cancelled')
    return { kind: 'defer', keepForMs: parseIsoDuration(args.keepFor ?? '') ?? 0 };
  return { kind: 'now' };
}

/** What cleanup actions add up to: done when none failed, failed when all did, partial otherwise. */
export function cleanupStatus(actions: readonly CleanupAction[]): 'done' | 'partial' | 'failed' {
  const failed = actions.filter((a) => a.status === 'failed' || a.status === 'refused').length;
  return failed === 0 ? 'done' : failed === actions.length ? 'failed' : 'partial';
}

/** The one action recorded when cleanup as a whole could not run. */
export function cleanupFailedAction(message: string): CleanupAction {
  return { resource: 'all', action: 'cleanup', status: 'failed', message };
}
