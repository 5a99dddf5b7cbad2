/**
 * An S3 + SQS protocol server for tests: fauxqs (memory only) in a child
 * process on 127.0.0.1 and a free port, and real AWS SDK v3 clients for it.
 *
 * fauxqs's `startFauxqs` always listens on 0.0.0.0 (its `host` option only
 * names the host in queue URLs), so fauxqs-child.mjs builds the same app with
 * its exported `buildApp` and listens on 127.0.0.1 itself. It runs out of
 * the test process so that an error inside the server cannot surface as an
 * unhandled error of whatever test runs then; it dies with its parent.
 *
 * Give every test its own bucket / queue names (`uniqueName`). Destroy the
 * clients you built, then `stop()` the server (in afterAll).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface FauxqsServer {
  /** e.g. "http://127.0.0.1:41234" */
  endpoint: string;
  /** Closes the server; fauxqs ends pending long polls on close, so nothing keeps the process alive. */
  stop(): Promise<void>;
}

// The SDK warns about Node versions it will stop supporting; in tests that notice is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CREDENTIALS = { accessKeyId: 'djc-test', secretAccessKey: 'djc-test-secret' };
const REGION = 'us-east-1';

const CHILD = fileURLToPath(new URL('./fauxqs-child.mjs', import.meta.url));

/** Starts fauxqs on 127.0.0.1 with a free port, in a child process. */
export async function startFauxqsServer(): Promise<FauxqsServer> {
  const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fauxqs did not print its endpoint within 20 s')), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fauxqs exited before listening (${signal ?? `code ${code}`})`));
    });
    child.once('error', reject);
  });
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An S3 client for the server: static fake credentials, us-east-1, path-style, 2 attempts. */
export function s3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true, maxAttempts: 2 });
}

/** An SQS client for the server: static fake credentials, us-east-1, 2 attempts. */
export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
}

/** `<prefix>-<8 hex>`: a bucket or queue name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Records the Range header of every GetObject `client` sends, in order, into the array it returns (clear it with `length = 0`). */
export function recordRanges(client: S3Client): Array<string | undefined> {
  const ranges: Array<string | undefined> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        ranges.push(headers.range ?? headers.Range);
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordRange' },
  );
  return ranges;
}
