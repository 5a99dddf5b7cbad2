// notifySubmitted / watchSubmits on a real directory: a touch wakes the watcher; no watcher, no file, nothing happens.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@djc/core';
import { notifySubmitted, WAKE_FILE, watchSubmits } from './submit-signal.js';

const log = createLogger({ name: 'test', level: 'silent' });
const dirs: string[] = [];
const home = () => {
  const d = mkdtempSync(join(tmpdir(), 'djc-wake-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('submit signal', () => {
  it('a submit touching the home wakes the daemon watching it', async () => {
    const h = home();
    let wakes = 0;
    let woke: () => void = () => undefined;
    const once = new Promise<void>((r) => { woke = r; });
    const stop = watchSubmits(h, () => { wakes += 1; woke(); }, log);
    try {
      expect(existsSync(join(h, WAKE_FILE))).toBe(true);
      notifySubmitted(h);
      await once;
      expect(wakes).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
  });

  it('with no daemon watching (no file) a submit creates nothing and does not throw', () => {
    const h = home();
    notifySubmitted(h);
    notifySubmitted(join(h, 'missing'));
    expect(existsSync(join(h, WAKE_FILE))).toBe(false);
  });
});
