/**
 * Counts the requests an AWS SDK v3 client sends, by operation
 * ("SendMessageBatch", "GetObject", "UpdateItem", …), with a middleware on
 * the client's stack. Counted in the deserialize step, which runs once per
 * HTTP attempt: the SDK's retries are counted too, as AWS bills them.
 */

// `any`: each client's stack is typed by its own input/output unions; the counter only passes them on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (args: any) => Promise<any>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** What `countRequests` needs of a client: S3Client, SQSClient and DynamoDBClient all fit. */
export interface CountableClient {
  middlewareStack: {
    add(middleware: Middleware, options: { step: 'deserialize'; name: string; priority?: 'low' }): void;
    remove(toRemove: string): boolean;
  };
}

export interface RequestCounts {
  /** Requests so far by operation name; live (updated as requests go out). */
  readonly byOperation: Readonly<Record<string, number>>;
  /** All requests so far. */
  total(): number;
  /** Sets every count back to zero. */
  reset(): void;
  /** Removes the middleware; the counts stay readable. */
  stop(): void;
}

let counters = 0;

/**
 * Starts counting `client`'s requests. Several counters may watch one
 * client; each sees every request sent after it started.
 */
export function countRequests(client: CountableClient): RequestCounts {
  const counts: Record<string, number> = {};
  const name = `djcRequestCounter${++counters}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts[op] = (counts[op] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name, priority: 'low' },
  );
  return {
    byOperation: counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    stop: () => {
      client.middlewareStack.remove(name);
    },
  };
}
