/**
 * Command attempts handed to the runner ahead of their turn (AttemptSpec.queued,
 * a worker at concurrency 1): the perl spawner holds each request and starts
 * it when the command before it exits, without a round trip to the worker.
 * Each queued command still runs alone, after the one before; its timeout
 * counts from its own start; one that must not run (its signal aborted, or
 * the command before it was stopped) never starts and comes back marked
 * notStarted, for the worker to give back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { output, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createCommandRunner, type CommandRunner } from './command-runner.js';
import type { AttemptResult, AttemptSpec } from './types.js';

const TEXT = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };
const hasPerl = process.platform === 'linux' && existsSync('/usr/bin/perl');

let tmp: ReturnType<typeof tempDir>;
let runner: CommandRunner;
beforeAll(() => {
  tmp = tempDir();
  runner = createCommandRunner();
});
afterAll(async () => {
  await runner.close();
  tmp.cleanup();
});

let n = 0;
function attempt(command: string, over: Partial<AttemptSpec> & { env?: Record<string, string> } = {}): AttemptSpec {
  const batch = writeBatch(tmp.dir, `in-${++n}.txt`, 'x\n', 1);
  return spec(tmp.dir, batch, { command, input: TEXT, ...over });
}
const run = (s: AttemptSpec): Promise<AttemptResult> => runner.run(s, s.signal);
const mark = (name: string) => join(tmp.dir, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(hasPerl)('command attempts queued behind the one running (perl spawner)', () => {
  it('a queued command starts once the one before it has exited; its timeout counts from its own start', async () => {
    const a = run(attempt(`sleep 0.7; touch ${mark('a-done')}`));
    await sleep(50);
    const turns: number[] = [];
    // 500 ms of timeout: it would run out while it waits behind the first (700 ms) if its clock started at the request.
    const b = run(attempt(`test -e ${mark('a-done')} && echo after`, { queued: true, timeoutMs: 500, onTurn: (at) => turns.push(at) }));
    const ra = await a;
    expect(ra.ok).toBe(true);
    expect(output(await b)).toBe('after\n');
    expect(turns).toHaveLength(1);
  });

  it('a queued command whose signal aborts before its turn never starts; the environment of the next is still exact', async () => {
    const a = run(attempt('sleep 0.5; echo first'));
    await sleep(50);
    const stop = new AbortController();
    // The dropped request sets W (and V); the one after it sends only what differs from it: W is not sent again.
    const b = run(attempt(`touch ${mark('b-ran')}`, { queued: true, signal: stop.signal, env: { V: 'b', W: 'w' } }));
    const c = run(attempt('echo "$V$W"', { queued: true, env: { V: 'c', W: 'w' } }));
    await sleep(100);
    stop.abort(new Error('lease lost'));
    const rb = await b;
    expect(rb.ok).toBe(false);
    expect(rb.ok === false && rb.notStarted).toBe(true);
    expect(output(await a)).toBe('first\n');
    expect(output(await c)).toBe('cw\n');
    expect(existsSync(mark('b-ran'))).toBe(false);
  });

  it('the attempts queued behind a command that times out are dropped without starting', async () => {
    const a = run(attempt('sleep 30', { timeoutMs: 400 }));
    await sleep(50);
    const b = run(attempt(`touch ${mark('b2-ran')}`, { queued: true }));
    const c = run(attempt(`touch ${mark('c2-ran')}`, { queued: true }));
    const ra = await a;
    expect(ra.ok === false && ra.failure).toBe('timeout');
    const [rb, rc] = await Promise.all([b, c]);
    for (const r of [rb, rc]) {
      expect(r.ok === false && r.notStarted).toBe(true);
      expect(r.ok === false && r.error).toContain('the attempt before it was stopped');
    }
    await sleep(100);
    expect(existsSync(mark('b2-ran'))).toBe(false);
    expect(existsSync(mark('c2-ran'))).toBe(false);
    // The runner goes on: the next command starts at once.
    expect(output(await run(attempt('echo next')))).toBe('next\n');
  });
});
