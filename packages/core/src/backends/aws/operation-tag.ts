/**
 * Names the operation an AWS error came from. SDK v3 errors do not say which
 * command failed; a middleware in the initialize step (outside the SDK's
 * retries, so it sees only the final error) writes the command's name
 * ("TransactWriteItems", "PutObject", "ReceiveMessage", …) on the error, and
 * translateAwsError puts it in the message ("throttled on Query").
 */

// `any`: each client's stack is typed by its own input/output unions; the tag only passes them on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (args: any) => Promise<any>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** What `tagOperations` needs of a client: S3Client, SQSClient and DynamoDBClient all fit. */
export interface TaggableClient {
  middlewareStack: {
    add(middleware: Middleware, options: { step: 'initialize'; name: string; priority?: 'high' }): void;
  };
}

const PROPERTY = '$djcOperation';
const tagged = new WeakSet<object>();

/** Tags the errors of `client`'s commands with the operation name. Idempotent per client. */
export function tagOperations(client: TaggableClient): void {
  if (tagged.has(client)) return;
  tagged.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        if (e !== null && typeof e === 'object' && !(PROPERTY in e) && Object.isExtensible(e)) {
          Object.defineProperty(e, PROPERTY, { value: (context.commandName ?? '').replace(/Command$/, ''), enumerable: false });
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'djcOperationTag', priority: 'high' },
  );
}

/** The operation an error came from ("Query"), or undefined when no tagged client threw it. */
export function operationOf(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const op = (e as Record<string, unknown>)[PROPERTY];
  return typeof op === 'string' && op !== '' ? op : undefined;
}
