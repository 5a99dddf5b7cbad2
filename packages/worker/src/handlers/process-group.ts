/**
 * A command handler runs as the leader of its own process group (spawned
 * `detached`), so signalling `-pid` reaches the shell and everything it
 * started: `sh -c "python a.py | sort"` stops as a whole.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to every process in the group; false if the group is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM') return true;
    return false;
  }
}

/**
 * True while a process of the group is running. Zombies do not count: an
 * orphan reparented to an init that reaps slowly (containers, microVMs)
 * stays a group member after it has died.
 */
export function groupAlive(pgid: number): boolean {
  if (!killGroup(pgid, 0)) return false;
  return process.platform !== 'linux' || hasLiveMember(pgid);
}

function hasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) > 57 || entry.charCodeAt(0) < 48) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // After "(comm)": state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/** Resolves true once no process of the group is left, false at the deadline (epoch ms). */
export async function waitGroupGone(pgid: number, deadline: number): Promise<boolean> {
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}
