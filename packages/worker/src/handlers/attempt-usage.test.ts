import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult, type HandlerRunner } from './index.js';

const MB = 1024 * 1024;
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

function batch() {
  return writeBatch(tmp.dir, 'lines.jsonl', '{"a":1}\n{"a":2}\n', 2);
}

function usageOf(r: AttemptResult) {
  expect(r.usage, `no usage measured (${r.ok ? 'ok' : r.error})`).toBeDefined();
  return r.usage as NonNullable<AttemptResult['usage']>;
}

describe('attempt usage: command handlers (their process group, sampled from /proc)', () => {
  const run = (command: string) => runner.run(spec(tmp.dir, batch(), { command }));

  // The busy command does a fixed amount of work (~0.4 s of CPU here), not a fixed wall time: at load a loop that ran
  // for a second of wall time could get little of the CPU. The loop runs in a child of the shell (the `; :` keeps
  // dash from exec'ing it), so the group's CPU, not the leader's alone, is what counts.
  it('a command whose child burns CPU reports far more CPU time than one that sleeps', async () => {
    const busy = usageOf(await run("cat >/dev/null; sh -c 'i=0; while [ $i -lt 500000 ]; do i=$((i+1)); done'; :"));
    const asleep = usageOf(await run('cat >/dev/null; sleep 1.5'));
    expect(busy.scope).toBe('process-group');
    expect(asleep.scope).toBe('process-group');
    expect(busy.cpuMs).toBeGreaterThan(10 * Math.max(asleep.cpuMs, 10));
  });

  it('peak memory covers a child that allocates (a process of the group, not the shell)', async () => {
    // A pipeline: the shell leads the group and waits; the allocating process is one of its children.
    const script = 'const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => console.log(b.length), 1600)';
    const big = usageOf(await run(`cat >/dev/null; ${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)} | cat >/dev/null`));
    const small = usageOf(await run('cat >/dev/null; sleep 1'));
    expect(big.peakMemoryBytes).toBeGreaterThan(200 * MB);
    expect(small.peakMemoryBytes).toBeLessThan(big.peakMemoryBytes / 4);
  });

  it('a failed command still reports what it used', async () => {
    const r = await run('cat >/dev/null; sleep 0.3; exit 3');
    expect(r.ok).toBe(false);
    expect(usageOf(r).scope).toBe('process-group');
  });
});

describe('attempt usage: module handlers (their thread)', () => {
  const run = (name: string) => runner.run(spec(tmp.dir, batch(), { module: fixture('usage.ts', name) }));

  it('a handler that keeps its thread busy reports far more CPU time than one that waits', async () => {
    const busy = usageOf(await run('burn'));
    const waiting = usageOf(await run('idle'));
    expect(busy.scope).toBe(typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === 'function' ? 'thread' : 'process');
    expect(busy.cpuMs).toBeGreaterThan(5 * Math.max(waiting.cpuMs, 10));
  });

  // Idle first: the thread is pooled, and garbage an earlier attempt left uncollected counts (thread-usage.ts).
  it('peak memory is the heap the handler held, seen while it ran', async () => {
    const waiting = usageOf(await run('idle'));
    const hoard = usageOf(await run('hoard'));
    expect(hoard.peakMemoryBytes).toBeGreaterThan(60 * MB);
    expect(waiting.peakMemoryBytes).toBeLessThan(hoard.peakMemoryBytes);
  });
});
