/**
 * One job watcher per vault (docs/design.md, "Job watchers"). A drill whose restore job runs long stops polling
 * its own job and registers with its vault's watcher, an orchestration that lists the vault's restore jobs
 * once per interval for every drill waiting there and raises an event to each drill whose job ended. The drill
 * waits on that event with a long backstop timer; at the backstop it checks the watcher is alive and polls its
 * own job only if it is not. N drills in a vault cost one list per interval instead of N polls, and a 10-hour
 * job a few dozen history events instead of thousands. Names, ids and pure rules shared by the orchestrators
 * and the activities (which may not import each other).
 */
import { createHash } from 'node:crypto';
import type { CrossRegion } from '../dataprotection/crossRegion';

export interface JobWatchSettings {
  /** The watcher lists its vault's jobs this often (≤ 30 s: completion is noticed within it). */
  intervalSeconds: number;
  /** A waiting drill checks the watcher is alive this often. */
  backstopSeconds: number;
}

/** The watcher orchestrator's name (replay identity: never rename in place). */
export const VAULT_JOB_WATCHER = 'vaultJobWatcher';
/** Raised to a watcher: watch this drill's job. */
export const WATCH_JOB_EVENT = 'watchJob';
/** Raised to a drill's job monitor by its vault's watcher: the job ended (data: the job's summary). */
export const JOB_ENDED_EVENT = 'jobEnded';

/** What a drill asks its vault's watcher. */
export interface WatchRequest {
  /** The instance waiting (a drill's job monitor) and the job it waits for. */
  instanceId: string;
  jobId: string;
  /** When the job started (bounds the watcher's list). */
  startTime?: string;
  /** The drill's deadline: after it, the drill no longer waits. */
  until?: string;
}

/** The watcher's custom status: what it watches and when it last listed the vault's jobs. */
export interface WatcherStatus {
  vaultId: string;
  watching: number;
  listedAt?: string;
  lastError?: string;
}

/**
 * One watcher per vault (ARM ids are case-insensitive), and one more per paired region a vault's cross-region
 * restores run in (their jobs are listed there, not in the vault's own list).
 */
export function vaultWatcherId(vaultId: string, crossRegion?: CrossRegion): string {
  const key =
    vaultId.toLowerCase() + (crossRegion ? `|secondary|${crossRegion.targetRegion.toLowerCase()}` : '');
  return `watch-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/**
 * A watcher is healthy when it listed its vault within three intervals (one list may fail or be slow; three in
 * a row mean drills must look after themselves), or when it started less than three intervals ago.
 */
export function watcherHealthy(
  status: WatcherStatus | undefined,
  startedAt: string | undefined,
  now: Date,
  intervalSeconds: number,
): boolean {
  const since = status?.listedAt ?? startedAt;
  if (!since) return false;
  return now.getTime() - Date.parse(since) <= 3 * intervalSeconds * 1000 + 5_000;
}
