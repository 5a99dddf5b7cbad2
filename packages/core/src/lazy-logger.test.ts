import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { lazyLogger } from './lazy-logger.js';

/** A stand-in for pino that records what reached it; `made` counts how often it was made. */
function recording() {
  const lines: string[] = [];
  let made = 0;
  const fake = (bindings: string): Logger => ({
    warn: (msg: string) => lines.push(`${bindings}warn ${msg}`),
    info: (msg: string) => lines.push(`${bindings}info ${msg}`),
    child: (b: Record<string, unknown>) => fake(`${bindings}${JSON.stringify(b)} `),
  }) as unknown as Logger;
  return { lines, made: () => made, make: () => (made++, fake('')) };
}

describe('lazyLogger', () => {
  it('makes nothing for calls below its level, a child, level or isLevelEnabled', () => {
    const r = recording();
    const log = lazyLogger('warn', r.make);
    log.debug('no');
    log.info('no');
    const child = log.child({ job: 'j' });
    child.info('no');
    expect([log.level, log.isLevelEnabled('info'), log.isLevelEnabled('error')]).toEqual(['warn', false, true]);
    expect(r.made()).toBe(0);
  });

  it('makes the real logger once, at the first call at or above its level, and children log through it', () => {
    const r = recording();
    const log = lazyLogger('info', r.make);
    log.child({ job: 'j' }).warn('late');
    log.info('one');
    log.warn('two');
    expect(r.lines).toEqual(['{"job":"j"} warn late', 'info one', 'warn two']);
    expect(r.made()).toBe(1);
  });

  it('silent logs nothing and makes nothing', () => {
    const r = recording();
    const log = lazyLogger('silent', r.make);
    log.fatal('no');
    log.error('no');
    expect([r.made(), log.isLevelEnabled('fatal')]).toEqual([0, false]);
  });
});
