/**
 * The ARM budget shared by every process of the app: one table row per subscription and request kind holding
 * a token bucket (src/lib/dataprotection/governor.ts does the arithmetic). Rows are updated with optimistic
 * concurrency (the row's ETag), so two processes leasing at once cannot both spend the same tokens: the loser
 * reads again. The table lives in the app's own storage account (AzureWebJobsStorage), beside the report table,
 * so scaled-out instances in Azure and a restarted standalone host keep to one budget.
 */
import type { TokenCredential } from '@azure/core-auth';
import { RestError, TableClient } from '@azure/data-tables';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import {
  drainBucket,
  fullBucket,
  pauseBucket,
  takeTokens,
  type BucketKey,
  type BucketRate,
  type BucketState,
  type BudgetStore,
} from '../dataprotection/governor';

/** Each store call gives up after this (the governor then keeps to its own bucket for a while). */
const CALL_TIMEOUT_MS = 5_000;
/** Optimistic-concurrency attempts before a call gives up (another process kept winning the row). */
const MAX_ATTEMPTS = 8;

interface BucketEntity {
  partitionKey: string;
  rowKey: string;
  tokens: number;
  at: number;
  pausedUntil: number;
  /** The rate the row was last written with: a changed setting refills at the new rate from then on. */
  perSecond: number;
  burst: number;
}

export class TableBudgetStore implements BudgetStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  static create(options: {
    connectionString?: string;
    tableServiceUri?: string;
    tableName: string;
    credential: TokenCredential;
  }): TableBudgetStore | undefined {
    // A time limit only: a lease serves every waiting drill of the process, so it must not stop at the deadline
    // of whichever drill's activity happened to start it (each waiter stops at its own).
    const timeLimit: PipelinePolicy = {
      name: 'armBudgetTimeLimit',
      sendRequest(request, next) {
        if (!request.timeout || request.timeout > CALL_TIMEOUT_MS) request.timeout = CALL_TIMEOUT_MS;
        return next(request);
      },
    };
    const clientOptions = {
      retryOptions: { maxRetries: 1 },
      additionalPolicies: [{ policy: timeLimit, position: 'perCall' as const }],
    };
    if (options.connectionString)
      return new TableBudgetStore(
        TableClient.fromConnectionString(options.connectionString, options.tableName, {
          allowInsecureConnection: true,
          ...clientOptions,
        }),
      );
    if (options.tableServiceUri)
      return new TableBudgetStore(
        new TableClient(options.tableServiceUri, options.tableName, options.credential, clientOptions),
      );
    return undefined;
  }

  private ensure(): Promise<void> {
    this.ready ??= this.table.createTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /**
   * Reads the bucket, applies `change` and writes it back if nobody wrote in between (else reads again).
   * A bucket not there yet starts full.
   */
  private async update<T>(
    key: BucketKey,
    rate: BucketRate,
    now: number,
    change: (state: BucketState) => { state: BucketState; result: T },
  ): Promise<T> {
    await this.ensure();
    const partitionKey = key.subscription.toLowerCase();
    const rowKey = key.kind;
    for (let attempt = 1; ; attempt++) {
      let current: { state: BucketState; etag?: string };
      try {
        const e = await this.table.getEntity<BucketEntity>(partitionKey, rowKey);
        current = { state: { tokens: e.tokens, at: e.at, pausedUntil: e.pausedUntil }, etag: e.etag };
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
        current = { state: fullBucket(rate, now) };
      }
      const { state, result } = change(current.state);
      const entity: BucketEntity = { partitionKey, rowKey, ...state, ...rate };
      try {
        if (current.etag) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return result;
      } catch (err) {
        // 412: another process updated the row first; 409: another created it first. Read it again.
        const lost = err instanceof RestError && (err.statusCode === 412 || err.statusCode === 409);
        if (!lost || attempt >= MAX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 20 * attempt)));
      }
    }
  }

  take(
    key: BucketKey,
    rate: BucketRate,
    want: number,
    now: number,
  ): Promise<{ granted: number; waitMs: number }> {
    return this.update(key, rate, now, (state) => {
      const t = takeTokens(state, rate, want, now);
      return { state: t.state, result: { granted: t.granted, waitMs: t.waitMs } };
    });
  }

  pause(key: BucketKey, rate: BucketRate, until: number, now: number): Promise<void> {
    return this.update(key, rate, now, (state) => ({ state: pauseBucket(state, until), result: undefined }));
  }

  drain(key: BucketKey, rate: BucketRate, now: number): Promise<void> {
    return this.update(key, rate, now, (state) => ({
      state: drainBucket(state, rate, now),
      result: undefined,
    }));
  }

  /** The bucket as stored (for tests and the bench). */
  async read(key: BucketKey): Promise<BucketState | undefined> {
    try {
      const e = await this.table.getEntity<BucketEntity>(key.subscription.toLowerCase(), key.kind);
      return { tokens: e.tokens, at: e.at, pausedUntil: e.pausedUntil };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }
}
