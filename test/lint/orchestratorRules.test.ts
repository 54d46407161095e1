/**
 * The determinism rules for src/orchestrators/** must fire with the project's real ESLint config. The samples
 * are linted as text, as if they were files under src/orchestrators (so the override applies to them as to a
 * contributor's file); nothing is written into src/. The only addition to the real config lets the TypeScript
 * project service type-check a file that is not on disk.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const SAMPLES = 'src/orchestrators/__lint_sample__';

async function lint(name: string, code: string): Promise<{ rule: string | null; message: string }[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      languageOptions: {
        parserOptions: {
          projectService: {
            allowDefaultProject: ['*.mjs', 'scripts/*.mjs', `${SAMPLES}/*.ts`],
            // Every sample of this file is one more file in the default project.
            maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 50,
          },
          tsconfigRootDir: root,
        },
      },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, SAMPLES, name) });
  const messages = result!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
  // A parsing failure would make every "does not fire" check pass: there must be none.
  expect(messages.filter((m) => m.rule === null)).toEqual([]);
  return messages;
}

// The first lint builds the TypeScript program of the whole project: tens of seconds on a busy machine.
describe('orchestrator determinism lint', { timeout: 120_000 }, () => {
  it('fires on Date.now()', async () => {
    const msgs = await lint('now.ts', 'export function started(): number {\n  return Date.now();\n}\n');
    expect(msgs).toContainEqual({
      rule: 'no-restricted-properties',
      message: expect.stringContaining('currentUtcDateTime'),
    });
  });

  it.each([
    ['new Date()', 'export const d = new Date();\n', 'no-restricted-syntax'],
    ['Math.random()', 'export const r = Math.random();\n', 'no-restricted-properties'],
    ['process.env', "export const e = process.env['X'];\n", 'no-restricted-properties'],
    ['setTimeout', 'setTimeout(() => undefined, 1);\n', 'no-restricted-globals'],
    ['setInterval', 'setInterval(() => undefined, 1);\n', 'no-restricted-globals'],
    [
      'a Node built-in',
      "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
      'no-restricted-imports',
    ],
    [
      'a bare Node built-in',
      "import * as http from 'http';\nexport const h = http;\n",
      'no-restricted-imports',
    ],
    [
      'an Azure SDK',
      "import { DefaultAzureCredential } from '@azure/identity';\nexport const c = DefaultAzureCredential;\n",
      'no-restricted-imports',
    ],
  ])('fires on %s', async (_what, code, rule) => {
    const msgs = await lint(`bad-${rule}-${Math.abs(code.length)}.ts`, code);
    expect(msgs.map((m) => m.rule)).toContain(rule);
  });

  it('allows deterministic code: new Date(value), durable-functions types, Date arithmetic', async () => {
    const msgs = await lint(
      'good.ts',
      "import type * as df from 'durable-functions';\n" +
        'export function later(ctx: df.OrchestrationContext, ms: number): Date {\n' +
        '  return new Date(ctx.df.currentUtcDateTime.getTime() + ms);\n' +
        '}\n',
    );
    expect(msgs).toEqual([]);
  });

  it('the same code outside src/orchestrators is not restricted', async () => {
    const eslint = new ESLint({ cwd: root });
    const config = (await eslint.calculateConfigForFile(join(root, 'src', 'lib', 'x.ts'))) as {
      rules: Record<string, unknown>;
    };
    expect(config.rules['no-restricted-properties']).toBeUndefined();
  });
});
