/**
 * Secret scanning for tests: what counts as a secret in a test emulator (every Key Vault secret value, every
 * server password, the connection-string keyword), and everything a test's storage holds — every entity of
 * every table and every blob of every container whose name starts with a given prefix — as one text to
 * search.
 */
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { expect } from 'vitest';
import type { EmulatorHandle } from '../../emulator/index';
import { azuriteConnectionString } from './drill';

/** Every secret value the emulator holds and every server password. */
export function secretNeedles(emu: EmulatorHandle): string[] {
  const secrets = [...emu.ctx.secrets.values()].flatMap((vault) => [...vault.values()]);
  const passwords = [...emu.ctx.servers.values()].map((s) => s.admin.password);
  return [...new Set([...secrets, ...passwords])].filter((n) => n.length >= 6);
}

/**
 * A connection string's password with a real value. The placeholders of the recommended actions
 * (`Password=…;`, `Password=<password>;`, also HTML-escaped in the report page) teach the format and are allowed.
 */
const PASSWORD_VALUE = /Password=(?!…|<password>|&#60;password&#62;|&lt;password&gt;)[^;\s"]/i;

/** Every table entity and blob under names starting with `prefix` (case-insensitive), as text; names listed. */
export async function storageText(
  prefix: string,
  cs = azuriteConnectionString(),
): Promise<{ text: string; tables: string[]; blobs: string[] }> {
  const p = prefix.toLowerCase();
  const parts: string[] = [];
  const tables: string[] = [];
  const blobs: string[] = [];
  const tableService = TableServiceClient.fromConnectionString(cs, { allowInsecureConnection: true });
  for await (const t of tableService.listTables()) {
    if (!t.name?.toLowerCase().startsWith(p)) continue;
    tables.push(t.name);
    const table = TableClient.fromConnectionString(cs, t.name, { allowInsecureConnection: true });
    for await (const e of table.listEntities()) parts.push(JSON.stringify(e));
  }
  const blobService = BlobServiceClient.fromConnectionString(cs);
  for await (const c of blobService.listContainers()) {
    if (!c.name.toLowerCase().startsWith(p)) continue;
    const container = blobService.getContainerClient(c.name);
    for await (const b of container.listBlobsFlat()) {
      blobs.push(`${c.name}/${b.name}`);
      parts.push((await container.getBlockBlobClient(b.name).downloadToBuffer()).toString('utf8'));
    }
  }
  return { text: parts.join('\n'), tables, blobs };
}

/** Fails naming the first characters of any needle found (never the whole secret). */
export function expectNoSecrets(text: string, needles: readonly string[]): void {
  expect(needles.length).toBeGreaterThan(2);
  for (const n of needles) expect(text.includes(n), `found a secret starting ${n.slice(0, 6)}…`).toBe(false);
  const m = PASSWORD_VALUE.exec(text);
  expect(
    m === null,
    `found a connection-string password near …${text.slice(Math.max(0, (m?.index ?? 0) - 40), m?.index)}`,
  ).toBe(true);
}
