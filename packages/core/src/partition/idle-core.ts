import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/**
 * Whether a core is idle now, for a second thread that would only pay off
 * on an idle core (tail-thread.ts). Read once per big file; two small
 * /proc reads, no sampling delay.
 *
 * The 1-minute load average (the former rule) stays high for minutes after
 * a burst, so a machine that had just run something never got the second
 * thread. Linux's CPU pressure (PSI, /proc/pressure/cpu) forgets in about
 * 10 s, and the runnable count in /proc/loadavg is this instant.
 */
export interface CpuSnapshot {
  cores: number;
  /** PSI `some avg10`: % of the last ~10 s in which a runnable task waited for a CPU; null without PSI. */
  waitedPct: number | null;
  /** Runnable tasks right now, this thread included (/proc/loadavg's 4th field); null where unreadable. */
  running: number | null;
  /** 1-minute load average (the fallback where /proc/pressure/cpu is missing). */
  load1: number;
}

/** A task waited for a CPU less than this share of the last ~10 s: the machine has spare CPU. */
export const IDLE_WAITED_PCT = 10;

/**
 * Pure rule: a core is idle when, besides this thread, fewer tasks are
 * runnable than there are other cores, and no task waited for a CPU for
 * more than IDLE_WAITED_PCT of the last ~10 s (so an instant's gap on a
 * busy machine does not count). Without PSI, the 1-minute load average
 * below the cores but one, as before.
 */
export function coreIdleIn(s: CpuSnapshot): boolean {
  if (s.cores < 2) return false;
  if (s.running !== null && s.running > s.cores - 1) return false;
  if (s.waitedPct !== null) return s.waitedPct < IDLE_WAITED_PCT;
  return s.load1 < s.cores - 1;
}

/** The machine's snapshot now (Linux /proc; elsewhere cores and the load average only). */
export function cpuSnapshot(): CpuSnapshot {
  return { cores: availableParallelism(), waitedPct: psiSomeAvg10(), running: runnableNow(), load1: loadavg()[0] ?? 0 };
}

export function coreIdle(): boolean {
  return coreIdleIn(cpuSnapshot());
}

function psiSomeAvg10(): number | null {
  const text = readProc('/proc/pressure/cpu');
  const m = text === null ? null : /^some avg10=([\d.]+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

function runnableNow(): number | null {
  const text = readProc('/proc/loadavg');
  const m = text === null ? null : /^\S+ \S+ \S+ (\d+)\//.exec(text);
  return m ? Number(m[1]) : null;
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}
