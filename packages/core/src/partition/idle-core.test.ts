import { describe, expect, it } from 'vitest';
import { coreIdleIn, cpuSnapshot, IDLE_WAITED_PCT, type CpuSnapshot } from './idle-core.js';

// The second thread of a big split starts only on an idle core: judged by
// what is runnable now and by CPU pressure over ~10 s, not by the 1-minute
// load average (high for minutes after a burst).

const quiet: CpuSnapshot = { cores: 2, waitedPct: 0, running: 1, load1: 0.2 };

describe('coreIdleIn', () => {
  it('takes a quiet machine as idle', () => {
    expect(coreIdleIn(quiet)).toBe(true);
  });

  it('ignores a high 1-minute load average once the pressure and the runnable count say the machine is quiet', () => {
    expect(coreIdleIn({ ...quiet, load1: 12 })).toBe(true);
  });

  it('takes a core as busy while another task is runnable, or tasks waited for a CPU lately', () => {
    expect(coreIdleIn({ ...quiet, running: 2 })).toBe(false);
    expect(coreIdleIn({ ...quiet, waitedPct: IDLE_WAITED_PCT })).toBe(false);
    expect(coreIdleIn({ ...quiet, waitedPct: 96 })).toBe(false);
    expect(coreIdleIn({ cores: 4, waitedPct: 3, running: 3, load1: 3 })).toBe(true);
    expect(coreIdleIn({ cores: 4, waitedPct: 3, running: 4, load1: 3 })).toBe(false);
  });

  it('never on one core', () => {
    expect(coreIdleIn({ ...quiet, cores: 1 })).toBe(false);
  });

  it('falls back to the 1-minute load average without PSI', () => {
    expect(coreIdleIn({ ...quiet, waitedPct: null, load1: 0.5 })).toBe(true);
    expect(coreIdleIn({ ...quiet, waitedPct: null, load1: 1.5 })).toBe(false);
    expect(coreIdleIn({ cores: 2, waitedPct: null, running: null, load1: 0.5 })).toBe(true);
  });

  it('reads a snapshot of this machine', () => {
    const s = cpuSnapshot();
    expect(s.cores).toBeGreaterThanOrEqual(1);
    // This thread is running while it reads /proc/loadavg.
    if (s.running !== null) expect(s.running).toBeGreaterThanOrEqual(1);
    if (s.waitedPct !== null) expect(s.waitedPct).toBeGreaterThanOrEqual(0);
  });
});
