/**
 * `pgdrill doctor <request.json> [--json]`: the pre-flight doctor through the app's HTTP API (POST
 * /api/drills/preflight). Text: one line per check (PASS/FAIL/SKIP, title, evidence), an indented fix under each
 * failure, then a summary line; --json: the DoctorResult as one JSON line. Exit 0 when no check failed, 1 when
 * one did, 2 for a usage error (no file, a file that cannot be read, a request the API refuses as invalid).
 */
import { readFileSync } from 'node:fs';
import type { DoctorResult } from '../lib/doctor/types';

export interface DoctorCli {
  /** One call of the app's API (the CLI's own: --url, --key). */
  api(method: string, path: string, body: string): Promise<{ status: number; body: unknown }>;
  /** The CLI's usage error (exit 2, with the help text). */
  usage(message: string): Error;
  out(text: string): void;
}

const LABEL = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;

/** The text form: a line per check, the fix of each failure under it, a summary. */
export function formatDoctor(result: DoctorResult): string {
  const lines: string[] = [];
  for (const c of result.checks) {
    lines.push(`${LABEL[c.status]}  ${c.title}: ${c.evidence}`);
    if (c.status === 'failed' && c.fix) lines.push(`      fix: ${c.fix}`);
  }
  const count = (s: keyof typeof LABEL) => result.checks.filter((c) => c.status === s).length;
  lines.push(
    `${result.ok ? 'ok' : 'NOT READY'}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${result.backupInstanceId}, ${result.restoreFrom})`,
  );
  return lines.join('\n');
}

export async function doctorCommand(
  file: string | undefined,
  json: boolean,
  cli: DoctorCli,
): Promise<number> {
  if (!file) throw cli.usage('doctor needs a request file');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw cli.usage(`cannot read ${file}: ${(err as Error).message}`);
  }
  const res = await cli.api('POST', '/api/drills/preflight', text);
  const body = res.body as DoctorResult & {
    error?: { code: string; message: string; errors?: { pointer: string; message: string }[] } | string;
  };
  if (res.status !== 200) {
    const e = body?.error;
    const detail =
      typeof e === 'object' && e
        ? `${e.code}: ${e.message}${(e.errors ?? []).map((x) => `\n  ${x.pointer || '(root)'}: ${x.message}`).join('')}`
        : String(e ?? '');
    const message = `the doctor did not run: HTTP ${res.status} ${detail}`;
    if (res.status === 400 || res.status === 413) throw cli.usage(message);
    throw new Error(message);
  }
  cli.out(json ? JSON.stringify(body) : formatDoctor(body));
  return body.ok ? 0 : 1;
}
