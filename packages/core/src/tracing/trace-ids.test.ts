import { describe, expect, it } from 'vitest';
import { formatTraceparent, jobSpanId, jobTraceId, parseTraceparent } from './trace-ids.js';

describe('trace ids of a job', () => {
  it('are W3C ids, the same in every process for one job, different between jobs', () => {
    expect(jobTraceId('wc-1')).toMatch(/^[0-9a-f]{32}$/);
    expect(jobSpanId('wc-1')).toMatch(/^[0-9a-f]{16}$/);
    expect(jobTraceId('wc-1')).toBe(jobTraceId('wc-1'));
    expect(jobTraceId('wc-2')).not.toBe(jobTraceId('wc-1'));
    expect(jobSpanId('wc-1')).not.toBe(jobTraceId('wc-1').slice(0, 16));
  });
  it('traceparent round-trips; anything else is refused', () => {
    const tp = formatTraceparent(jobTraceId('j'), jobSpanId('j'));
    expect(tp).toBe(`00-${jobTraceId('j')}-${jobSpanId('j')}-01`);
    expect(parseTraceparent(tp)).toEqual({ traceId: jobTraceId('j'), spanId: jobSpanId('j'), sampled: true });
    expect(parseTraceparent('00-xyz-abc-01')).toBeNull();
    expect(parseTraceparent('')).toBeNull();
  });
});
