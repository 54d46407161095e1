import { defineConfig } from 'vitest/config';

// `npm run bench`: benchmarks, not tests. Same global setup (build, CA, Azurite); one file, no time limit.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    globalSetup: ['test/setup/global.ts'],
    pool: 'forks',
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
  },
});
