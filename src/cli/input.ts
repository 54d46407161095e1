/**
 * Request files (`pgdrill run <request.json>`, and any command that sends a drill request): read, and checked to
 * be JSON here, so a missing file or a stray comma is one line naming the file (and the line and column), not
 * an HTTP round trip. The text is sent as written: the app checks the rest (schema, duplicate keys).
 */
import { readFileSync } from 'node:fs';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
};

/** Line and column (from 1) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** Where the scan below stopped. */
class JsonStop extends Error {
  constructor(readonly at: number) {
    super(`not JSON at ${at}`);
  }
}

/**
 * The offset of the first character that stops `text` from being JSON (V8's message gives one only for some
 * mistakes): a small recursive scan of the JSON grammar.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const bad = (): never => {
    throw new JsonStop(i);
  };
  const literal = (word: string) => (text.startsWith(word, i) ? (i += word.length) : bad());
  const string = () => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') bad();
      if (c === '"') return void i++;
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if ('"\\/bfnrt'.includes(e) && e) i += 2;
        else return void (i++, bad());
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') bad();
          string();
          ws();
          if (text[i] !== ':') bad();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else bad();
      }
    }
    if (c === '"') return string();
    if (c === 't') return void literal('true');
    if (c === 'f') return void literal('false');
    if (c === 'n') return void literal('null');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) bad();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (err) {
    if (err instanceof JsonStop) return err.at;
    throw err;
  }
}

/** Why `text` is not JSON, with the line and column; undefined when it is. */
export function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    // V8's message, without the position or the excerpt of the file it sometimes quotes.
    const message = (err as Error).message.replace(
      /(, ".*" is not valid JSON|( in JSON)? at position \d+).*$/s,
      '',
    );
    const at = jsonErrorOffset(text);
    if (at < 0) return message;
    const { line, column } = lineColumn(text, at);
    return `${message} at line ${line}, column ${column}`;
  }
}

/** The request file's text; an unreadable file or one that is not JSON throws one line naming it. */
export function readRequestFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot read ${file}: ${REASONS[code] ?? (err as Error).message}`);
  }
  if (!text.trim()) throw new Error(`${file} is empty: it should hold a drill request (JSON)`);
  const problem = jsonProblem(text);
  if (problem) throw new Error(`${file} is not JSON: ${problem}`);
  return text;
}
