/**
 * Names two live drills may not share (docs/security.md): a drill's restored database and file prefix carry its
 * own id, and beyond that a label a request chooses (databaseName, filePrefix) that equals or prefixes another
 * running drill's label or name on the same server or container — or the reverse — is refused at start, so no
 * drill can ever list, load, verify or clean another's data. Pure.
 */
import { drillDatabaseName, drillFilePrefix } from './names';
import type { NormalizedRequest } from './request';

export interface LiveDrill {
  drillId: string;
  request: Pick<NormalizedRequest, 'target'>;
}

export interface NameCollision {
  drillId: string;
  what: 'databaseName' | 'filePrefix';
  mine: string;
  theirs: string;
}

const related = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
const sameUrl = (a: string, b: string): boolean =>
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** The first running drill whose names the new drill's could be confused with, if any. */
export function nameCollision(drill: LiveDrill, live: readonly LiveDrill[]): NameCollision | undefined {
  const t = drill.request.target;
  for (const other of live) {
    if (other.drillId === drill.drillId) continue;
    const o = other.request.target;
    if (
      t.kind === 'database' &&
      o.kind === 'database' &&
      t.serverId.toLowerCase() === o.serverId.toLowerCase()
    ) {
      const mine = [t.databaseName, drillDatabaseName(drill.drillId, t.databaseName)];
      const theirs = [o.databaseName, drillDatabaseName(other.drillId, o.databaseName)];
      const hit = clash(mine, theirs);
      if (hit) return { drillId: other.drillId, what: 'databaseName', ...hit };
    }
    if (t.kind === 'files' && o.kind === 'files' && sameUrl(t.containerUrl, o.containerUrl)) {
      const mine = [t.filePrefix, drillFilePrefix(drill.drillId, t.filePrefix)];
      const theirs = [o.filePrefix, drillFilePrefix(other.drillId, o.filePrefix)];
      const hit = clash(mine, theirs);
      if (hit) return { drillId: other.drillId, what: 'filePrefix', ...hit };
    }
  }
  return undefined;
}

/** Labels against labels, and every name against every name (a label alone is never compared to a name). */
function clash(
  [myLabel, myName]: (string | undefined)[],
  [theirLabel, theirName]: (string | undefined)[],
): { mine: string; theirs: string } | undefined {
  if (myLabel && theirLabel && related(myLabel, theirLabel)) return { mine: myLabel, theirs: theirLabel };
  if (myName && theirName && related(myName, theirName)) return { mine: myName, theirs: theirName };
  return undefined;
}
