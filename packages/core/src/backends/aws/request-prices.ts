/**
 * An ESTIMATE of the request charges of a job's AWS requests: request
 * charges only (no storage, data transfer, or free tier), from list prices,
 * approximate. us-east-1, on-demand, as published on
 * aws.amazon.com/dynamodb/pricing/on-demand, aws.amazon.com/s3/pricing and
 * aws.amazon.com/sqs/pricing (checked 2026-11):
 * - DynamoDB on-demand: $0.625 per million write request units, $0.125 per
 *   million read request units. Item sizes are not counted, so each write
 *   is taken as 1 WRU and each read as 1 RRU (≤ 1 KB / ≤ 4 KB items);
 *   TransactWriteItems as 2 WRU × 2 items (djc's task transactions write a
 *   task and its job), TransactGetItems as 2 RRU × 2 items; Query, Scan and
 *   BatchGetItem as 1 RRU (approx.: they are billed by the size read).
 * - S3 Standard: PUT, COPY, POST, LIST $0.005 per 1,000 (multipart parts
 *   count as PUTs); GET and all other requests $0.0004 per 1,000.
 * - SQS standard queue: $0.40 per million requests (each 64 KB chunk of a
 *   payload is a request; chunks are not counted here).
 */

/** USD per request, by "Service.Operation" class. */
export const REQUEST_PRICES_USD = {
  dynamoWriteUnit: 0.625 / 1_000_000,
  dynamoReadUnit: 0.125 / 1_000_000,
  s3Tier1: 0.005 / 1_000,
  s3Tier2: 0.0004 / 1_000,
  sqsRequest: 0.4 / 1_000_000,
} as const;

const P = REQUEST_PRICES_USD;

const DYNAMO_WRITES: Record<string, number> = {
  PutItem: 1, UpdateItem: 1, DeleteItem: 1, BatchWriteItem: 1, TransactWriteItems: 4,
};
const DYNAMO_READS: Record<string, number> = {
  GetItem: 1, Query: 1, Scan: 1, BatchGetItem: 1, TransactGetItems: 4,
};
const S3_TIER1 = /^(Put|Copy|Post|List|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|UploadPartCopy|CreateBucket)/;

/** Approximate USD price of one request of `op` ("Service.Operation"); 0 for an unknown service. */
export function requestPriceUsd(op: string): number {
  const [service, name = ''] = op.split('.', 2);
  switch (service) {
    case 'DynamoDB': {
      const writes = DYNAMO_WRITES[name];
      if (writes !== undefined) return writes * P.dynamoWriteUnit;
      // Control-plane calls (DescribeTable, …) are free; unknown data reads cost a read unit.
      return (DYNAMO_READS[name] ?? (/^(Describe|List)/.test(name) ? 0 : 1)) * P.dynamoReadUnit;
    }
    case 'S3':
      return S3_TIER1.test(name) ? P.s3Tier1 : P.s3Tier2;
    case 'SQS':
      return P.sqsRequest;
    default:
      return 0;
  }
}

/** Estimated request charges (USD) of these counts: list prices, approximate; request charges only. */
export function estimateRequestCostUsd(byOperation: Readonly<Record<string, number>>): number {
  let usd = 0;
  for (const [op, n] of Object.entries(byOperation)) usd += n * requestPriceUsd(op);
  return usd;
}
