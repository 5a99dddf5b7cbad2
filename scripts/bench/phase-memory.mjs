/**
 * A process's peak RSS per phase of a job (bench helper for scale.mjs).
 *
 * The kernel's high-water mark (VmHWM in /proc/<pid>/status) sees every
 * peak, even one between two samples; at each phase change it is read (the
 * peak of the phase that ended) and reset to the current RSS by writing 5
 * to /proc/<pid>/clear_refs (Linux >= 4.0; the process must be ours). The
 * peaks are exact to within one poll of the boundary (the caller's poll
 * that sees the new status). Where clear_refs cannot be written, the peak
 * of a phase is the largest of its samples (every `sampleMs`) and
 * `exact: false` says so.
 *
 * Besides the peak: the RSS split (anonymous: heaps, SQLite's page cache;
 * file-backed: code, mapped files, SQLite's -shm) at the sample of the
 * phase's largest RSS. With `trace` (a file), every sample as a JSON line.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const KEYS = ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem'];
const mib = (kib) => Math.round((kib / 1024) * 10) / 10;

/** VmRSS, VmHWM, RssAnon, RssFile, RssShmem (KiB) of a process, or null once it is gone (or a zombie). */
export function memStatus(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const out = {};
    for (const k of KEYS) out[k] = Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return Number.isNaN(out.VmRSS) ? null : out;
  } catch {
    return null;
  }
}

/** Resets the process's VmHWM to its current RSS; false if the kernel or the permissions refuse. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts sampling `pid` every `sampleMs` in phase `first`; `phase(name)` at
 * each change (the same name again is a no-op), `stop()` returns
 * { exact, phases: { [name]: { startMiB, peakMiB, anonMiB, fileMiB, wallS } } }: the RSS at the
 * phase's first sample, its peak, the split at its largest sample, its wall time.
 */
export function phaseMemory(pid, { first, sampleMs = 100, trace = '' }) {
  let exact = resetPeak(pid);
  const phases = {};
  let current = null;
  const open = (name) => {
    current = { name, peakKiB: 0, at: null, first: null, startMs: Date.now() };
    phases[name] = current;
  };
  const sample = () => {
    const s = memStatus(pid);
    if (!s) return null;
    current.first ??= s;
    if (s.VmRSS >= (current.at?.VmRSS ?? 0)) current.at = s;
    current.peakKiB = Math.max(current.peakKiB, s.VmRSS, exact ? s.VmHWM : 0);
    if (trace) appendFileSync(trace, `${JSON.stringify({ t: Date.now(), phase: current.name, rss: mib(s.VmRSS), hwm: mib(s.VmHWM), anon: mib(s.RssAnon), file: mib(s.RssFile), shmem: mib(s.RssShmem) })}\n`);
    return s;
  };
  open(first);
  const timer = setInterval(sample, sampleMs);
  timer.unref?.();
  const close = () => {
    sample();
    current.endMs = Date.now();
  };
  return {
    phase(name) {
      if (name === current.name) return;
      close(); // the HWM read here is the ending phase's peak
      if (exact) exact = resetPeak(pid);
      open(name);
      sample();
    },
    stop() {
      clearInterval(timer);
      close();
      const out = {};
      for (const [name, p] of Object.entries(phases)) {
        out[name] = { startMiB: mib(p.first?.VmRSS ?? NaN), peakMiB: mib(p.peakKiB), anonMiB: mib(p.at?.RssAnon ?? NaN), fileMiB: mib(p.at?.RssFile ?? NaN), wallS: Math.round((p.endMs - p.startMs) / 100) / 10 };
      }
      return { exact, phases: out };
    },
  };
}
