/**
 * A command handler's children do not outlive its attempt (issue 13), even
 * those that left its process group: `setsid cmd &`, a double-fork daemon, a
 * Node child spawned detached. They are killed when the attempt ends, on
 * success, failure and timeout alike, and the attempt log says so.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

/** PIDs of live `sleep SECONDS` processes (the test's own, by their odd durations). */
function sleepers(seconds: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/State:\s+Z/.test(readFileSync(`/proc/${d}/status`, 'utf8'))) continue;
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('sleep')) && argv.includes(seconds)) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

function job(command: string, compute = '{ workers: 1 }', extra = ''): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 4 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'job.yaml'), `name: contain
input: { path: in.jsonl, batch: { records: 2 } }
handler: { command: ${JSON.stringify(command)} }
compute: ${compute}
output: { path: out.jsonl }
${extra}`);
  return 'job.yaml';
}

async function jobId(): Promise<string> {
  const r = await box.run(['list', '--json']);
  return (JSON.parse(r.stdout) as { jobs: { jobId: string }[] }).jobs[0]?.jobId ?? '';
}

const DAEMON = `import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "987.3"])
    os._exit(0)
os.wait()
sys.stdout.write(sys.stdin.read())
`;

describe('command handler containment', () => {
  it('kills a `setsid … &` child, a double-fork daemon and a detached Node child when the attempt succeeds', async () => {
    writeFileSync(join(box.dir, 'daemon.py'), DAEMON);
    const node = `${process.execPath} -e "require('child_process').spawn('sleep',['987.4'],{detached:true,stdio:'ignore'}).unref()"`;
    const r = await box.run(['run', job(`setsid sleep 987.1 & (setsid sh -c 'sleep 987.2' </dev/null >/dev/null 2>&1 &); ${node}; python3 daemon.py`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([0, 1, 2, 3].map((n) => ({ n })));
    for (const s of ['987.1', '987.2', '987.3', '987.4']) expect(sleepers(s), `sleep ${s}`).toEqual([]);
    const logs = await box.run(['logs', await jobId(), '--task', '0']);
    expect(logs.code, logs.stderr).toBe(0);
    // Four sleeps (and the shell of `sh -c`, where it does not exec its last command).
    const killed = /killed (\d+) processes the command left running outside its process group \(setsid, a daemon\)/.exec(logs.stdout);
    expect(Number(killed?.[1]), logs.stdout).toBeGreaterThanOrEqual(4);
  });

  it('kills them when the command fails, and when it times out', async () => {
    const failed = await box.run(['run', job('setsid sleep 987.5 & exit 3', undefined, 'retry: { max_attempts: 1 }\n')]);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toContain('command exited with code 3');
    expect(sleepers('987.5')).toEqual([]);

    const timedOut = await box.run(['run', job('setsid sleep 987.6 & sleep 30', '{ workers: 1, timeout: 1s }', 'retry: { max_attempts: 1 }\n')]);
    expect(timedOut.code, timedOut.stderr).toBe(1);
    expect(timedOut.stdout).toContain('timed out after 1s');
    expect(sleepers('987.6')).toEqual([]);
    const logs = await box.run(['logs', await jobId(), '--task', '0']);
    expect(logs.stdout).toContain('sent SIGTERM to 1 process the command left running outside its process group (setsid, a daemon)');
  });
});
