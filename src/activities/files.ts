/**
 * Activities for restores as files: list the dumps Azure Backup wrote (reading each one's header), and load
 * one into a scratch database on the drill server with pg_restore.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../lib/errors';
import { pgRestoreVersion, recreateDrillDatabase, runPgRestore, serverVersion } from '../lib/postgres/admin';
import { majorOf, parseDumpHeader } from '../lib/postgres/dumpHeader';
import type { ListFilesInput, LoadInput, LoadOutput, RestoredFile } from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

export function fileActivities(deps: ActivityDeps) {
  return {
    listRestoredFiles: async (input: ListFilesInput): Promise<RestoredFile[]> => {
      const container = deps.containers(input.containerUrl);
      const files: RestoredFile[] = [];
      for await (const b of container.listBlobsFlat({ prefix: input.filePrefix, includeMetadata: true })) {
        const size = b.properties.contentLength ?? 0;
        const head =
          size > 0
            ? await container.getBlockBlobClient(b.name).downloadToBuffer(0, Math.min(4096, size))
            : Buffer.alloc(0);
        let header;
        try {
          header = parseDumpHeader(head);
        } catch (err) {
          throw new AppError('NotACustomFormatDump', `${b.name}: ${(err as Error).message}`);
        }
        const database =
          header.database ??
          b.metadata?.database ??
          b.name
            .slice(input.filePrefix.length)
            .replace(/^[_-]/, '')
            .replace(/\.[^.]*$/, '');
        files.push({
          name: b.name,
          bytes: b.properties.contentLength ?? 0,
          database,
          ...(header.serverVersion ? { dumpServerVersion: header.serverVersion } : {}),
        });
      }
      return files;
    },

    loadDump: async (input: LoadInput): Promise<LoadOutput> => {
      const started = Date.now();
      const pgLogin = await loginFromSecret(deps, input.load.secretUri, {
        host: input.load.host,
        port: input.load.port ?? 5432,
        ...(input.load.sslMode ? { sslMode: input.load.sslMode } : {}),
      });
      const admin = input.load.adminDatabase ?? 'postgres';
      const server = await serverVersion(pgLogin, admin);
      const dumpMajor = majorOf(input.file.dumpServerVersion);
      if (dumpMajor !== undefined && server.major < dumpMajor) {
        throw new AppError(
          'DrillServerTooOld',
          `the drill server runs PostgreSQL ${server.text}, older than the dump's source (${input.file.dumpServerVersion}): use a drill server of version ${dumpMajor} or later`,
        );
      }
      const tool = await pgRestoreVersion(deps.pgRestore, deps.searchPath);
      if (dumpMajor !== undefined && tool.major < dumpMajor) {
        throw new AppError(
          'PgRestoreTooOld',
          `${tool.text} cannot be trusted with a dump from PostgreSQL ${input.file.dumpServerVersion}: install the PostgreSQL ${dumpMajor} (or later) client tools or set PG_BIN_DIR`,
        );
      }
      const dir = await mkdtemp(join(tmpdir(), 'pgdrill-load-'));
      try {
        const file = join(dir, 'restore.dump');
        await deps.containers(input.containerUrl).getBlockBlobClient(input.file.name).downloadToFile(file);
        await recreateDrillDatabase(pgLogin, admin, input.scratchDatabase);
        await runPgRestore(
          deps.pgRestore,
          pgLogin,
          input.scratchDatabase,
          file,
          {
            noOwner: input.load.noOwner ?? true,
            noPrivileges: input.load.noPrivileges ?? true,
            jobs: input.load.jobs ?? 1,
          },
          deps.searchPath,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      return {
        database: input.file.database,
        scratchDatabase: input.scratchDatabase,
        dumpVersion: input.file.dumpServerVersion ?? 'unknown',
        serverVersion: server.text,
        seconds: (Date.now() - started) / 1000,
      };
    },
  };
}
