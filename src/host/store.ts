/**
 * Where the standalone host keeps orchestration state, in Azure Table storage (Azurite locally): one partition
 * per instance. A `meta` row holds what changes as a whole (status, input, output, custom status, inbox and the
 * engine's counters); the history is append-only: each save writes only the events added since the last one,
 * as rows keyed by generation and the index of their first event, in the same batch transaction as the meta
 * row. So a save costs what the episode added, not the whole history, and is atomic: a host killed with SIGKILL
 * resumes from the last save, never from half of one. Writing the same events again (a save whose answer was
 * lost) rewrites the same rows.
 */
import { TableClient, type TransactionAction } from '@azure/data-tables';

export interface InstanceSnapshot {
  id: string;
  name: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  generation?: number;
  history?: unknown[];
  parentInstanceId?: string;
  [key: string]: unknown;
}

export interface InstanceStore {
  save(snapshot: InstanceSnapshot): Promise<void>;
  /** Instances not yet Completed, Failed or Terminated. */
  loadActive(): Promise<InstanceSnapshot[]>;
  load(id: string): Promise<InstanceSnapshot | undefined>;
}

/** Characters per string property (UTF-16: 60 KB of the 64 KiB a property may hold). */
const CHUNK = 30_000;
/** Properties of JSON per row: 12 × 60 KB stays under the 1 MiB an entity may hold. */
const MAX_CHUNKS = 12;
/** A batch transaction: at most 100 operations and 4 MiB; rows are up to 720 KB. */
const BATCH_ROWS = 4;

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function tableKey(id: string): string {
  // Table keys may not contain / \ # ? or control characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys refuse
  return id.replace(/[/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `~${c.charCodeAt(0).toString(16)}~`);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const generationPrefix = (generation: number) => `g${pad(generation, 6)}-`;
const historyKey = (generation: number, from: number) => `${generationPrefix(generation)}${pad(from, 9)}`;

function withJson(entity: Entity, json: string, what: string): Entity {
  const chunks = Math.ceil(json.length / CHUNK);
  if (chunks > MAX_CHUNKS) throw new Error(`${what}: ${json.length} characters are too large to store`);
  entity.chunks = chunks;
  for (let i = 0; i < chunks; i++) entity[`d${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
  return entity;
}

function jsonOf(e: Record<string, unknown>): string {
  let json = '';
  for (let i = 0; i < Number(e.chunks); i++) {
    const part = e[`d${i}`];
    json += typeof part === 'string' ? part : '';
  }
  return json;
}

export class TableInstanceStore implements InstanceStore {
  private ready: Promise<void> | undefined;
  /**
   * What the table holds of each instance's history: which instance (an id may be started again once its
   * instance finished: a vault's job watcher is), its generation and how many events.
   */
  private readonly written = new Map<string, { createdAt: number; generation: number; count: number }>();

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
    const pk = tableKey(s.id);
    const generation = s.generation ?? 0;
    const history = s.history ?? [];
    const before = this.written.get(s.id);
    const same = before && before.createdAt === s.createdAt && before.generation === generation;
    const from = same ? Math.min(before.count, history.length) : 0;
    // The new events, serialised once, packed into rows.
    const rows: Entity[] = [];
    let start = from;
    let parts: string[] = [];
    let size = 0;
    const flush = (end: number) => {
      if (end === start) return;
      rows.push(
        withJson(
          { partitionKey: pk, rowKey: historyKey(generation, start), from: start, count: end - start },
          `[${parts.join(',')}]`,
          `instance ${s.id}: history events ${start}–${end - 1}`,
        ),
      );
      start = end;
      parts = [];
      size = 0;
    };
    for (let i = from; i < history.length; i++) {
      const json = JSON.stringify(history[i]);
      if (size + json.length > CHUNK * MAX_CHUNKS - 2 && parts.length) flush(i);
      parts.push(json);
      size += json.length + 1;
    }
    flush(history.length);
    const { history: _history, ...rest } = s;
    const meta = withJson(
      {
        partitionKey: pk,
        rowKey: 'meta',
        instanceId: s.id,
        name: s.name,
        status: s.status,
        createdAt: s.createdAt,
        updatedAt: s.updatedAt,
        generation,
        historyLength: history.length,
      },
      JSON.stringify(rest),
      `instance ${s.id}`,
    );
    // History first, the meta row last (in the last batch): until it lands, a load ignores the new rows.
    const actions: TransactionAction[] = [...rows, meta].map((e) => ['upsert', e, 'Replace']);
    for (let i = 0; i < actions.length; i += BATCH_ROWS)
      await this.table.submitTransaction(actions.slice(i, i + BATCH_ROWS));
    this.written.set(s.id, { createdAt: s.createdAt, generation, count: history.length });
    // A new generation (continueAsNew): the previous generations' rows are no longer needed. The save has
    // landed whatever becomes of this tidying (a load reads the current generation only).
    if (before && before.createdAt === s.createdAt && before.generation < generation)
      await this.dropGenerationsBefore(pk, generation).catch(() => undefined);
  }

  private async dropGenerationsBefore(pk: string, generation: number): Promise<void> {
    const filter = `PartitionKey eq '${pk.replace(/'/g, "''")}' and RowKey lt '${generationPrefix(generation)}'`;
    const old: TransactionAction[] = [];
    for await (const e of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      old.push(['delete', { partitionKey: pk, rowKey: e.rowKey! }]);
    for (let i = 0; i < old.length; i += 100) await this.table.submitTransaction(old.slice(i, i + 100));
  }

  /** The instance from its meta row and its current generation's history rows. */
  private async assemble(meta: Record<string, unknown>): Promise<InstanceSnapshot> {
    const s = JSON.parse(jsonOf(meta)) as InstanceSnapshot;
    const pk = String(meta.partitionKey);
    const generation = Number(meta.generation ?? 0);
    const length = Number(meta.historyLength ?? 0);
    const prefix = generationPrefix(generation);
    const filter = `PartitionKey eq '${pk.replace(/'/g, "''")}' and RowKey ge '${prefix}' and RowKey lt 'g${pad(generation + 1, 6)}-'`;
    const rows: Record<string, unknown>[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      rows.push(e);
    rows.sort((a, b) => Number(a.from) - Number(b.from));
    const history: unknown[] = [];
    for (const row of rows) {
      if (Number(row.from) !== history.length) continue; // a row no save completed (its meta never landed)
      history.push(...(JSON.parse(jsonOf(row)) as unknown[]));
    }
    if (history.length < length)
      throw new Error(`instance ${s.id}: ${length} history events recorded, ${history.length} found`);
    history.length = length;
    this.written.set(s.id, { createdAt: s.createdAt, generation, count: length });
    return { ...s, history };
  }

  async loadActive(): Promise<InstanceSnapshot[]> {
    await this.ensure();
    const out: InstanceSnapshot[] = [];
    const filter =
      "RowKey eq 'meta' and status ne 'Completed' and status ne 'Failed' and status ne 'Terminated'";
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(await this.assemble(e));
    return out;
  }

  async load(id: string): Promise<InstanceSnapshot | undefined> {
    await this.ensure();
    try {
      return await this.assemble(await this.table.getEntity<Record<string, unknown>>(tableKey(id), 'meta'));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }
}
