#!/usr/bin/env node
/**
 * Coverage of one test run, in-process and child processes together (`npm run coverage`, or after
 * `npm test -- --coverage` in CI).
 *
 * vitest measures what its workers run (coverage/coverage-final.json). The standalone host, the CLI, the demo
 * and emulator processes that e2e tests start run the built files under dist/; while coverage is on, the test
 * setup has every such process write Node's own V8 coverage into .tmp/coverage-children/ (NODE_V8_COVERAGE). Here
 * those are merged per script, converted to Istanbul's format through dist's source maps with the converter
 * vitest itself uses (ast-v8-to-istanbul), merged with vitest's map, and reported: coverage-summary.json
 * (json-summary: total.lines.pct, total.branches.pct), HTML (coverage/index.html) and a text summary.
 *
 * Prints the figures and the goals (lines >= 90 %, branches >= 75 %); exits non-zero only when an input is
 * missing (`--check` also fails when a goal is not met).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8Coverage from '@bcoe/v8-coverage';
import { convert } from 'ast-v8-to-istanbul';
import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';
import { parseAstAsync } from 'vite';

const GOALS = { lines: 90, branches: 75 };
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'coverage');
const childDir = join(root, '.tmp', 'coverage-children');

/** The sources measured, as vitest.config.mts includes them. */
function measured(file) {
  const rel = relative(root, file).split(sep).join('/');
  return (
    /^(src|emulator)\//.test(rel) &&
    rel.endsWith('.ts') &&
    !rel.includes('/generated/') &&
    !rel.endsWith('.d.ts')
  );
}

const inProcessFile = join(out, 'coverage-final.json');
if (!existsSync(inProcessFile)) {
  console.error(
    `coverage: ${relative(root, inProcessFile)} is missing: run the tests with --coverage first (npm run coverage)`,
  );
  process.exit(2);
}
const map = libCoverage.createCoverageMap(JSON.parse(await readFile(inProcessFile, 'utf8')));

// Child processes: only the project's built scripts (dist/src, dist/emulator), merged across processes first.
const distPrefix = pathToFileURL(join(root, 'dist')).href + '/';
const processes = [];
for (const name of existsSync(childDir) ? await readdir(childDir) : []) {
  if (!name.endsWith('.json')) continue;
  const raw = JSON.parse(await readFile(join(childDir, name), 'utf8'));
  const result = raw.result.filter(
    (s) => s.url.startsWith(distPrefix) && /^(src|emulator)\//.test(s.url.slice(distPrefix.length)),
  );
  if (result.length) processes.push({ result });
}
let scripts = 0;
const childMap = libCoverage.createCoverageMap({});
if (processes.length) {
  for (const script of v8Coverage.mergeProcessCovs(processes).result) {
    const jsFile = fileURLToPath(script.url);
    if (!existsSync(`${jsFile}.map`)) continue;
    const code = await readFile(jsFile, 'utf8');
    const sourceMap = JSON.parse(await readFile(`${jsFile}.map`, 'utf8'));
    const base = resolve(dirname(jsFile), sourceMap.sourceRoot ?? '');
    sourceMap.sourcesContent = await Promise.all(
      sourceMap.sources.map((s) => readFile(resolve(base, s), 'utf8').catch(() => null)),
    );
    childMap.merge(
      await convert({ code, ast: parseAstAsync(code), coverage: script, sourceMap, wrapperLength: 0 }),
    );
    scripts++;
  }
}

/*
 * vitest's map is the measure: it holds every included file, each statement, function and branch located in
 * the TypeScript source. The child processes ran tsc's output of the same sources; converted through its source
 * maps, most items start at the same source location (functions: the same line), and their hits are added there.
 * An item only the child conversion has (tsc's module helpers, a statement split differently) is not added: a
 * plain union would count such items twice and understate coverage; matching can only understate it a little.
 */
// Where an item starts in the source: the two conversions agree on starts (vitest's map leaves many ends open).
const key = (loc) => `${loc.start.line}:${loc.start.column}`;
let matched = 0;
let unmatched = 0;
for (const file of childMap.files()) {
  if (!measured(file)) continue;
  const child = childMap.fileCoverageFor(file).data;
  if (!map.data[file]) {
    map.addFileCoverage(child);
    continue;
  }
  const target = map.fileCoverageFor(file).data;
  const project = (targetMap, targetHits, childItems, childHits, locOf, add) => {
    const index = new Map(Object.entries(targetMap).map(([id, item]) => [key(locOf(item)), id]));
    for (const [cid, item] of Object.entries(childItems)) {
      const id = index.get(key(locOf(item)));
      if (id === undefined) {
        unmatched++;
        continue;
      }
      matched++;
      targetHits[id] = add(targetHits[id], childHits[cid]);
    }
  };
  const sum = (a, b) => a + b;
  project(target.statementMap, target.s, child.statementMap, child.s, (x) => x, sum);
  // Functions by the line they start on (their recorded columns differ between the two).
  project(
    target.fnMap,
    target.f,
    child.fnMap,
    child.f,
    (x) => ({ start: { line: x.loc.start.line, column: 0 } }),
    sum,
  );
  project(
    target.branchMap,
    target.b,
    child.branchMap,
    child.b,
    (x) => x.locations[0] ?? x.loc,
    (a, b) => (a.length === b.length ? a.map((n, i) => n + b[i]) : a),
  );
}
map.filter((file) => measured(file));

const context = libReport.createContext({ dir: out, coverageMap: map, defaultSummarizer: 'nested' });
for (const kind of ['json-summary', 'html']) reports.create(kind).execute(context);
const total = map.getCoverageSummary().toJSON();
if (!process.env.KEEP_CHILD_COVERAGE) await rm(childDir, { recursive: true, force: true });

const line = (k) =>
  `${k.padEnd(10)} ${String(total[k].pct).padStart(6)} % (${total[k].covered}/${total[k].total})${GOALS[k] ? `   goal >= ${GOALS[k]} %: ${total[k].pct >= GOALS[k] ? 'met' : 'NOT met'}` : ''}`;
console.log(
  [
    `coverage of src/ and emulator/ (${map.files().length} files; ${processes.length} child processes, ${scripts} built scripts; ${matched} of ${matched + unmatched} of their items located in the sources):`,
    ...['lines', 'statements', 'functions', 'branches'].map(line),
    `report: coverage/index.html; summary: coverage/coverage-summary.json`,
  ].join('\n'),
);
if (process.argv.includes('--check') && Object.entries(GOALS).some(([k, goal]) => total[k].pct < goal))
  process.exit(1);
