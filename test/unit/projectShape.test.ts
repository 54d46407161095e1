/** Guards on the project's own shape: derived types match the schemas, package.json main covers registration. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('project shape', () => {
  it('generated types are exactly what the schemas generate (run npm run gen:types after a schema change)', async () => {
    const { generate } = (await import(join(root, 'scripts', 'gen-types.mjs'))) as {
      generate: () => Promise<Map<string, string>>;
    };
    const expected = await generate();
    const committed = [
      ...readdirSync(join(root, 'src', 'lib', 'types', 'generated')).map(
        (f) => `src/lib/types/generated/${f}`,
      ),
      ...readdirSync(join(root, 'emulator', 'generated')).map((f) => `emulator/generated/${f}`),
    ];
    expect(committed.sort()).toEqual([...expected.keys()].sort());
    for (const [path, ts] of expected) expect(readFileSync(join(root, path), 'utf8'), path).toBe(ts);
  });

  it('package.json main covers every file that registers functions with the host', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    const registering = filesUnder(join(root, 'src'))
      .filter((f) => f.endsWith('.ts'))
      .filter((f) =>
        /\b(app\.(http|timer|storageQueue|generic|setup)|df\.app\.)/.test(readFileSync(f, 'utf8')),
      )
      .map((f) =>
        relative(root, f)
          .replace(/^src\//, 'dist/src/')
          .replace(/\.ts$/, '.js'),
      );
    expect(registering.length).toBeGreaterThan(0);
    // main is a single file or a glob of the form dist/src/{a.js,dir/*.js}
    const patterns = pkg.main.includes('{')
      ? pkg.main
          .replace(/^(.*)\{(.*)\}$/, '$2')
          .split(',')
          .map((p) => pkg.main.replace(/\{.*\}$/, '') + p)
      : [pkg.main];
    const matches = (file: string) =>
      patterns.some((p) =>
        new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+') + '$').test(file),
      );
    for (const f of registering) expect(matches(f), `${f} is not covered by main "${pkg.main}"`).toBe(true);
  });

  it('host.json pins the v4 extension bundle and takes the task hub from a setting', () => {
    const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8'));
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({
      id: 'Microsoft.Azure.Functions.ExtensionBundle',
      version: '[4.*, 5.0.0)',
    });
    expect(host.extensions.durableTask.hubName).toMatch(/^%[A-Z_]+%$/);
  });
});
