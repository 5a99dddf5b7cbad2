/**
 * vitest's global setup (vitest.config.ts): a directory for the run that
 * the test files share (DJC_TEST_RUN_DIR, with this process's pid in
 * DJC_TEST_RUN_PID), where aws-dynamodb-shared.ts keeps the one DynamoDB
 * Local of the run. The teardown stops that server and removes the
 * directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DYNAMO_FILE, stopSharedGroup } from './aws-dynamodb-shared.js';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'djc-test-run-'));
  process.env.DJC_TEST_RUN_DIR = dir;
  process.env.DJC_TEST_RUN_PID = String(process.pid);
  return () => {
    const file = join(dir, SHARED_DYNAMO_FILE);
    if (existsSync(file)) stopSharedGroup((JSON.parse(readFileSync(file, 'utf8')) as { pgid: number }).pgid);
    rmSync(dir, { recursive: true, force: true });
  };
}
