import { describe, expect, it } from 'vitest';
import { estimateRequestCostUsd, requestPriceUsd } from './request-prices.js';

describe('request prices', () => {
  it('prices each service by its list price class', () => {
    expect(requestPriceUsd('DynamoDB.UpdateItem')).toBeCloseTo(0.625e-6, 12);
    expect(requestPriceUsd('DynamoDB.TransactWriteItems')).toBeCloseTo(4 * 0.625e-6, 12);
    expect(requestPriceUsd('DynamoDB.GetItem')).toBeCloseTo(0.125e-6, 12);
    expect(requestPriceUsd('DynamoDB.DescribeTable')).toBe(0);
    expect(requestPriceUsd('S3.PutObject')).toBeCloseTo(5e-6, 12);
    expect(requestPriceUsd('S3.GetObject')).toBeCloseTo(0.4e-6, 12);
    expect(requestPriceUsd('SQS.ReceiveMessage')).toBeCloseTo(0.4e-6, 12);
    expect(requestPriceUsd('Other.Thing')).toBe(0);
  });

  it('sums counts times prices', () => {
    expect(estimateRequestCostUsd({ 'SQS.SendMessageBatch': 1_000_000, 'S3.PutObject': 1_000 })).toBeCloseTo(0.4 + 0.005, 9);
    expect(estimateRequestCostUsd({})).toBe(0);
  });
});
