import { describe, expect, it } from 'vitest';
import { LoopWake } from './loop-wake.js';

describe('LoopWake', () => {
  it('resolves a wait when woken, and a wake that came first makes the next wait return at once', async () => {
    const wake = new LoopWake();
    const order: string[] = [];
    const waiting = wake.wait().then(() => order.push('woken'));
    order.push('waking');
    wake.wake();
    await waiting;
    wake.wake();
    await wake.wait();
    order.push('early wake kept');
    expect(order).toEqual(['waking', 'woken', 'early wake kept']);
  });

  it('resolves a wait with a timeout when nothing wakes it, and the timer does not wake a later wait', async () => {
    const wake = new LoopWake();
    await wake.wait(5);
    let second = false;
    const p = wake.wait(10_000).then(() => { second = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    wake.wake();
    await p;
    expect(second).toBe(true);
  });

  it('keeps nothing per wait: a thousand waits leave no reaction on a pending promise', async () => {
    // What the loop raced before: a promise that stays pending until shutdown gained one reaction per wait.
    const wake = new LoopWake();
    for (let i = 0; i < 1000; i++) {
      const p = wake.wait();
      wake.wake();
      await p;
    }
    expect((wake as unknown as { waiter: unknown }).waiter).toBeNull();
  });
});
