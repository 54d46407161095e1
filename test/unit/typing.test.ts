/**
 * Activity calls and their test stubs are typed: test/types/activityCalls.typecheck.ts compiles as it is, and
 * each line marked @ts-expect-error there is a type error once the mark is removed. So a wrong input or a wrong
 * result type of an activity fails `npm run typecheck`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const file = join(root, 'test', 'types', 'activityCalls.typecheck.ts');

/** Type errors of `file` when its text is `text` (line numbers, 1-based). */
function errorLines(text: string): number[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  )!;
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : read(name));
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === file ? ts.createSourceFile(name, text, lang) : getSource(name, lang, onError, create);
  const program = ts.createProgram([file], { ...config.options, noEmit: true }, host);
  const source = program.getSourceFile(file)!;
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
    (d) => source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1,
  );
}

describe('typed activity calls', () => {
  const text = readFileSync(file, 'utf8');
  const marked = text
    .split('\n')
    .map((line, i) => (line.trim().startsWith('// @ts-expect-error') ? i + 2 : 0))
    .filter(Boolean);

  it('the file compiles with its marks: every marked line is an expected error', () => {
    expect(marked.length).toBeGreaterThanOrEqual(8);
    expect(errorLines(text)).toEqual([]);
  }, 60_000);

  it('without the marks, exactly the marked lines fail: wrong inputs, results and stubs do not compile', () => {
    // Blank the marks (keeping line numbers) so each marked line stands alone.
    const unmarked = text.replace(/\/\/ @ts-expect-error[^\n]*/g, '');
    expect([...new Set(errorLines(unmarked))].sort((a, b) => a - b)).toEqual(marked);
  }, 60_000);
});
