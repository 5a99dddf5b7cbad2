// Command handlers under a memory limit (RLIMIT_DATA via the shell): real processes, real allocations.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult, type HandlerRunner } from './index.js';
import { shellArgs } from './command-runner.js';

const MiB = 1024 * 1024;
const TEXT = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };
/** perl (in every Debian/Ubuntu base image) allocating `mib` MiB in one string. */
const perlAlloc = (mib: number) => `perl -e '$x = "a" x (${mib} * 1024 * 1024); print length($x), "\\n"'`;

let tmp: ReturnType<typeof tempDir>;
let runner: HandlerRunner;

beforeAll(() => {
  tmp = tempDir();
  runner = createHandlerRunner({ slots: 1 });
});

afterAll(async () => {
  await runner.close();
  tmp.cleanup();
});

function run(command: string, limitMib?: number): Promise<AttemptResult> {
  const batch = writeBatch(tmp.dir, 'one.txt', 'x\n', 1);
  const commandMemory = limitMib === undefined ? {} : { commandMemory: { bytes: limitMib * MiB, source: 'compute.resources.memory' } };
  return runner.run(spec(tmp.dir, batch, { command, input: TEXT, ...commandMemory }));
}

function stdoutOf(r: AttemptResult): string {
  if (!r.ok) throw new Error(`attempt failed: ${r.failure}: ${r.error}\n${r.log}`);
  return r.output.type === 'file' ? readFileSync(r.output.path, 'utf8') : r.output.data.toString('utf8');
}

describe('command handlers under a memory limit', () => {
  it('the command and what it starts see the limit as RLIMIT_DATA', async () => {
    const r = await run('ulimit -d; sh -c "grep \'Max data size\' /proc/self/limits"', 64);
    const out = stdoutOf(r);
    expect(out.split('\n')[0]).toBe('65536');
    expect(out).toMatch(/Max data size\s+67108864\s+67108864\s+bytes/);
  });

  it('a command allocating beyond it fails as out_of_memory, naming the limit and the setting', async () => {
    const r = await run(perlAlloc(128), 32);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toBe('out_of_memory');
    expect(r.error).toMatch(/^command ran out of memory \(limit 32MiB per process, compute.resources.memory\); it exited with code \d+: .*Out of memory/);
  });

  it('the same allocation succeeds under a limit that covers it', async () => {
    expect(stdoutOf(await run(perlAlloc(16), 128)).trim()).toBe(String(16 * MiB));
  });

  it('a failure that is not about memory stays exit_code under a limit', async () => {
    const r = await run('echo broken >&2; exit 3', 64);
    expect(r).toMatchObject({ ok: false, failure: 'exit_code', error: 'command exited with code 3: broken' });
  });

  it('Node (which reserves address space) still starts under the limit', async () => {
    const r = await run(`"${process.execPath}" -e "console.log('node ok')"`, 1024);
    expect(stdoutOf(r).trim()).toBe('node ok');
  });

  it('the command text is passed to the inner shell as an argument, never spliced', () => {
    expect(shellArgs('echo "$1"; ulimit -d', undefined)).toEqual(['-c', 'echo "$1"; ulimit -d']);
    const args = shellArgs(`echo 'it''s'`, 64 * MiB);
    expect(args[0]).toBe('-c');
    expect(args[1]).toContain('ulimit -d 65536');
    expect(args.slice(2)).toEqual(['djc-memory-limit', `echo 'it''s'`]);
  });
});
