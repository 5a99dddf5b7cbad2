/**
 * How cancelled transactions are reported. Workers read a ConflictError from
 * claimTask as "another worker won" and drop their message, so a table that
 * is merely too busy must not look like one. (DynamoDB Local serialises
 * transactions and never reports TransactionConflict, so these cases are
 * checked on the classification itself.)
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, DjcError } from '../../errors.js';
import { txFailed } from './dynamo-errors.js';
import { fromWire } from './dynamo-request.js';

describe('txFailed', () => {
  const what = 'DynamoDB table "t"';

  it('losing condition races is a ConflictError', () => {
    const e = txFailed(what, ['ConditionalCheckFailed', 'None'], 'job-1');
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.jobId).toBe('job-1');
  });

  it('conflicts that outlast the retries are BACKEND_UNAVAILABLE, not a conflict', () => {
    const e = txFailed(what, ['TransactionConflict', 'None'], 'job-1');
    expect(e).not.toBeInstanceOf(ConflictError);
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toBe('DynamoDB table "t" is too busy: transactions on job job-1 kept conflicting (TransactWriteItems)');
  });

  it('a transaction cancelled by throttling is BACKEND_UNAVAILABLE with the fix, not INTERNAL', () => {
    for (const code of ['ThrottlingError', 'ProvisionedThroughputExceeded']) {
      const e = txFailed(what, ['None', code], 'job-1');
      expect(e).not.toBeInstanceOf(ConflictError);
      expect(e.code).toBe('BACKEND_UNAVAILABLE');
      expect(e.message).toBe(`DynamoDB table "t": throttled on TransactWriteItems (${code}) on job job-1`);
      expect(e.hint).toContain('on-demand');
    }
  });

  it('any other cancellation reason is INTERNAL and names it', () => {
    const e = txFailed(what, ['None', 'ValidationError']);
    expect(e).toBeInstanceOf(DjcError);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('ValidationError');
  });
});

describe('fromWire', () => {
  it('reads the marshalled items of CancellationReasons', () => {
    const item = fromWire({
      pk: { S: 'JOB#j' }, attempts: { N: '2' }, cancel_requested: { BOOL: false }, error: { NULL: true },
      tags: { L: [{ S: 'a' }, { N: '1' }] }, nested: { M: { k: { S: 'v' } } },
    });
    expect(item).toEqual({ pk: 'JOB#j', attempts: 2, cancel_requested: false, error: null, tags: ['a', 1], nested: { k: 'v' } });
  });
});
