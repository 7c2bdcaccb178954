import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two test files at a time: the lab tests mostly wait on timers and the wire, and one at a time
    // (vitest's default on a 2-core machine) takes a quarter of an hour.
    maxWorkers: 2,
    testTimeout: 10_000,
  },
});
