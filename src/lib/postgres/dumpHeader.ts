/**
 * The header of a pg_dump custom-format archive: magic "PGDMP", archive version, and (for the versions
 * pg_dump writes today) the database name and the server and pg_dump versions. Enough to name the database a
 * restored file holds and to check versions before running pg_restore. Pure.
 */
import { AppError } from '../errors';

export interface DumpHeader {
  archiveVersion: string;
  format: 'custom' | 'directory' | 'tar' | 'unknown';
  database?: string;
  serverVersion?: string;
  pgDumpVersion?: string;
}

export class DumpHeaderError extends AppError {
  constructor(message: string) {
    super('NotACustomFormatDump', message, { isUserError: true });
  }
}

export function parseDumpHeader(buf: Buffer): DumpHeader {
  if (buf.length < 11 || buf.subarray(0, 5).toString('latin1') !== 'PGDMP') {
    throw new DumpHeaderError(
      'the file does not start with PGDMP: it is not a pg_dump custom-format archive',
    );
  }
  const [vmaj, vmin, vrev] = [buf[5]!, buf[6]!, buf[7]!];
  const intSize = buf[8]!;
  const format =
    ({ 1: 'custom', 3: 'tar', 5: 'directory' } as Record<number, DumpHeader['format']>)[buf[10]!] ??
    'unknown';
  const header: DumpHeader = { archiveVersion: `${vmaj}.${vmin}.${vrev}`, format };
  let pos = 11;
  const readInt = (): number => {
    const sign = buf[pos]!;
    let v = 0;
    for (let i = 0; i < intSize; i++) v += buf[pos + 1 + i]! * 2 ** (8 * i);
    pos += 1 + intSize;
    return sign ? -v : v;
  };
  const readStr = (): string | undefined => {
    const len = readInt();
    if (len < 0) return undefined;
    const s = buf.subarray(pos, pos + len).toString('utf8');
    pos += len;
    return s;
  };
  try {
    const version = vmaj * 10000 + vmin * 100 + vrev;
    if (version >= 11500)
      pos += 1; // 1.15+: compression algorithm as one byte
    else readInt(); // older: compression level as an int
    for (let i = 0; i < 7; i++) readInt(); // creation time (sec, min, hour, mday, mon, year, isdst)
    const database = readStr();
    const serverVersion = readStr();
    const pgDumpVersion = readStr();
    if (pos > buf.length) return header;
    return {
      ...header,
      ...(database ? { database } : {}),
      ...(serverVersion ? { serverVersion } : {}),
      ...(pgDumpVersion ? { pgDumpVersion } : {}),
    };
  } catch {
    return header;
  }
}

/** Major version of "15.18", "16.2 (Debian 16.2-1)" or "9.6.24". */
export function majorOf(version: string | undefined): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version ?? '');
  if (!m) return undefined;
  const major = Number(m[1]);
  return major >= 10 ? major : Number(`${m[1]}.${m[2] ?? 0}`);
}
