/**
 * An HTTP server on 127.0.0.1 that answers every request with one AWS JSON
 * protocol error (DynamoDB's by default: ProvisionedThroughputExceeded), the
 * way an overloaded table answers. The real SDK client parses and retries it
 * as it would on AWS; tests see what djc makes of throttling that outlasts
 * the retries. No AWS service here ever throttles on demand.
 */
import { createServer, type Server } from 'node:http';

export interface ThrottlingServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Requests answered so far. */
  requests(): number;
  stop(): Promise<void>;
}

export interface ThrottlingAnswer {
  status: number;
  /** The JSON protocol's `__type`, e.g. `com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException`. */
  type: string;
  message: string;
}

export const DYNAMODB_THROTTLED: ThrottlingAnswer = {
  status: 400,
  type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};

export async function startThrottlingServer(answer: ThrottlingAnswer = DYNAMODB_THROTTLED): Promise<ThrottlingServer> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      const body = JSON.stringify({ __type: answer.type, message: answer.message });
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `throttled-${count}` });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => count,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
