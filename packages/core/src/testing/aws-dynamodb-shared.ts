/**
 * One DynamoDB Local for a whole vitest run, shared by every test file that
 * asks for one (`sharedDynamoDbLocal`). A DynamoDB Local start costs ~4.5 s
 * of CPU (a JVM and its JIT warming up; 20 s of wall time at load 25) and
 * ~340 MB; 26 files used to start one each. Files stay apart as before: each
 * test makes its own tables (`uniqueName`), and `-sharedDb` serves them all
 * from one in-memory database.
 *
 * The first file that needs it starts it, under a lock directory, in the run
 * directory that vitest-global-setup.ts makes (DJC_TEST_RUN_DIR); the others
 * read its endpoint there. It outlives the file that started it (its own
 * process group, not killed at that file's exit) and is stopped by the
 * global setup's teardown; a watchdog shell also ends it when the vitest
 * process that made the run directory is gone (an interrupted run).
 * Without DJC_TEST_RUN_DIR (a file run outside the vitest config), or with
 * DJC_TEST_SHARED_DYNAMO=0 (to compare), each file starts its own, as
 * `startDynamoDbLocal` does.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient, dynamoDbLocalArgs, freePort, startDynamoDbLocal, waitReady, type DynamoDbLocal } from './aws-dynamodb-local.js';

/** Where the shared server's endpoint and process group are written. */
export const SHARED_DYNAMO_FILE = 'dynamodb-local.json';

interface SharedRecord {
  endpoint: string;
  /** The watchdog shell's pid, leader of the group java runs in. */
  pgid: number;
}

const LOCK_STALE_MS = 120_000;

/** The run's shared DynamoDB Local (started by the first caller); stop() leaves it running for the other files. */
export async function sharedDynamoDbLocal(): Promise<DynamoDbLocal> {
  const dir = process.env.DJC_TEST_RUN_DIR;
  const owner = Number(process.env.DJC_TEST_RUN_PID);
  if (!dir || !existsSync(dir) || !Number.isInteger(owner) || process.env.DJC_TEST_SHARED_DYNAMO === '0') return startDynamoDbLocal();
  const lock = join(dir, 'dynamodb-local.lock');
  await acquire(lock);
  try {
    const file = join(dir, SHARED_DYNAMO_FILE);
    if (existsSync(file)) {
      const rec = JSON.parse(readFileSync(file, 'utf8')) as SharedRecord;
      if ((await waitReady(rec.endpoint, new Promise(() => undefined), 5_000)) === true) return { endpoint: rec.endpoint, stop: async () => undefined };
      stopSharedGroup(rec.pgid);
    }
    const rec = await startDetached(owner);
    writeFileSync(file, JSON.stringify(rec));
    return { endpoint: rec.endpoint, stop: async () => undefined };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Deletes a test's table (if there), so a server shared by the run does not keep every test's items in memory. */
export async function dropTable(endpoint: string, table: string): Promise<void> {
  const client = dynamoClient(endpoint);
  try {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  } finally {
    client.destroy();
  }
}

/** Ends a shared server's process group (the watchdog and java). */
export function stopSharedGroup(pgid: number): void {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-pgid, sig);
    } catch {
      return;
    }
    if (sig === 'SIGTERM') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

async function startDetached(owner: number): Promise<SharedRecord> {
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    // java in the background of a shell that ends it when the vitest process `owner` is gone, or when told to (TERM).
    const script = 'java "$@" & j=$!; trap \'kill $j 2>/dev/null; exit 0\' TERM INT; '
      + `while kill -0 ${owner} 2>/dev/null && kill -0 $j 2>/dev/null; do sleep 1; done; kill $j 2>/dev/null`;
    const child = spawn('sh', ['-c', script, 'sh', ...dynamoDbLocalArgs(port)], { stdio: 'ignore', detached: true });
    child.unref();
    const exited = new Promise<string>((resolve) => {
      child.once('error', (e) => resolve(`cannot run sh/java: ${e.message} (DynamoDB Local needs Java 17+ on PATH)`));
      child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const ready = await waitReady(endpoint, exited);
    if (ready === true && child.pid !== undefined) return { endpoint, pgid: child.pid };
    if (child.pid !== undefined) stopSharedGroup(child.pid);
    lastError = new Error(`shared DynamoDB Local did not start on port ${port}: ${ready}`);
  }
  throw lastError;
}

/** mkdir as a lock between the run's test processes; a lock older than LOCK_STALE_MS (its holder died) is broken. */
async function acquire(lock: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // gone meanwhile: try again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
