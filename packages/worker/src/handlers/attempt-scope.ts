/**
 * What a command handler started must not outlive its attempt. Its process
 * group is killed when the shell exits (process-group.ts), but a child can
 * leave the group: `setsid cmd &`, `nohup … &` under job control, a daemon
 * that forks twice and calls setsid. Node reaches neither a subreaper
 * (prctl PR_SET_CHILD_SUBREAPER) nor, portably, a cgroup, so the attempt is
 * scoped three ways, all read from /proc (Linux):
 *
 * - its process group and its session (the shell leads both: spawned
 *   `detached`, it called setsid);
 * - a tag in the environment (DJC_ATTEMPT_SCOPE, unique per attempt), which
 *   every descendant inherits through setsid and double forks alike.
 *
 * A process that clears its environment (`env -i`) and leaves the session
 * escapes; so does one started after the sweep by a process that escaped.
 * Elsewhere than Linux, only the group is killed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

export const SCOPE_ENV = 'DJC_ATTEMPT_SCOPE';
/** Sweeps until one finds nothing left (a process forking while swept is caught by the next). */
const MAX_SWEEPS = 5;
/** Pids tried one by one (a read that fails fast) rather than listing /proc. */
const RANGE_MAX = 256;
/** Tags are this process's random prefix and a count: unique per attempt without drawing random bytes for each. */
const TAG_PREFIX = randomBytes(6).toString('hex');
let tagCount = 0;
/** How many of the latest leaders (of this worker's attempts) are kept in `leaders`. */
const LEADERS_KEPT = 64;
/**
 * The leaders of this worker's latest attempts: pid -> start time (clock
 * ticks since boot; 0: not known). Another attempt's leader, started no
 * earlier than an attempt's own, is not that attempt's (see sweep): at c1
 * the next command, queued in the spawner, has started by the time the
 * one before it is swept.
 */
const leaders = new Map<number, number>();

export interface AttemptScope {
  /** The environment tag: set it as SCOPE_ENV in the command's environment. */
  readonly tag: string;
  /**
   * Call with the shell's pid once spawned: it leads the process group and
   * the session. `startTicks`: its start time, when known already (else read here).
   * `parentPid`: the process that started it (the spawner), when known: see
   * sweep for what it saves.
   */
  started(pid: number, startTicks?: number, parentPid?: number): void;
  /**
   * Signals every process of the scope (except the worker itself), SIGKILL
   * by default; returns how many of them had left the process group (escaped
   * it). Synchronous: called from the shell's exit event. `leaderGone`: the
   * leader has exited and was reaped, so its pid is not read (the sweep
   * starts past it: on a quiet machine often no read at all).
   */
  killAll(signal?: NodeJS.Signals, leaderGone?: boolean): number;
}

export function createAttemptScope(): AttemptScope {
  const tag = `${TAG_PREFIX}${(tagCount++).toString(16).padStart(8, '0')}`;
  let leader: number | undefined;
  /** The leader's start time (clock ticks since boot): processes started before it are not ours. */
  let since = 0;
  let spawner: number | undefined;
  return {
    tag,
    started(pid, startTicks, parentPid) {
      leader = pid;
      since = startTicks ?? readStat(String(pid))?.start ?? 0;
      spawner = parentPid;
      // Kept in start order, the oldest let go first.
      leaders.delete(pid);
      leaders.set(pid, since);
      if (leaders.size > LEADERS_KEPT) leaders.delete(leaders.keys().next().value as number);
    },
    killAll(signal = 'SIGKILL', leaderGone = false) {
      if (process.platform !== 'linux') return 0;
      const needle = `${SCOPE_ENV}=${tag}`;
      const escaped = new Set<number>();
      // A SIGTERM is sent once: the processes it does not stop are still there for the next sweep.
      for (let i = 0; i < (signal === 'SIGKILL' ? MAX_SWEEPS : 1); i += 1) {
        const found = sweep(leader, since, needle, leaderGone, spawner);
        for (const { pid, inGroup } of found) {
          try {
            process.kill(pid, signal);
            if (!inGroup) escaped.add(pid);
          } catch {
            // gone meanwhile
          }
        }
        // Members of the group were killed with it already; another sweep is for escaped ones that were forking.
        if (!found.some((f) => !f.inGroup)) break;
      }
      return escaped.size;
    },
  };
}

/**
 * Live processes in the leader's group or session, or carrying the tag,
 * started no earlier than the leader. Only pids allocated since the leader's
 * are read: a full read of /proc costs ~5 ms with 140 processes, too much
 * for every attempt of a short command.
 *
 * The tag is read (environ: a second read) only for a process that may
 * descend from the leader. When the pids since the leader are known (no
 * wrap-around: `ranged`), one whose parent has a pid below the leader's
 * and is not one of the leader's ancestors (the spawner, this worker and
 * its ancestors, init) does not: its parent was started before the
 * leader, so it is no descendant of the leader, and it did not adopt an
 * orphan of the command (the kernel hands an orphan to an ancestor, a
 * subreaper or init). At c1 on 2 workers that is the other worker's
 * command, found in most sweeps.
 *
 * Nor is, in the ranged case, another attempt's leader that started no
 * earlier than this one's (`leaders`): its pid was allocated since this
 * leader's, and pids allocated since are allocated once, so the process
 * with that pid is that leader (or its exec'd command), which the spawner
 * forked in a session of its own with its attempt's tag. It is not read at
 * all. At c1 that is the next command queued in the spawner, started at
 * this one's exit: two reads (stat and environ) fewer per attempt.
 */
function sweep(leader: number | undefined, since: number, needle: string, leaderGone: boolean, spawner: number | undefined): { pid: number; inGroup: boolean }[] {
  const found: { pid: number; inGroup: boolean }[] = [];
  const { pids, ranged } = candidates(leader);
  for (const pid of pids) {
    if (pid === process.pid || (leaderGone && pid === leader)) continue;
    if (ranged && pid !== leader && since > 0 && (leaders.get(pid) ?? -1) >= since) continue;
    const stat = readStat(String(pid));
    if (!stat || stat.state === 'Z' || stat.start < since) continue;
    const inGroup = stat.pgrp === leader;
    if (inGroup || stat.session === leader) found.push({ pid, inGroup });
    else if (ranged && stat.ppid < (leader as number) && stat.ppid !== spawner && !ancestors().has(stat.ppid)) continue;
    else if (hasTag(String(pid), needle)) found.push({ pid, inGroup });
  }
  return found;
}

/** This worker and its ancestors up to init (and 0, the parent of init), read once: a process reparented later goes to one of them. */
let lineage: Set<number> | undefined;
function ancestors(): Set<number> {
  if (lineage) return lineage;
  const chain = new Set([0, 1]);
  for (let pid = process.pid; !chain.has(pid); ) {
    chain.add(pid);
    const ppid = readStat(String(pid))?.ppid;
    if (ppid === undefined || !Number.isInteger(ppid)) break;
    pid = ppid;
  }
  lineage = chain;
  return chain;
}

/**
 * The pids that may have been allocated since the leader's: pids grow until
 * they wrap around, and the kernel's last pid says whether they did. Few
 * since the leader: each is tried (`ranged`: they are all the pids
 * allocated since); else the live ones of /proc. All of /proc when that
 * cannot be told.
 */
function candidates(leader: number | undefined): { pids: number[]; ranged: boolean } {
  const last = lastPid();
  if (leader !== undefined && Number.isInteger(last) && last >= leader && last - leader < RANGE_MAX) {
    const pids: number[] = [];
    for (let pid = leader; pid <= last; pid += 1) pids.push(pid);
    return { pids, ranged: true };
  }
  let live: number[];
  try {
    live = readdirSync('/proc').filter((e) => e.charCodeAt(0) <= 57 && e.charCodeAt(0) >= 48).map(Number);
  } catch {
    return { pids: [], ranged: false };
  }
  if (leader === undefined || !Number.isInteger(last)) return { pids: live, ranged: false };
  // Wrapped around since the leader: the pids above it and those up to the last one.
  return { pids: live.filter((pid) => (last >= leader ? pid >= leader && pid <= last : pid >= leader || pid <= last)), ranged: false };
}

/** /proc/sys/kernel/ns_last_pid, kept open (read again from offset 0 each time); -1: not open, null: not readable here. */
let lastPidFd: number | null = -1;

/** The last pid the kernel allocated (in this pid namespace), or NaN when it cannot be read. */
function lastPid(): number {
  if (lastPidFd === -1) {
    try {
      lastPidFd = openSync('/proc/sys/kernel/ns_last_pid', 'r');
    } catch {
      lastPidFd = null;
    }
  }
  if (lastPidFd === null) return Number.NaN;
  try {
    return Number(buffer.toString('latin1', 0, readSync(lastPidFd, buffer, 0, 32, 0)));
  } catch {
    return Number.NaN;
  }
}

/** Reused by every read of /proc here (synchronous, so one at a time). */
let buffer = Buffer.allocUnsafe(4096);

/**
 * A /proc file's text, or null when it cannot be read (the process is gone):
 * open, read, close (readFileSync adds an fstat and a read, and a buffer per call).
 * A short read is the end: /proc/PID/stat (one seq_file record) and
 * /proc/PID/environ fill what is asked while they have more (no read that returns 0).
 */
function readProc(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let n = 0;
    for (;;) {
      if (n === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, n);
        buffer = bigger;
      }
      const want = buffer.length - n;
      const got = readSync(fd, buffer, n, want, null);
      n += got;
      if (got < want) break;
    }
    return buffer.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

interface Stat { state: string; ppid: number; pgrp: number; session: number; start: number }

function readStat(pid: string): Stat | null {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  // After "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice num_threads itrealvalue starttime …
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0] ?? '', ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), start: Number(f[19]) };
}

/** True when the process's environment has the entry `needle` (KEY=VALUE, whole: between NULs or the ends). */
function hasTag(pid: string, needle: string): boolean {
  const env = readProc(`/proc/${pid}/environ`);
  if (env === null) return false;
  for (let i = env.indexOf(needle); i >= 0; i = env.indexOf(needle, i + 1)) {
    const end = i + needle.length;
    if ((i === 0 || env.charCodeAt(i - 1) === 0) && (end === env.length || env.charCodeAt(end) === 0)) return true;
  }
  return false;
}
