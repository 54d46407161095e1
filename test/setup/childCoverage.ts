/**
 * Runs in each test worker before its tests. While coverage is on (global.ts sets PGDRILL_CHILD_COVERAGE), every
 * process a test starts — the standalone host, the CLI, the demo, emulator processes — writes Node's V8 coverage
 * there (NODE_V8_COVERAGE is inherited); scripts/coverage.mjs merges it with vitest's own. The worker itself is
 * measured by vitest, so it does not get the variable at its own start.
 */
const dir = process.env.PGDRILL_CHILD_COVERAGE;
if (dir) process.env.NODE_V8_COVERAGE = dir;
