import { describe, expect, it } from 'vitest';
import { FailureLimiter, FORGET_AFTER_MS, MAX_BLOCK_MS } from './failure-limiter.js';

const T0 = 1_800_000_000_000;

describe('FailureLimiter', () => {
  it('blocks the 5th failure within a minute for 1 s, not the 4th', () => {
    const l = new FailureLimiter();
    expect([1, 2, 3, 4].map((i) => l.fail('10.0.0.1', T0 + i * 1000))).toEqual([0, 0, 0, 0]);
    expect(l.blockedFor('10.0.0.1', T0 + 4500)).toBe(0);
    expect(l.fail('10.0.0.1', T0 + 5000)).toBe(1000);
    expect(l.blockedFor('10.0.0.1', T0 + 5400)).toBe(600);
    expect(l.blockedFor('10.0.0.1', T0 + 6000)).toBe(0);
  });

  it('failures spread wider than the window never block', () => {
    const l = new FailureLimiter();
    for (let i = 0; i < 20; i++) expect(l.fail('10.0.0.2', T0 + i * 15_001)).toBe(0);
  });

  it('from then on, doubles the block at each further failure, up to 300 s', () => {
    const l = new FailureLimiter();
    let now = T0;
    for (let i = 0; i < 4; i++) l.fail('10.0.0.3', now++);
    const blocks: number[] = [];
    for (let i = 0; i < 12; i++) {
      const ms = l.fail('10.0.0.3', now);
      blocks.push(ms);
      now += ms;
      // The next guess comes as soon as the block is over.
      expect(l.blockedFor('10.0.0.3', now - 1)).toBe(1);
      expect(l.blockedFor('10.0.0.3', now)).toBe(0);
    }
    expect(blocks).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map((s) => s * 1000));
    expect(MAX_BLOCK_MS).toBe(300_000);
  });

  it('keeps addresses apart, and treats ::ffff:a.b.c.d as a.b.c.d', () => {
    const l = new FailureLimiter();
    for (let i = 0; i < 5; i++) l.fail('::ffff:192.0.2.7', T0 + i);
    expect(l.blockedFor('192.0.2.7', T0 + 10)).toBeGreaterThan(0);
    expect(l.blockedFor('192.0.2.8', T0 + 10)).toBe(0);
  });

  it('forgets an address 15 minutes after its last failure: the delays start from 1 s again', () => {
    const l = new FailureLimiter();
    for (let i = 0; i < 6; i++) l.fail('10.0.0.4', T0 + i * 2000);
    const later = T0 + 10_000 + FORGET_AFTER_MS;
    expect(l.blockedFor('10.0.0.4', later)).toBe(0);
    for (let i = 0; i < 4; i++) expect(l.fail('10.0.0.4', later + i)).toBe(0);
    expect(l.fail('10.0.0.4', later + 4)).toBe(1000);
  });
});
