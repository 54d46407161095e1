/**
 * Backups: a pg_dump -Fc of each source database, kept in the vault store container, becomes a recovery
 * point. Seeding takes N of them at start, backdated, running `changeSql` before each so that the data
 * really differs from one point to the next (RPO and canary checks then prove something).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { EmulatorContext } from './context';
import {
  newRecoveryPointId,
  type BackupInstanceRuntime,
  type DataStoreDetail,
  type JobRuntime,
  type RecoveryPointRuntime,
} from './model';
import { dumpDatabase, holdSnapshot, quoteIdent, withClient, type HeldSnapshot } from './postgres';
import { tempDir } from './storage';

const DAY = 24 * 3600 * 1000;

export async function ensureDatabase(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  database: string,
): Promise<boolean> {
  return withClient(bi.server.admin, 'postgres', async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount) return false;
    await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
    ctx.log('created source database', { server: bi.server.config.name, database });
    return true;
  });
}

export async function runSql(bi: BackupInstanceRuntime, database: string, sql: string): Promise<void> {
  await withClient(bi.server.admin, database, async (c) => {
    await c.query(sql);
  });
}

export interface BackupOptions {
  time?: Date;
  /** Keep the point in the archive tier only. */
  archived?: boolean;
  /** Dump these snapshots (by database) instead of the databases as they are now; released when done. */
  snapshots?: Map<string, HeldSnapshot>;
}

export async function takeBackup(
  ctx: EmulatorContext,
  bi: BackupInstanceRuntime,
  options: BackupOptions = {},
): Promise<RecoveryPointRuntime> {
  const started = Date.now();
  const time = options.time ?? new Date();
  const id = newRecoveryPointId();
  const tmp = tempDir('pgdrill-backup-');
  try {
    const blobs: RecoveryPointRuntime['blobs'] = [];
    for (const database of bi.databases) {
      const file = join(tmp.path, `${database}.dump`);
      await dumpDatabase(ctx.tools, bi.server.admin, database, file, options.snapshots?.get(database)?.id);
      const blob = `${bi.vault.name}/${bi.name}/${id}/${database}.dump`;
      const bytes = await ctx.blobs.upload(ctx.config.storage.vaultContainer, blob, file, {
        database,
        sourcemajorversion: String(bi.server.realMajor),
      });
      blobs.push({ database, blob, bytes });
    }
    const vaultExpiry = new Date(time.getTime() + bi.config.vaultRetentionDays * DAY);
    const archiveExpiry = new Date(time.getTime() + bi.config.archiveRetentionDays * DAY);
    const store = (type: DataStoreDetail['type'], expiry: Date): DataStoreDetail => ({
      id: randomUUID(),
      type,
      creationTime: time.toISOString(),
      expiryTime: expiry.toISOString(),
      state: 'COMMITTED',
      visible: true,
    });
    const point: RecoveryPointRuntime = {
      id,
      time,
      blobs,
      sourceMajor: bi.server.reportedMajor,
      stores: options.archived ? [store('ArchiveStore', archiveExpiry)] : [store('VaultStore', vaultExpiry)],
      expiry: options.archived ? archiveExpiry : vaultExpiry,
    };
    bi.points.push(point);
    bi.points.sort((a, b) => a.time.getTime() - b.time.getTime());
    const job: JobRuntime = {
      id: randomUUID(),
      vault: bi.vault,
      bi,
      operation: 'Backup',
      status: 'Completed',
      startTime: time,
      endTime: new Date(time.getTime() + (Date.now() - started)),
      subTasks: [{ taskId: 1, taskName: 'Take Backup', taskStatus: 'Completed', transfersData: true }],
      point,
      dataTransferredInBytes: blobs.reduce((n, b) => n + b.bytes, 0),
      sourceDataStore: 'VaultStore',
      restoredBlobs: [],
    };
    ctx.jobs.set(job.id, job);
    ctx.log('backup taken', {
      backupInstance: bi.name,
      recoveryPointId: id,
      pointTime: time.toISOString(),
      archived: !!options.archived,
    });
    return point;
  } finally {
    tmp.remove();
    await Promise.all([...(options.snapshots?.values() ?? [])].map((s) => s.release()));
  }
}

/** Source databases, seed SQL and the seeded backups of one backup instance. */
export async function seedBackupInstance(ctx: EmulatorContext, bi: BackupInstanceRuntime): Promise<void> {
  if (bi.config.createDatabases) for (const db of bi.databases) await ensureDatabase(ctx, bi, db);
  const seed = bi.config.seed;
  if (!seed) return;
  if (seed.sql) for (const db of bi.databases) await runSql(bi, db, seed.sql);
  const now = Date.now();
  // Each point's change runs, then its snapshot is held and dumped in the background while the next change
  // runs: the dumps of a week run at once (start-up time), and each still holds exactly its own day's data.
  const backups: Promise<unknown>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (let i = 0; i < seed.backups; i++) {
      const time = new Date(now - (seed.backups - 1 - i) * seed.intervalHours * 3600 * 1000);
      if (seed.changeSql) {
        const sql = seed.changeSql
          .replaceAll('{{backupTime}}', time.toISOString())
          .replaceAll('{{backupIndex}}', String(i));
        for (const db of bi.databases) await runSql(bi, db, sql);
      }
      const snapshots = new Map<string, HeldSnapshot>();
      try {
        for (const db of bi.databases) snapshots.set(db, await holdSnapshot(bi.server.admin, db));
      } catch (err) {
        await Promise.all([...snapshots.values()].map((s) => s.release()));
        throw err;
      }
      backups.push(takeBackup(ctx, bi, { time, archived: i < seed.archived, snapshots }));
    }
  } catch (error) {
    failure = { error };
  }
  // Never leave a dump running (or a failure unreported) behind a failed change.
  const settled = await Promise.allSettled(backups);
  if (failure) throw failure.error;
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed?.status === 'rejected') throw failed.reason;
}
