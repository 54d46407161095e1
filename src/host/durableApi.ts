/**
 * The Durable Functions HTTP API of the standalone host, as durable-functions' DurableClient (rpcBaseUrl
 * /durabletask/...) and the check-status links (/runtime/webhooks/durabletask/...) call it: start an
 * orchestration, read one or list them, raise an event, terminate. Purge, rewind, suspend and resume are not
 * served (the app does not use them).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validInstanceId } from '../lib/drill/instanceIds';
import type { InstanceStatus, OrchestrationDriver } from './driver';
import { decodeSegment, HttpFailure, readBody, sendJson } from './http';

function statusBody(
  driver: OrchestrationDriver,
  s: InstanceStatus,
  showHistory: boolean,
): Record<string, unknown> {
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: s.runtimeStatus,
    input: s.input,
    customStatus: s.customStatus ?? null,
    output: s.output ?? null,
    createdTime: s.createdTime,
    lastUpdatedTime: s.lastUpdatedTime,
    ...(showHistory ? { historyEvents: driver.historyOf(s.instanceId) } : {}),
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch (err) {
    throw new HttpFailure(400, 'InvalidJson', `the body is not JSON: ${(err as Error).message}`);
  }
}

/**
 * Serves one durable API call. `rest` is the path after the API's prefix; `managementUrls` gives the check-status
 * links of an instance id.
 */
export async function serveDurableApi(
  driver: OrchestrationDriver,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  rest: string,
  managementUrls: (instanceId: string) => Record<string, string>,
): Promise<void> {
  const method = req.method ?? 'GET';
  const parts = rest
    .split('/')
    .filter(Boolean)
    .map((p) => decodeSegment(p, 'a path segment'));
  const badId = (id: string | undefined) => id !== undefined && !validInstanceId(id);
  if (badId(parts[0] === 'instances' ? parts[1] : parts[2]))
    return sendJson(res, 400, { message: 'not an instance id: up to 256 letters, digits and . _ - : @' });
  if (parts[0] === 'orchestrators' && method === 'POST' && parts[1]) {
    const input = parseJson(await readBody(req));
    const id = parts[2] ?? randomUUID().replace(/-/g, '');
    try {
      await driver.start(parts[1], input, id);
    } catch (err) {
      if ((err as { code?: string }).code === 'InstanceExists')
        return sendJson(res, 409, { message: (err as Error).message });
      return sendJson(res, 400, { message: (err as Error).message });
    }
    const links = managementUrls(id);
    return sendJson(res, 202, { ...links, id }, { Location: links.statusQueryGetUri! });
  }
  if (parts[0] !== 'instances')
    return sendJson(res, 404, { message: `unsupported durable API call ${method} ${rest}` });
  const id = parts[1];
  if (!id && method === 'GET') {
    const wanted = (url.searchParams.get('runtimeStatus') ?? '').split(',').filter(Boolean);
    const list = driver.list().filter((s) => wanted.length === 0 || wanted.includes(s.runtimeStatus));
    return sendJson(
      res,
      200,
      list.map((s) => statusBody(driver, s, false)),
    );
  }
  if (!id) return sendJson(res, 404, { message: 'no instance id' });
  const status = await driver.getStatusAsync(id);
  if (!status) return sendJson(res, 404, { message: `no instance ${id}` });
  const action = parts[2];
  if (!action && method === 'GET') {
    const running = ['Pending', 'Running'].includes(status.runtimeStatus);
    return sendJson(
      res,
      running ? 202 : 200,
      statusBody(driver, status, url.searchParams.get('showHistory') === 'true'),
    );
  }
  if (!action && method === 'DELETE')
    return sendJson(res, 404, { message: 'purge is not supported by the standalone host' });
  const terminal = ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus);
  if (action === 'raiseEvent' && method === 'POST' && parts[3]) {
    if (terminal) return sendJson(res, 410, { message: `instance ${id} is ${status.runtimeStatus}` });
    const data = parseJson(await readBody(req));
    driver.raiseEvent(id, parts[3], data ?? null);
    return sendJson(res, 202);
  }
  if (action === 'terminate' && method === 'POST') {
    if (terminal) return sendJson(res, 410, { message: `instance ${id} is ${status.runtimeStatus}` });
    driver.terminate(id, url.searchParams.get('reason') ?? 'terminated');
    return sendJson(res, 202);
  }
  return sendJson(res, 404, { message: `unsupported durable API call ${method} ${rest}` });
}
