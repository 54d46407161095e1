/** The CA the test run trusts: created by the global setup, found by workers through NODE_EXTRA_CA_CERTS. */
import { dirname } from 'node:path';
import { issueServerCert, loadOrCreateCa, type ServerCert } from '../../emulator/tls';

let cached: ServerCert | undefined;

export function testServerCert(): ServerCert {
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  if (!caFile)
    throw new Error(
      'NODE_EXTRA_CA_CERTS is not set: run the tests through `npm test` (vitest global setup).',
    );
  cached ??= issueServerCert(loadOrCreateCa(dirname(caFile)));
  return cached;
}
