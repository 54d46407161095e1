/** The in-process driver as the triggers' DrillClient (tests and one-process tools; see functions/drillClient.ts). */
import type { DrillClient } from '../functions/drillClient';
import { ACTIVE } from '../functions/drillClient';
import type { OrchestrationDriver } from './driver';

export function driverClient(driver: OrchestrationDriver, baseUrl = 'http://localhost:7071'): DrillClient {
  return {
    async startNew(name, instanceId, input) {
      await driver.start(name, input, instanceId);
    },
    getStatus: (instanceId) => Promise.resolve(driver.getStatus(instanceId)),
    raiseEvent: (instanceId, eventName, data) =>
      Promise.resolve(driver.raiseEvent(instanceId, eventName, data)),
    listActive: () => Promise.resolve(driver.list().filter((s) => ACTIVE.includes(s.runtimeStatus))),
    managementPayload(_request, instanceId) {
      const base = `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`;
      return {
        id: instanceId,
        statusQueryGetUri: base,
        sendEventPostUri: `${base}/raiseEvent/{eventName}`,
        terminatePostUri: `${base}/terminate?reason={text}`,
        purgeHistoryDeleteUri: base,
      };
    },
  };
}
