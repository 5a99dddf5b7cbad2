import { defineConfig } from 'vitest/config';

// Unit tests live next to the code (src/**/*.test.ts) and import the sources.
// End-to-end tests (test/**/*.test.ts) drive the built CLI as a child process.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['packages/*/test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Two files at a time: an e2e file spends most of its time waiting on
          // the child processes it starts (workers, coordinators, AWS-protocol
          // servers, Slurm), so two of them share the two cores well. Every
          // file works in its own sandbox, home and ports.
          maxWorkers: 2,
        },
      },
    ],
  },
});
