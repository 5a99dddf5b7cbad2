import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from '../../test-fixtures/attempt-spec.js';
import { createAttemptScope, SCOPE_ENV } from './attempt-scope.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.pid !== undefined && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
});

/** `sleep 30` in a new session (its own group), with `env` added to the environment. */
function sleeper(env: Record<string, string>): ChildProcess & { pid: number } {
  const c = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
  started.push(c);
  if (c.pid === undefined) throw new Error('sleep did not start');
  return c as ChildProcess & { pid: number };
}

/** The first line `c` writes on stdout. */
function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    c.stdout?.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    c.stdout?.once('end', () => reject(new Error(`stdout ended before a line: ${text}`)));
  });
}

/** `sleep 30` started by a shell that exits at once: the kernel hands it to init or a subreaper. Its pid. */
async function orphaned(env: Record<string, string>): Promise<number> {
  const sh = spawn('sh', ['-c', 'sleep 30 </dev/null >/dev/null 2>&1 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  const pid = Number(await firstLine(sh));
  await new Promise((resolve) => (sh.exitCode !== null ? resolve(null) : sh.once('exit', resolve)));
  started.push({ pid } as ChildProcess);
  return pid;
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}

const exited = (c: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.signalCode) : c.once('exit', (_code, sig) => resolve(sig))));

/** Field 22 of /proc/PID/stat: the start time in clock ticks since boot. */
function startTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

describe.runIf(process.platform === 'linux')('the scope of an attempt: what its command started, in its group or not', () => {
  it('kills a process that left the group and the session but carries the tag, and counts it as escaped', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    const escaped = sleeper({ [SCOPE_ENV]: scope.tag });
    scope.started(leader.pid);
    expect(scope.killAll()).toBe(1);
    expect(await exited(escaped)).toBe('SIGKILL');
    expect(await exited(leader)).toBe('SIGKILL');
  });

  it('once the leader is gone (reaped), its pid is not swept: an escaped process still is', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    const escaped = sleeper({ [SCOPE_ENV]: scope.tag });
    scope.started(leader.pid);
    expect(scope.killAll('SIGKILL', true)).toBe(1);
    expect(await exited(escaped)).toBe('SIGKILL');
    expect(alive(leader.pid)).toBe(true);
  });

  it('an entry that only contains the tag (a longer value, another variable) is not the tag', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    const longer = sleeper({ [SCOPE_ENV]: `${scope.tag}0` });
    const other = sleeper({ [`X${SCOPE_ENV}`]: scope.tag });
    scope.started(leader.pid);
    expect(scope.killAll()).toBe(0);
    await exited(leader);
    expect([alive(longer.pid), alive(other.pid)]).toEqual([true, true]);
  });

  it('uses the start time the spawner read: a tagged process started before it is not the attempt\'s', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    const tagged = sleeper({ [SCOPE_ENV]: scope.tag });
    // As if the leader had started after `tagged`.
    scope.started(leader.pid, startTicks(tagged.pid) + 1);
    expect(scope.killAll()).toBe(0);
    expect(alive(tagged.pid)).toBe(true);
  });

  it('kills a tagged process whose parent exited (reparented to init or a subreaper), started after the leader', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    scope.started(leader.pid);
    const orphan = await orphaned({ [SCOPE_ENV]: scope.tag });
    expect(scope.killAll('SIGKILL', true)).toBe(1);
    await until(() => !alive(orphan));
    expect(alive(leader.pid)).toBe(true);
  });

  it('a process forked after the leader by a process started before it is not the attempt\'s, whatever its environment', async () => {
    const scope = createAttemptScope();
    // Started before the leader (with the tag, as a process that copied an attempt's environment would have it); forks when told.
    const parent = spawn('sh', ['-c', 'read go; sleep 30 & echo $!; wait'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, [SCOPE_ENV]: scope.tag } });
    started.push(parent);
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    scope.started(leader.pid);
    parent.stdin?.write('go\n');
    const child = Number(await firstLine(parent));
    expect(child).toBeGreaterThan(leader.pid);
    expect(scope.killAll('SIGKILL', true)).toBe(0);
    expect(alive(child)).toBe(true);
    process.kill(child, 'SIGKILL');
  });

  it('another attempt\'s leader, started after this one\'s, is left alone; what this attempt started after it is still killed', async () => {
    const scope = createAttemptScope();
    const leader = sleeper({ [SCOPE_ENV]: scope.tag });
    scope.started(leader.pid);
    // The next attempt's command, as the spawner starts it at this one's exit (its leader is skipped by the sweep, not read).
    const next = createAttemptScope();
    const nextLeader = sleeper({ [SCOPE_ENV]: next.tag });
    next.started(nextLeader.pid);
    const escaped = sleeper({ [SCOPE_ENV]: scope.tag });
    expect(escaped.pid).toBeGreaterThan(nextLeader.pid);
    expect(scope.killAll('SIGKILL', true)).toBe(1);
    expect(await exited(escaped)).toBe('SIGKILL');
    expect([alive(leader.pid), alive(nextLeader.pid)]).toEqual([true, true]);
    expect(next.killAll()).toBe(0);
    expect(await exited(nextLeader)).toBe('SIGKILL');
  });

  it('gives each attempt its own tag', () => {
    const tags = new Set(Array.from({ length: 100 }, () => createAttemptScope().tag));
    expect(tags.size).toBe(100);
  });
});
