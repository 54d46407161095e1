// Generates TypeScript types from JSON Schemas, so that types and schemas cannot drift: the schemas are the
// source of truth, the generated files are derived, and a test fails when the committed output differs from
// what this script would write (run `npm run gen:types` to refresh).
//   schemas/*.schema.json        -> src/lib/types/generated/*.ts
//   emulator/config.schema.json  -> emulator/generated/config.ts (the emulator never imports src/)
// Schemas whose data is used after validation with defaults filled in (app settings, emulator config) are
// generated "resolved": a property with a default is required in the type, because it is always there.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every object schema below `schema` requires the properties that have a default. */
function defaultsRequired(schema) {
  if (Array.isArray(schema)) return schema.map(defaultsRequired);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === 'default' || k === 'examples' ? v : defaultsRequired(v);
  if (out.properties && typeof out.properties === 'object') {
    const withDefault = Object.entries(out.properties)
      .filter(([, p]) => p && typeof p === 'object' && 'default' in p)
      .map(([name]) => name);
    if (withDefault.length) out.required = [...new Set([...(out.required ?? []), ...withDefault])];
    // A $ref with a default beside it would become a second, identical type: keep the $ref alone.
    for (const [name, p] of Object.entries(out.properties))
      if (
        p &&
        typeof p === 'object' &&
        '$ref' in p &&
        Object.keys(p).every((k) => k === '$ref' || k === 'default')
      )
        out.properties[name] = { $ref: p.$ref };
  }
  return out;
}

const TARGETS = [
  ...readdirSync(join(root, 'schemas'))
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((f) => ({
      schema: join('schemas', f),
      out: join('src', 'lib', 'types', 'generated', basename(f, '.schema.json') + '.ts'),
      resolved: f === 'config.schema.json' || f === 'alerts.schema.json',
    })),
  {
    schema: join('emulator', 'config.schema.json'),
    out: join('emulator', 'generated', 'config.ts'),
    resolved: true,
  },
];

/** Map of output path (relative to the project) to its content. */
export async function generate() {
  const out = new Map();
  for (const t of TARGETS) {
    const raw = JSON.parse(readFileSync(join(root, t.schema), 'utf8'));
    const schema = t.resolved ? defaultsRequired(raw) : raw;
    const ts = await compile(schema, schema.title, {
      bannerComment: `/* Generated from ${t.schema.split('\\').join('/')} by scripts/gen-types.mjs${t.resolved ? ' (properties with a default are always present)' : ''}. Do not edit. */`,
      unreachableDefinitions: true,
      additionalProperties: false,
      cwd: join(root, dirname(t.schema)),
      format: true,
      style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
    });
    // Schemas that embed a drill request say so with tsType: import the one DrillRequest type instead of
    // generating a copy of it.
    const usesRequest = /\bDrillRequestType\b/.test(ts);
    out.set(
      t.out.split('\\').join('/'),
      usesRequest
        ? ts.replace(
            /(\*\/\n)/,
            "$1\nimport type { DrillRequest as DrillRequestType } from './drill-request';\n",
          )
        : ts,
    );
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [path, ts] of await generate()) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), ts);
  }
  console.log(`wrote ${TARGETS.map((t) => relative(root, join(root, t.out))).join(', ')}`);
}
