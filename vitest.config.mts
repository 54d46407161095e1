import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // `npm run coverage`: the suite as `npm test` runs it, measuring what the test processes execute (the
    // standalone host, CLI and emulator processes that e2e tests start are not instrumented).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'emulator/**/*.ts'],
      exclude: ['**/generated/**', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
    },
  },
});
