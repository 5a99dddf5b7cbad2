import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleGroupUsage, SAMPLE_MAX_MS } from './group-usage.js';

const started: ChildProcess[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const c of started.splice(0)) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, 'SIGKILL');
});

/** A shell busy in a loop, leading its own process group: its pid. */
function burner(): number {
  const c = spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
  started.push(c);
  if (c.pid === undefined) throw new Error('sh did not start');
  return c.pid;
}

/** Fake time (the samples read the real /proc). */
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe.runIf(process.platform === 'linux')('sampleGroupUsage: samplers share one timer', () => {
  it('a sampler started while another waits for a late sample still gets its first one soon (20 ms), and both go on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const long = sampleGroupUsage(burner());
    // By now the long one samples every SAMPLE_MAX_MS: the shared timer is set far ahead.
    await sleep(SAMPLE_MAX_MS * 2 + 10);
    const short = sampleGroupUsage(burner());
    await sleep(25);
    const a = short.stop();
    expect(a?.scope).toBe('process-group');
    // A sampler that stopped before its first sample has no figures, and does not stop the others.
    expect(sampleGroupUsage(burner()).stop()).toBeUndefined();
    await sleep(SAMPLE_MAX_MS + 100);
    const b = long.stop();
    expect(b?.scope).toBe('process-group');
  });
});
