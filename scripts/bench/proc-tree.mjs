/**
 * Per-process figures from /proc for the benchmarks that compare several
 * processes: a process's peak RSS (VmHWM), its CPU time (user + sys from
 * /proc/PID/stat) and its descendants (/proc/PID/task/TID/children). A
 * sampler walks a process tree every SAMPLE_MS and keeps, for each process
 * it saw, the last figures it read: VmHWM only grows, so the last read is the
 * process's peak unless it grew in its last SAMPLE_MS.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const SAMPLE_MS = 100;
const TICKS_PER_S = 100; // getconf CLK_TCK on Linux

/** Command line of a process, or null once it is gone. */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/** { hwmKiB, cpuMs } of a live process (peak RSS, user + sys so far), or null once it is gone. */
export function procFigures(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    // Fields after "(comm) ": state is [0], utime [11], stime [12].
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
    return { hwmKiB: hwm, cpuMs };
  } catch {
    return null;
  }
}

/** PIDs of every descendant of `pid` (children of all its threads, recursively). */
export function descendants(pid) {
  const out = [];
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.trim().split(/\s+/).filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

/**
 * Samples `rootPid` and its descendants every SAMPLE_MS. `label(argv)` names
 * a process (null: leave it out, e.g. GNU time around the real command).
 * `stop()` takes a last sample and returns [{ pid, label, peakRssKiB, cpuMs }]
 * in the order the processes were first seen.
 */
export function sampleTree(rootPid, label) {
  const seen = new Map();
  const sample = () => {
    for (const pid of [rootPid, ...descendants(rootPid)]) {
      // Labelled again at every sample: a child just forked still shows its parent's command line.
      const argv = cmdline(pid);
      const name = argv?.length ? label(argv) : null;
      let p = seen.get(pid);
      if (!p) {
        if (!name) continue;
        p = { pid, label: name, peakRssKiB: 0, cpuMs: 0 };
        seen.set(pid, p);
      } else if (name) {
        p.label = name;
      }
      const f = procFigures(pid);
      if (!f) continue;
      p.peakRssKiB = Math.max(p.peakRssKiB, f.hwmKiB || 0);
      p.cpuMs = f.cpuMs;
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}
