/**
 * The demo's three drill requests, built from what the emulator serves (GET /_emulator/resources): a Single
 * Server restored as a database, a Flexible Server restored as files and loaded, and a cross-region files drill
 * in the vault's paired region. The demo runs them; the tests run the pre-flight doctor on the very same.
 */

/** What the demo reads of GET /_emulator/resources. */
export interface DemoResources {
  vaults: { secondaryRegion?: string; backupInstances: { id: string; kind: string }[] }[];
  servers: { name: string; id: string; port: number }[];
  storage: { containers: { url: string; armId: string }[] };
}

export function demoRequests(res: DemoResources) {
  const bis = res.vaults[0]!.backupInstances;
  const single = bis.find((b) => b.kind === 'single')!.id;
  const flex = bis.find((b) => b.kind === 'flexible')!.id;
  const target = res.servers.find((s) => s.name === 'pgdemo-target')!;
  const drillServer = res.servers.find((s) => s.name === 'pgdemo-drill')!;
  // The disaster-recovery drill restores the vault's copy in its paired region, onto a drill server there.
  const pairedRegion = res.vaults[0]!.secondaryRegion!;
  const drDrillServer = res.servers.find((s) => s.name === 'pgdemo-drill-dr')!;
  const drContainer = res.storage.containers.find((c) => c.url.endsWith('/drill-restores-dr'))!;
  return [
    {
      label: 'Single Server: restore as database',
      backupInstanceId: single,
      target: {
        kind: 'database',
        serverId: target.id,
        secretUri: 'https://pgdrill-demo-kv.vault.azure.net/secrets/pg-target-admin',
      },
      verify: {
        tables: [
          { name: 'public.customers', minRows: 500 },
          { name: 'public.orders', minRows: 200 },
        ],
        canary: { sql: 'SELECT max(updated_at) FROM orders', toleranceMinutes: 10 },
        assertions: [
          {
            name: 'every order has a customer',
            sql: 'SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL',
            expected: 0,
          },
        ],
      },
      targets: { rtoMinutes: 15, rpoHours: 26 },
    },
    {
      label: 'Flexible Server: restore as files + load',
      backupInstanceId: flex,
      target: {
        kind: 'files',
        containerUrl: res.storage.containers[0]!.url,
        containerArmId: res.storage.containers[0]!.armId,
        load: {
          host: '127.0.0.1',
          port: drillServer.port,
          secretUri: 'https://pgdrill-demo-kv.vault.azure.net/secrets/pg-drill-admin',
          sslMode: 'disable',
        },
      },
      verify: {
        tables: [{ name: 'public.items', minRows: 1000 }],
        canary: { sql: 'SELECT max(updated_at) FROM items', toleranceMinutes: 10 },
      },
      targets: { rtoMinutes: 15, rpoHours: 26 },
    },
    {
      label: `Flexible Server: cross-region restore as files in ${pairedRegion} + load`,
      backupInstanceId: flex,
      restoreFrom: 'secondaryRegion',
      target: {
        kind: 'files',
        containerUrl: drContainer.url,
        containerArmId: drContainer.armId,
        restoreLocation: pairedRegion,
        load: {
          host: '127.0.0.1',
          port: drDrillServer.port,
          secretUri: 'https://pgdrill-demo-kv.vault.azure.net/secrets/pg-drill-dr-admin',
          sslMode: 'disable',
        },
      },
      verify: { tables: [{ name: 'public.items', minRows: 1000 }] },
      // The paired region's copy trails the primary by the replication delay (an hour in the demo).
      targets: { rtoMinutes: 15, rpoHours: 27 },
    },
  ];
}
