import { defineConfig } from 'vitest/config';

// Unit tests live next to the code (src/**/*.test.ts) and import the sources.
// End-to-end tests (test/**/*.test.ts) drive the built CLI as a child process.
export default defineConfig({
  test: {
    // Three files at a time, in both projects (vitest wants one count for
    // projects run together). An e2e file spends most of its time waiting on
    // the child processes it starts (workers, coordinators, AWS-protocol
    // servers, Slurm): with two at a time the 2 cores were 35% idle over a
    // CI run (user+sys 28.7 of 43.8 core-minutes); every file works in its
    // own sandbox, home and ports.
    maxWorkers: 3,
    // A directory for the run: the AWS test files share one DynamoDB Local
    // there (core/src/testing/aws-dynamodb-shared.ts), started by the first
    // file that needs it and stopped at the end of the run.
    globalSetup: ['packages/core/src/testing/vitest-global-setup.ts'],
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
          // One retry: these tests drive real processes, servers and Slurm on a
          // shared 2-core machine, where a rare load spike can starve one. A
          // test that passes only on its retry is named at the end of every
          // run (scripts/test-summary.mjs, "passed only on a retry") and
          // tracked in NOTES.md; a test that fails twice fails the run.
          retry: 1,
        },
      },
    ],
  },
});
