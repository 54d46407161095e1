/**
 * Activities for restores as files: list the dumps Azure Backup wrote (reading each one's header), and load
 * one into a scratch database on the drill server with pg_restore.
 */
import { join } from 'node:path';
import { currentSignal } from '../lib/deadline';
import { isRestoredFileOf } from '../lib/drill/names';
import { AppError } from '../lib/errors';
import {
  clearLoadLeftovers,
  pgRestoreVersion,
  prepareLoadFolder,
  recreateDrillDatabase,
  runPgRestore,
  serverVersion,
  type ToolEnv,
} from '../lib/postgres/admin';
import { majorOf, parseDumpHeader } from '../lib/postgres/dumpHeader';
import type { ListFilesInput, LoadInput, LoadOutput, RestoredFile } from './contracts';
import { loginFromSecret, type ActivityDeps } from './deps';

/**
 * pg_restore --jobs when the request does not say: measured by bench (e) on a 1.5M-row dump (RESULTS.md), the
 * step with 2 jobs is the fastest on a 2-core drill server and machine, and more jobs only add connections.
 */
export const DEFAULT_LOAD_JOBS = 2;

export function fileActivities(deps: ActivityDeps) {
  const tools: ToolEnv = {
    ...(deps.searchPath ? { searchPath: deps.searchPath } : {}),
    ...(deps.sslRootCert ? { sslRootCert: deps.sslRootCert } : {}),
  };
  /** The drill server's login and version, and pg_restore's: refused when older than the dump's source. */
  async function checkDrillServer(input: LoadInput) {
    const pgLogin = await loginFromSecret(deps, input.load.secretUri, {
      host: input.load.host,
      port: input.load.port ?? 5432,
      ...(input.load.sslMode ? { sslMode: input.load.sslMode } : {}),
    });
    const server = await serverVersion(pgLogin, input.load.adminDatabase ?? 'postgres');
    const dumpMajor = majorOf(input.file.dumpServerVersion);
    if (dumpMajor !== undefined && server.major < dumpMajor) {
      throw new AppError(
        'DrillServerTooOld',
        `the drill server runs PostgreSQL ${server.text}, older than the dump's source (${input.file.dumpServerVersion}): use a drill server of version ${dumpMajor} or later`,
      );
    }
    const tool = await pgRestoreVersion(deps.pgRestore, tools);
    if (dumpMajor !== undefined && tool.major < dumpMajor) {
      throw new AppError(
        'PgRestoreTooOld',
        `${tool.text} cannot be trusted with a dump from PostgreSQL ${input.file.dumpServerVersion}: install the PostgreSQL ${dumpMajor} (or later) client tools or set PG_BIN_DIR`,
      );
    }
    return { pgLogin, server };
  }

  return {
    listRestoredFiles: async (input: ListFilesInput): Promise<RestoredFile[]> => {
      const container = deps.containers(input.containerUrl);
      const files: RestoredFile[] = [];
      for await (const b of container.listBlobsFlat({
        prefix: input.filePrefix,
        includeMetadata: true,
        abortSignal: currentSignal(),
      })) {
        // Only this drill's files: the prefix, then a separator (another drill's longer prefix is not ours).
        if (!isRestoredFileOf(b.name, input.filePrefix)) continue;
        const size = b.properties.contentLength ?? 0;
        const head =
          size > 0
            ? await container
                .getBlockBlobClient(b.name)
                .downloadToBuffer(0, Math.min(4096, size), { abortSignal: currentSignal() })
            : Buffer.alloc(0);
        let header;
        try {
          header = parseDumpHeader(head);
        } catch (err) {
          throw new AppError('NotACustomFormatDump', `${b.name}: ${(err as Error).message}`);
        }
        // The names Azure gives restored files are not documented: the database comes from the dump itself.
        const database =
          header.database ??
          b.metadata?.database ??
          b.name.slice(input.filePrefix.length + 1).replace(/\.[^.]*$/, '');
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
      // The dump goes into a folder named after the scratch database: a killed earlier attempt's pg_restore and
      // files are ended and removed first, and this attempt's are removed when it ends.
      const folder = await prepareLoadFolder(input.scratchDatabase);
      const file = join(folder, 'restore.dump');
      // The download runs while the drill server is checked and the scratch database made (bench (e): the
      // setup is a fifth of the download's time); a failed check stops it before the folder is removed.
      const stopDownload = new AbortController();
      const signal = currentSignal();
      const onAbort = () => stopDownload.abort();
      let server: { text: string };
      if (signal?.aborted) stopDownload.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // Settled with its error (or undefined) from the start: a download failing while the checks run is no
      // unhandled rejection.
      const download: Promise<unknown> = deps
        .containers(input.containerUrl)
        .getBlockBlobClient(input.file.name)
        .downloadToFile(file, 0, undefined, { abortSignal: stopDownload.signal })
        .then(
          () => undefined,
          (err: unknown) => err ?? new Error('the download failed'),
        );
      try {
        let setupError: unknown;
        let checked: Awaited<ReturnType<typeof checkDrillServer>> | undefined;
        try {
          checked = await checkDrillServer(input);
          await recreateDrillDatabase(
            checked.pgLogin,
            input.load.adminDatabase ?? 'postgres',
            input.scratchDatabase,
          );
        } catch (err) {
          setupError = err;
          stopDownload.abort();
        }
        const downloadError = await download;
        // Stopped because the setup failed: that failure is the one to report. Stopped by the deadline: the
        // deadline's. Otherwise the download's own.
        if (downloadError !== undefined && setupError === undefined)
          throw signal?.aborted ? (signal.reason ?? downloadError) : downloadError;
        if (setupError !== undefined || !checked) throw setupError;
        server = checked.server;
        await runPgRestore(
          deps.pgRestore,
          checked.pgLogin,
          input.scratchDatabase,
          file,
          {
            noOwner: input.load.noOwner ?? true,
            noPrivileges: input.load.noPrivileges ?? true,
            jobs: input.load.jobs ?? DEFAULT_LOAD_JOBS,
          },
          tools,
        );
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await clearLoadLeftovers(input.scratchDatabase);
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
