/**
 * The drill request of one instance of a fleet run: its template's request with the instance's own id. Shared
 * by fleet runs and scheduled doctor runs, so both check exactly what the fleet would drill. Pure.
 */
import { canonicalBackupInstanceId } from '../dataprotection/armId';
import type { FleetPlan } from './plans';
import { parseDrillRequest, type NormalizedRequest } from './request';

/** Throws ValidationError (naming the template and instance) when the request is not valid. */
export function fleetRequestOf(
  plan: FleetPlan,
  item: { backupInstanceId: string; template: number },
): NormalizedRequest {
  return parseDrillRequest(
    {
      ...plan.templates[item.template]!.request,
      // ARM listings may give the id in lowercase; the request schema wants the documented casing.
      backupInstanceId: canonicalBackupInstanceId(item.backupInstanceId),
    },
    `templates/${item.template}/request for ${item.backupInstanceId}`,
  );
}
