/**
 * Per-job coordination fencing on the aws backend (DynamoDB Local + fauxqs),
 * end to end: the same scenario as fence.test.ts (fence-scenario.ts).
 */
import { describe, it } from 'vitest';
import { createAwsBackend, resolveAwsSettings } from '@djc/core/backends/aws';
import { useAwsBackend } from './aws-backend.js';
import { pausedLeaderWritesNothing } from './fence-scenario.js';

const aws = useAwsBackend('djc-fence-aws-');

describe('coordination fencing (aws)', () => {
  it('a daemon paused past the lock TTL and resumed after another adopted and finished its job writes nothing to it', async () => {
    await pausedLeaderWritesNothing({
      dir: aws.box.dir, home: aws.box.home, env: aws.env,
      open: () => {
        // The SDK reads credentials and endpoints from process.env (this file's worker): the test's fake ones.
        Object.assign(process.env, aws.env);
        return createAwsBackend(resolveAwsSettings({}, process.env));
      },
    });
  }, 180_000);
});
