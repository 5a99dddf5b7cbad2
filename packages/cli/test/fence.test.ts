/**
 * Per-job coordination fencing on the local backend, end to end (the
 * scenario: fence-scenario.ts; the aws one: fence-aws.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { leakedProcesses, makeSandbox } from './helpers.js';
import { pausedLeaderWritesNothing } from './fence-scenario.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox('djc-fence-'); });
afterEach(async () => {
  expect(await leakedProcesses(box.home, 30_000)).toEqual([]);
  box.cleanup();
});

describe('coordination fencing (local)', () => {
  it('a daemon paused past the lock TTL and resumed after another adopted and finished its job writes nothing to it', async () => {
    await pausedLeaderWritesNothing({ dir: box.dir, home: box.home, env: {}, open: async () => createLocalBackend({ home: box.home }) });
  }, 120_000);
});
