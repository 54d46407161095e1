/**
 * The layers of docs/design.md ("Layout"), checked on the real import graph of src/ and emulator/: the
 * standalone host is an outer ring nothing inside imports; the emulator and the app never import each other;
 * lib/ is the innermost layer; activities do not know orchestrators; orchestrators import only types from
 * activities (their names excepted) and nothing of the Functions bindings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import (and require) of every .ts file under `dirs`, resolved to a project path. */
function imports(...dirs: string[]): Edge[] {
  const edges: Edge[] = [];
  for (const file of dirs.flatMap((d) => filesUnder(join(root, d)))) {
    const text = readFileSync(file, 'utf8');
    const from = relative(root, file);
    const patterns = [
      /^\s*import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm,
      /^\s*export\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm,
      /()require\('([^']+)'\)/g,
      /()import\('([^']+)'\)/g,
    ];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const spec = m[2]!;
        if (!spec.startsWith('.')) continue;
        edges.push({ from, to: relative(root, resolve(dirname(file), spec)), typeOnly: !!m[1] });
      }
    }
  }
  return edges;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

describe('layers', () => {
  const edges = imports('src', 'emulator');

  it('the scan sees the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(150);
    expect(edges.some((e) => e.from === 'src/host/main.ts' && e.to === 'src/functions')).toBe(true);
  });

  it('nothing inside the app imports the standalone host or the emulator', () => {
    const inner = [
      'src/functions',
      'src/orchestrators',
      'src/activities',
      'src/app',
      'src/lib',
      'src/index.ts',
    ];
    const bad = edges.filter(
      (e) => inner.some((d) => under(e.from, d)) && (under(e.to, 'src/host') || under(e.to, 'emulator')),
    );
    expect(bad).toEqual([]);
  });

  it('the emulator never imports the app, so a client bug cannot hide behind the same bug in it', () => {
    expect(edges.filter((e) => under(e.from, 'emulator') && under(e.to, 'src'))).toEqual([]);
  });

  it('lib is the innermost layer: it imports nothing of the app outside lib', () => {
    expect(
      edges.filter((e) => under(e.from, 'src/lib') && !under(e.to, 'src/lib') && !under(e.to, 'schemas')),
    ).toEqual([]);
  });

  it('activities and the composition root do not know the orchestrators or the bindings', () => {
    const bad = edges.filter(
      (e) =>
        (under(e.from, 'src/activities') || under(e.from, 'src/app')) &&
        (under(e.to, 'src/orchestrators') || under(e.to, 'src/functions')),
    );
    expect(bad).toEqual([]);
  });

  it('orchestrators import only types from the activities (and their names), and nothing of the bindings', () => {
    const bad = edges.filter(
      (e) =>
        under(e.from, 'src/orchestrators') &&
        ((under(e.to, 'src/activities') && !e.typeOnly && e.to !== 'src/activities/names') ||
          under(e.to, 'src/functions') ||
          under(e.to, 'src/app')),
    );
    expect(bad).toEqual([]);
  });
});
