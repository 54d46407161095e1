/**
 * Argument parsing for pgdrill: each command declares its options and positionals, Node's util.parseArgs parses
 * them in strict mode, and every refusal becomes a one-line UsageError that names the flag and the fix (the
 * caller prints it with the command's usage line and exits 2). Pure: no I/O.
 */
import { parseArgs } from 'node:util';

/** A mistake in how pgdrill was called: exit 2, with the usage line of `usage` (or of pgdrill). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export type Options = Record<string, OptionSpec>;

/** A command's arguments after parsing: flag values by name, positionals in order. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface ArgSpec {
  /** The one-line usage the error is printed with. */
  usage: string;
  options: Options;
  /** Names of the positionals, in order; those after `required` of them are optional. */
  positionals: readonly string[];
  required: number;
}

/** Edit distance between two names, a swap of neighbours counting as one edit (--tiemout, lsit). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, when it is close enough to be a typo of it. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k);
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** The flag as the user wrote it, from parseArgs' message ("Unknown option '--tiemout'"). */
function quoted(message: string): string {
  return /'([^' ]+)/.exec(message)?.[1] ?? '';
}

/** What parseArgs refused, said in pgdrill's words. */
function explain(err: Error & { code?: string }, spec: ArgSpec, argv: readonly string[]): string {
  const raw = quoted(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = raw.replace(/^-+/, '').split('=')[0]!;
    const hint = closest(name, Object.keys(spec.options));
    return `unknown option ${raw}${hint ? ` (did you mean --${hint}?)` : `: ${helpHint(spec)} lists the options`}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(err.message)) return `${raw} takes no value: write just ${raw}`;
    const flag = raw.split(' ')[0]!;
    // `--timeout -5`: parseArgs calls a value starting with a dash ambiguous; it is a value, and a bad one.
    const next = argv[argv.indexOf(flag) + 1];
    if (/ambiguous/.test(err.message) && next !== undefined && /^-\d/.test(next))
      return `${flag} ${next}: ${flag === '--timeout' || flag === '--interval' ? 'give a positive number of seconds' : 'give a value that does not start with -'}`;
    return `${flag} needs a value: ${flag} <value>`;
  }
  return err.message.split('\n')[0]!;
}

function helpHint(spec: ArgSpec): string {
  return `${spec.usage.split(' [')[0]!.split(' <')[0]} --help`;
}

/**
 * Parses `argv` (the arguments after the command's own words) against the command's spec. Unknown flags,
 * missing values, flags given a value they do not take and too many or too few positionals are UsageErrors.
 */
export function parseCommand(spec: ArgSpec, argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError(explain(err as Error & { code?: string }, spec, argv), spec.usage);
  }
  // parseArgs keeps the last of a repeated flag silently; which one was meant is not for pgdrill to guess.
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    // The options are built at run time, so parseArgs' inferred name type is empty: read it as a string.
    const name: string = (t as { name: string }).name;
    if (name === 'help') continue;
    if (seen.has(name)) throw new UsageError(`--${name} is given twice: give it once`, spec.usage);
    seen.add(name);
  }
  const values = parsed.values as Parsed['values'];
  if (values.help) return { values, positionals: parsed.positionals };
  const extra = parsed.positionals[spec.positionals.length];
  if (extra !== undefined)
    throw new UsageError(
      spec.positionals.length
        ? `unexpected argument "${extra}": this command takes ${spec.positionals.map((p) => `<${p}>`).join(' ')}`
        : `unexpected argument "${extra}": this command takes no arguments`,
      spec.usage,
    );
  const missing = spec.positionals[parsed.positionals.length];
  if (parsed.positionals.length < spec.required && missing)
    throw new UsageError(`missing the <${missing}> argument`, spec.usage);
  return { values, positionals: parsed.positionals };
}

/** A flag's string value (undefined when not given). */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive number of seconds (--timeout, --interval); `fallback` when the flag is absent. */
export function seconds(p: Parsed, name: string, fallback: number, usage: string): number {
  const v = str(p, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !Number.isFinite(n) || n <= 0)
    throw new UsageError(
      `--${name} ${v}: give a positive number of seconds, e.g. --${name} ${fallback}`,
      usage,
    );
  return n;
}

/** A whole number at least 1 (--top); `fallback` when the flag is absent. */
export function count(p: Parsed, name: string, fallback: number, usage: string): number {
  const v = str(p, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError(
      `--${name} ${v}: give a whole number, at least 1, e.g. --${name} ${fallback}`,
      usage,
    );
  return Number(v);
}
