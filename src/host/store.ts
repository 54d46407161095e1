/**
 * Where the standalone host keeps orchestration state: one Azure Table entity per instance (Azurite locally),
 * the snapshot as JSON split over string properties (a property holds at most 64 KiB). Written after every
 * change, so a host killed with SIGKILL resumes from what was last written.
 */
import { TableClient } from '@azure/data-tables';

export interface InstanceSnapshot {
  id: string;
  name: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  parentInstanceId?: string;
  [key: string]: unknown;
}

export interface InstanceStore {
  save(snapshot: InstanceSnapshot): Promise<void>;
  /** Instances not yet Completed, Failed or Terminated. */
  loadActive(): Promise<InstanceSnapshot[]>;
  load(id: string): Promise<InstanceSnapshot | undefined>;
}

const CHUNK = 30_000; // characters (UTF-16: 60 KB) per property
const MAX_CHUNKS = 30; // ~1.8 MB of UTF-16 would exceed the 1 MB entity limit first; keep well below it

function rowKey(id: string): string {
  // Table keys may not contain / \ # ? or control characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys refuse
  return id.replace(/[/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `~${c.charCodeAt(0).toString(16)}~`);
}

export class TableInstanceStore implements InstanceStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  static fromConnectionString(connectionString: string, tableName: string): TableInstanceStore {
    return new TableInstanceStore(
      TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true }),
    );
  }

  private ensure(): Promise<void> {
    this.ready ??= this.table.createTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async save(s: InstanceSnapshot): Promise<void> {
    await this.ensure();
    const json = JSON.stringify(s);
    const chunks = Math.ceil(json.length / CHUNK);
    if (chunks > MAX_CHUNKS)
      throw new Error(`instance ${s.id}: state of ${json.length} characters is too large to store`);
    const entity: Record<string, unknown> = {
      partitionKey: 'instance',
      rowKey: rowKey(s.id),
      instanceId: s.id,
      name: s.name,
      status: s.status,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      chunks,
    };
    for (let i = 0; i < chunks; i++) entity[`d${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
    await this.table.upsertEntity(entity as { partitionKey: string; rowKey: string }, 'Replace');
  }

  private static decode(e: Record<string, unknown>): InstanceSnapshot {
    let json = '';
    for (let i = 0; i < Number(e.chunks); i++) {
      const part = e[`d${i}`];
      json += typeof part === 'string' ? part : '';
    }
    return JSON.parse(json) as InstanceSnapshot;
  }

  async loadActive(): Promise<InstanceSnapshot[]> {
    await this.ensure();
    const out: InstanceSnapshot[] = [];
    const filter =
      "PartitionKey eq 'instance' and status ne 'Completed' and status ne 'Failed' and status ne 'Terminated'";
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(TableInstanceStore.decode(e));
    return out;
  }

  async load(id: string): Promise<InstanceSnapshot | undefined> {
    await this.ensure();
    try {
      return TableInstanceStore.decode(
        await this.table.getEntity<Record<string, unknown>>('instance', rowKey(id)),
      );
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }
}
