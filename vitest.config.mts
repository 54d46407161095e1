import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/childCoverage.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // `npm run coverage`: the suite as `npm test` runs it, measured in the workers here (coverage-final.json);
    // scripts/coverage.mjs adds the child processes and writes the reports.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'emulator/**/*.ts'],
      exclude: ['**/generated/**', '**/*.d.ts'],
      reporter: ['json'],
      // Figures even when a test failed (CI prints them either way).
      reportOnFailure: true,
      reportsDirectory: 'coverage',
    },
  },
});
