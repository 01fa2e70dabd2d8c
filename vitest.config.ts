import { defineConfig } from 'vitest/config';

// Two projects: `unit` is fast and self-contained; `conformance` runs scenarios end to end
// and talks to real NBD peers (nbdkit, qemu-nbd, nbd-server) on loopback.
// dist/ is the CLI bundle (npm run build), never code to test.
const exclude = ['**/node_modules/**', 'dist/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          exclude,
          include: ['test/unit/**/*.test.ts', 'hw-sim/**/*.test.ts', 'kernel/**/*.test.ts', 'drivers/**/*.test.ts', 'scenarios/**/*.test.ts', 'tools/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'conformance',
          exclude,
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
