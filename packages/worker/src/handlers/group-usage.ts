/**
 * What a command handler's process group uses, sampled from /proc while it
 * runs (Linux). Node cannot ask the kernel for the rusage of a child it
 * reaped, and the shell that leads the group is reaped before its 'exit'
 * event, so the figures are samples:
 *
 * - CPU: at each sample, the user + system time of every live member plus
 *   the time of the children each member reaped (cutime/cstime); the
 *   attempt's figure is the largest such sum, so what runs after the last
 *   sample (at most one period) and members reaped by init are not counted.
 * - Memory: the largest of the members' summed RSS at a sample and any one
 *   member's own peak RSS (VmHWM), which covers a peak between samples.
 *
 * Sampling starts soon after the spawn and slows down to SAMPLE_MAX_MS.
 * Members are found by scanning /proc for the group id (this kernel has no
 * /proc/PID/task/TID/children to walk), at most every SCAN_EVERY_MS: the
 * first second sees the leader alone (for `sh -c CMD` the command itself,
 * which the shell execs, and the children it reaped). A command that ends
 * before the first sample (20 ms) has no figures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AttemptUsage } from '@djc/core';

/** First sample after this long; each next one twice as late, up to SAMPLE_MAX_MS. */
const SAMPLE_FIRST_MS = 20;
export const SAMPLE_MAX_MS = 250;
/**
 * A scan of /proc for the group's members reads every process's stat (about
 * 2.6 ms of CPU with 140 processes here): done at most this often; samples
 * in between read the leader and the members the last scan found.
 */
export const SCAN_EVERY_MS = 1000;
/** Clock ticks per second of /proc/PID/stat times (USER_HZ; 100 on every Linux port in use). */
const TICKS_PER_SECOND = 100;

export interface GroupUsage {
  /** Stops sampling; the figures so far, or undefined off Linux or when no sample saw the group. */
  stop(): AttemptUsage | undefined;
}

/** Starts sampling the process group `pgid` (its leader's pid). */
export function sampleGroupUsage(pgid: number): GroupUsage {
  return new GroupSampler(pgid);
}

/**
 * The samplers running, woken by one timer set for the earliest of their
 * next samples: a command that ends before its first sample (most short
 * ones) costs no timer of its own, set and cleared.
 */
const sampling = new Set<GroupSampler>();
let timer: NodeJS.Timeout | undefined;
/** When the timer fires (epoch ms); Infinity: not set. */
let timerAt = Number.POSITIVE_INFINITY;

function wakeAt(at: number): void {
  if (at >= timerAt) return;
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(onTimer, Math.max(0, at - Date.now()));
  timer.unref();
}

function onTimer(): void {
  timerAt = Number.POSITIVE_INFINITY;
  // Timers and Date.now() may disagree by a millisecond.
  const now = Date.now() + 1;
  let next = Number.POSITIVE_INFINITY;
  for (const s of sampling) {
    if (s.due <= now) s.tick();
    next = Math.min(next, s.due);
  }
  if (next !== Number.POSITIVE_INFINITY) wakeAt(next);
}

class GroupSampler implements GroupUsage {
  private cpuTicks = -1;
  private peakBytes = 0;
  private delay = SAMPLE_FIRST_MS;
  /** When the next sample is due (epoch ms). */
  due: number;
  private scannedAt: number;
  private members: string[];

  constructor(private readonly pgid: number) {
    const now = Date.now();
    this.due = now + this.delay;
    this.scannedAt = now;
    this.members = [String(pgid)];
    if (process.platform !== 'linux') return;
    sampling.add(this);
    wakeAt(this.due);
  }

  /** Samples now; the next one twice as late, up to SAMPLE_MAX_MS. */
  tick(): void {
    this.sample();
    this.delay = Math.min(this.delay * 2, SAMPLE_MAX_MS);
    this.due = Date.now() + this.delay;
  }

  stop(): AttemptUsage | undefined {
    sampling.delete(this);
    if (this.cpuTicks < 0) return undefined;
    return { cpuMs: (this.cpuTicks * 1000) / TICKS_PER_SECOND, peakMemoryBytes: this.peakBytes, scope: 'process-group' };
  }

  private sample(): void {
    if (Date.now() - this.scannedAt >= SCAN_EVERY_MS) {
      this.members = scanGroup(this.pgid);
      this.scannedAt = Date.now();
    }
    const s = readMembers(this.members, this.pgid);
    if (s === null) return;
    this.cpuTicks = Math.max(this.cpuTicks, s.ticks);
    this.peakBytes = Math.max(this.peakBytes, s.rssBytes, s.hwmBytes);
  }
}

interface GroupSample {
  ticks: number;
  rssBytes: number;
  hwmBytes: number;
}

/** Pids of the group's live members (the leader first), from one scan of /proc. */
function scanGroup(pgid: number): string[] {
  const out = [String(pgid)];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c > 57 || c < 48 || entry === out[0]) continue;
    if (pgrpOf(entry) === pgid) out.push(entry);
  }
  return out;
}

function pgrpOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)[2]);
  } catch {
    return null;
  }
}

/** The summed figures of those of `pids` still live in the group; null when none is. */
function readMembers(pids: readonly string[], pgid: number): GroupSample | null {
  const out: GroupSample = { ticks: 0, rssBytes: 0, hwmBytes: 0 };
  let found = false;
  for (const pid of pids) {
    const member = readMember(pid, pgid);
    if (member === null) continue;
    found = true;
    out.ticks += member.ticks;
    out.rssBytes += member.rssBytes;
    out.hwmBytes = Math.max(out.hwmBytes, member.hwmBytes);
  }
  return found ? out : null;
}

function readMember(pid: string, pgid: number): GroupSample | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null; // exited meanwhile
  }
  // After "(comm)": state(0) ppid(1) pgrp(2) … utime(11) stime(12) cutime(13) cstime(14)
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (Number(f[2]) !== pgid || f[0] === 'Z') return null;
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return { ticks, ...readMemory(pid) };
}

/** VmRSS and VmHWM of /proc/PID/status in bytes; 0 when they cannot be read (e.g. a kernel thread). */
function readMemory(pid: string): { rssBytes: number; hwmBytes: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return { rssBytes: 0, hwmBytes: 0 };
  }
  const kb = (re: RegExp) => Number(re.exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kb(VM_RSS), hwmBytes: kb(VM_HWM) };
}

const VM_RSS = /VmRSS:\s+(\d+) kB/;
const VM_HWM = /VmHWM:\s+(\d+) kB/;
