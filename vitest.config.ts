import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Live tests fork processes, touch cgroups and sysctls: run files one at a time
    // so that one test's memory pressure never skews another's measurement.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
