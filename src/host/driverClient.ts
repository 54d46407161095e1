/** The in-process driver as the triggers' DrillClient (tests and one-process tools; see functions/drillClient.ts). */
import type { DrillClient } from '../functions/drillClient';
import { ACTIVE } from '../functions/drillClient';
import type { OrchestrationDriver } from './driver';

export function driverClient(driver: OrchestrationDriver): DrillClient {
  return {
    async startNew(name, instanceId, input) {
      await driver.start(name, input, instanceId);
    },
    getStatus: (instanceId) => Promise.resolve(driver.getStatus(instanceId)),
    raiseEvent: (instanceId, eventName, data) =>
      Promise.resolve(driver.raiseEvent(instanceId, eventName, data)),
    listActive: () => Promise.resolve(driver.list().filter((s) => ACTIVE.includes(s.runtimeStatus))),
  };
}
