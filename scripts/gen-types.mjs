// Generates TypeScript types from the JSON Schemas in schemas/, so that types and schemas cannot drift:
// the schemas are the source of truth, src/lib/types/generated/ is derived, and a test fails when the
// committed output differs from what this script would write (run `npm run gen:types` to refresh).
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(root, 'schemas');
const outDir = join(root, 'src', 'lib', 'types', 'generated');

export async function generate() {
  const out = new Map();
  for (const file of readdirSync(schemaDir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'));
    const ts = await compile(schema, schema.title, {
      bannerComment: `/* Generated from schemas/${file} by scripts/gen-types.mjs. Do not edit. */`,
      unreachableDefinitions: true,
      additionalProperties: false,
      cwd: schemaDir,
      format: true,
      style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
    });
    // Schemas that embed a drill request say so with tsType: import the one DrillRequest type instead of
    // generating a copy of it.
    const usesRequest = /\bDrillRequestType\b/.test(ts);
    out.set(
      basename(file, '.schema.json') + '.ts',
      usesRequest ? ts.replace(/(\*\/\n)/, "$1\nimport type { DrillRequest as DrillRequestType } from './drill-request';\n") : ts,
    );
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(outDir, { recursive: true });
  for (const [name, ts] of await generate()) writeFileSync(join(outDir, name), ts);
  console.log(`wrote ${outDir}`);
}
