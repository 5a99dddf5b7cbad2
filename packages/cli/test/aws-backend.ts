/**
 * The AWS backend for end-to-end tests: AWS's DynamoDB Local and fauxqs
 * (S3 + SQS) on 127.0.0.1 (DynamoDB Local shared by the run's files,
 * aws-dynamodb-shared.ts; fauxqs for the file), a fresh table, bucket and queues
 * (made by `djc setup aws`) and a sandbox per test, and a leak check after
 * each test. Call at the top of a test file.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { type DynamoDbLocal } from '../../core/src/testing/aws-dynamodb-local.js';
import { dropTable, sharedDynamoDbLocal } from '../../core/src/testing/aws-dynamodb-shared.js';
import { startFauxqsServer, uniqueName, type FauxqsServer } from '../../core/src/testing/aws-fauxqs.js';
import { djc, leakedProcesses, makeSandbox, type CliResult } from './helpers.js';

export interface AwsTestBackend {
  readonly box: ReturnType<typeof makeSandbox>;
  /** The environment of this test's djc commands (DJC_BACKEND=aws, names, endpoints, fake credentials). */
  readonly env: Record<string, string>;
  readonly fauxqs: FauxqsServer;
  readonly dynamo: DynamoDbLocal;
  /** `djc ...args` in the sandbox with this test's environment (plus `extra`). */
  run(args: string[], extra?: Record<string, string>): Promise<CliResult>;
}

export function useAwsBackend(prefix: string): AwsTestBackend {
  let dynamo: DynamoDbLocal | undefined;
  let fauxqs: FauxqsServer | undefined;
  let box: ReturnType<typeof makeSandbox> | undefined;
  let env: Record<string, string> = {};
  const t: AwsTestBackend = {
    get box() { return box as ReturnType<typeof makeSandbox>; },
    get env() { return env; },
    get fauxqs() { return fauxqs as FauxqsServer; },
    get dynamo() { return dynamo as DynamoDbLocal; },
    run: (args, extra = {}) => djc(args, { cwd: t.box.dir, home: t.box.home, env: { ...env, ...extra } }),
  };
  beforeAll(async () => {
    [dynamo, fauxqs] = await Promise.all([sharedDynamoDbLocal(), startFauxqsServer()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), fauxqs?.stop()]);
  });
  beforeEach(async () => {
    box = makeSandbox(prefix);
    const n = uniqueName('t');
    env = {
      DJC_BACKEND: 'aws', DJC_TABLE: `${n}-state`, DJC_BUCKET: `${n}-blobs`, DJC_QUEUE: `${n}-tasks`,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '3',
      AWS_ENDPOINT_URL_DYNAMODB: t.dynamo.endpoint, AWS_ENDPOINT_URL_S3: t.fauxqs.endpoint, AWS_ENDPOINT_URL_SQS: t.fauxqs.endpoint,
    };
    expect((await t.run(['setup', 'aws'])).code).toBe(0);
  });
  afterEach(async () => {
    expect(await leakedProcesses(t.box.home)).toEqual([]);
    t.box.cleanup();
    // The run's files share one DynamoDB Local: give back the memory of this test's table.
    await dropTable(t.dynamo.endpoint, env.DJC_TABLE as string);
  });
  return t;
}
