import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult, type HandlerRunner } from './index.js';

const REVIEWS = '{"id":1,"text":"good value for money"}\n{"id":2,"text":"meh"}\n{"id":3,"text":"  two   words "}\n';

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

function reviews() {
  return writeBatch(tmp.dir, 'reviews.jsonl', REVIEWS, 3);
}

async function runModule(ref: string, over: Parameters<typeof spec>[2] = {}): Promise<AttemptResult> {
  return runner.run(spec(tmp.dir, reviews(), { module: ref, ...over }));
}

function text(r: AttemptResult): string {
  if (!r.ok) throw new Error(`attempt failed: ${r.failure}: ${r.error}\n${r.log}`);
  if (r.output.type !== 'buffer') throw new Error('expected a buffer output');
  return r.output.data.toString('utf8');
}

function failure(r: AttemptResult) {
  if (r.ok) throw new Error(`expected a failure, got output ${JSON.stringify(text(r))}`);
  return r;
}

describe('module handlers: output', () => {
  it('runs a TypeScript handler and writes an array as JSON lines', async () => {
    const r = await runModule(fixture('ts-handler.ts', 'countWords'));
    expect(text(r)).toBe('{"id":1,"words":4}\n{"id":2,"words":1}\n{"id":3,"words":2}\n');
    expect(r).toMatchObject({ ok: true, kind: 'json-lines', records: 3 });
  });

  it('writes an object as one JSON line and a string as is', async () => {
    const obj = await runModule(fixture('ts-handler.ts', 'summary'));
    expect(obj).toMatchObject({ ok: true, kind: 'json' });
    expect(text(obj)).toBe('{"batch":3,"ids":[1,2,3]}\n');
    const str = await runModule(fixture('ts-handler.ts', 'asText'));
    expect(str).toMatchObject({ ok: true, kind: 'raw' });
    expect(text(str)).toBe('good value for money|meh|  two   words ');
  });

  it('returning nothing is empty JSON-lines output', async () => {
    const r = await runModule(fixture('ts-handler.ts', 'noop'));
    expect(r).toMatchObject({ ok: true, kind: 'json-lines', records: 3 });
    expect(text(r)).toBe('');
  });

  it('runs a JavaScript handler; a Buffer is raw output; no #export means default', async () => {
    const batch = writeBatch(tmp.dir, 'words.txt', 'alpha\nbeta\n', 2);
    const input = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };
    const upper = await runner.run(spec(tmp.dir, batch, { module: fixture('js-handler.js', 'upper'), input }));
    expect(text(upper)).toBe('ALPHA\nBETA\n');
    const bytes = await runner.run(spec(tmp.dir, batch, { module: fixture('js-handler.js', 'bytes'), input }));
    expect(bytes).toMatchObject({ ok: true, kind: 'raw' });
    expect(text(bytes)).toBe('2 records\n');
    const echo = await runner.run(spec(tmp.dir, batch, { module: fixture('js-handler.js'), input }));
    expect(text(echo)).toBe('"alpha"\n"beta"\n');
  });

  it('gives the handler the job id, task id and attempt', async () => {
    const batch = { ...reviews(), index: 7 };
    const r = await runner.run(spec(tmp.dir, batch, { module: fixture('ts-handler.ts', 'ctxInfo'), jobId: 'j-42', attempt: 3 }));
    expect(JSON.parse(text(r))).toEqual({ jobId: 'j-42', taskId: 7, attempt: 3 });
  });

  it('ctx.batch: index, records and firstRecord; a batch split by bytes gets the count read and firstRecord null', async () => {
    const counted = await runner.run(spec(tmp.dir, { ...reviews(), index: 4, firstRecord: 12 }, { module: fixture('js-handler.js', 'batchInfo') }));
    expect(JSON.parse(text(counted))).toEqual({ index: 4, records: 3, firstRecord: 12 });
    const bytes = { ...reviews(), index: 5, records: null, firstRecord: null };
    const r = await runner.run(spec(tmp.dir, bytes, { module: fixture('js-handler.js', 'batchInfo') }));
    expect(JSON.parse(text(r))).toEqual({ index: 5, records: 3, firstRecord: null });
    expect(r).toMatchObject({ ok: true, records: 3 });
  });

  it('collects ctx.log and console output in the attempt log', async () => {
    const r = await runModule(fixture('ts-handler.ts', 'logs'));
    expect(r.ok).toBe(true);
    expect(r.log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  processing 3 records$/m);
    expect(r.log).toMatch(/Z WARN  record \{ id: 1 \}$/m);
    expect(r.log).toMatch(/Z STDOUT from console.log$/m);
  });
});

describe('module handlers: read options sent once per thread', () => {
  it('a run without its input reads as the last input that thread got; another input object is sent again', async () => {
    const batch = reviews();
    const jsonl = { format: 'jsonl' as const, csv: { delimiter: ',', header: true, quote: '"' } };
    const lines = { format: 'text' as const, csv: { delimiter: ',', header: true, quote: '"' } };
    // summary: a JSON-lines record has an id, a text line has none.
    const asObjects = '{"batch":3,"ids":[1,2,3]}\n';
    const asLines = '{"batch":3,"ids":[null,null,null]}\n';
    const run = (input: typeof jsonl | typeof lines) => runner.run(spec(tmp.dir, batch, { module: fixture('ts-handler.ts', 'summary'), input }));
    // One thread (slots 1): each object is posted once, then left out while it is the thread's last one.
    for (const [input, want] of [[jsonl, asObjects], [lines, asLines], [lines, asLines], [jsonl, asObjects], [jsonl, asObjects], [lines, asLines]] as const) {
      expect(text(await run(input))).toBe(want);
    }
    // Queued on the thread together (several runs in one message), alternating.
    const together = await Promise.all([jsonl, lines, lines, jsonl, jsonl, lines].map((input) => run(input)));
    expect(together.map(text)).toEqual([asObjects, asLines, asLines, asObjects, asObjects, asLines]);
  });
});

describe('module handlers: failures', () => {
  it('a thrown error fails the attempt, retryably, naming the error and where', async () => {
    const r = failure(await runModule(fixture('failing.ts', 'thrower')));
    expect(r).toMatchObject({ failure: 'error', retryable: true, exitCode: null });
    expect(r.error).toMatch(/^handler threw: TypeError: boom: cannot count \(at failing\.ts:8:9\)$/);
    expect(r.log).toContain('TypeError: boom: cannot count');
    expect(r.log).toContain('at thrower');
  });

  it('an error marked retryable: false is not retryable', async () => {
    const r = failure(await runModule(fixture('failing.ts', 'nonRetryable')));
    expect(r).toMatchObject({ failure: 'error', retryable: false });
    expect(r.error).toMatch(/^handler threw: Error: bad input/);
  });

  it('a thrown non-Error is reported as it is', async () => {
    const r = failure(await runModule(fixture('failing.ts', 'throwsString')));
    expect(r.error).toBe("handler threw: 'plain string'");
  });

  it('a missing module or export fails without retry', async () => {
    const missing = failure(await runModule('/nonexistent/handler.ts#run'));
    expect(missing).toMatchObject({ failure: 'error', retryable: false });
    expect(missing.error).toContain('handler.module: module /nonexistent/handler.ts does not exist');
    const noExport = failure(await runModule(fixture('ts-handler.ts', 'nope')));
    expect(noExport.retryable).toBe(false);
    expect(noExport.error).toMatch(/has no exported function "nope" \(did you mean "noop"\?\) \(exported functions: .*countWords/);
  });

  it('a bad input record fails without retry, with the reader message', async () => {
    const batch = writeBatch(tmp.dir, 'bad.jsonl', '{"id":1}\n{oops\n', 2);
    const r = failure(await runner.run(spec(tmp.dir, batch, { module: fixture('ts-handler.ts', 'noop') })));
    expect(r).toMatchObject({ failure: 'error', retryable: false });
    expect(r.error).toContain('bad.jsonl');
  });

  it('output that has no JSON form fails without retry', async () => {
    const r = failure(await runModule(fixture('ts-handler.ts', 'bigint')));
    expect(r.retryable).toBe(false);
    expect(r.error).toMatch(/^handler returned output that cannot be stored: .*BigInt/);
  });

  it('a busy loop times out, and the pool runs the next attempt', async () => {
    const started = Date.now();
    const r = failure(await runModule(fixture('failing.ts', 'busy'), { timeoutMs: 500 }));
    expect(r).toMatchObject({ failure: 'timeout', retryable: true, error: 'timed out after 500ms (compute.timeout)' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.log).toContain('INFO  about to spin');
    expect(text(await runModule(fixture('ts-handler.ts', 'summary')))).toBe('{"batch":3,"ids":[1,2,3]}\n');
  });

  it('exhausting the heap limit fails with out_of_memory; the process survives', async () => {
    const r = failure(await runModule(fixture('failing.ts', 'hog'), { memoryBytes: 64 * 1024 * 1024 }));
    expect(r).toMatchObject({ failure: 'out_of_memory', retryable: true, error: 'ran out of memory (heap limit 64 MiB, compute.memory)' });
    expect(text(await runModule(fixture('ts-handler.ts', 'asText')))).toBe('good value for money|meh|  two   words ');
  });

  it('process.exit ends only the thread', async () => {
    const r = failure(await runModule(fixture('failing.ts', 'exiter')));
    expect(r).toMatchObject({ failure: 'error', error: 'handler exited the thread with code 7' });
    expect(text(await runModule(fixture('ts-handler.ts', 'noop')))).toBe('');
  });
});

describe('module handlers: abort and concurrency', () => {
  it('an abort reaches ctx.signal; the attempt ends as a signal failure', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort('job cancelled'), 300);
    const r = failure(await runModule(fixture('failing.ts', 'slow'), { signal: controller.signal }));
    expect(r).toMatchObject({ failure: 'signal', error: 'attempt aborted: job cancelled' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a handler that ignores the abort is terminated after the grace period', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('lease lost')), 200);
    const r = failure(await runModule(fixture('failing.ts', 'stubborn'), { signal: controller.signal }));
    expect(r).toMatchObject({ failure: 'signal', error: 'attempt aborted: lease lost' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(6000);
    expect(text(await runModule(fixture('ts-handler.ts', 'noop')))).toBe('');
  });

  it('an attempt whose signal is already aborted does not run', async () => {
    const r = failure(await runModule(fixture('ts-handler.ts', 'noop'), { signal: AbortSignal.abort('shutting down') }));
    expect(r).toMatchObject({ failure: 'signal', error: 'attempt aborted: shutting down' });
  });

  it('more attempts than slots wait their turn', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((i) => runModule(fixture('ts-handler.ts', 'ctxInfo'), { attempt: i })));
    expect(results.map((r) => JSON.parse(text(r)).attempt)).toEqual([1, 2, 3, 4]);
  });

  it('attempts that wait (not short) still run at once, one thread per slot: the pool grows to its slots', async () => {
    const own = createHandlerRunner({ slots: 3 });
    const jobId = `meet-${process.pid}-${Date.now()}`;
    try {
      const runs = await Promise.all([1, 2, 3].map((i) => own.run(spec(tmp.dir, reviews(), { module: fixture('ts-handler.ts', 'meetThree'), attempt: i, jobId, timeoutMs: 120_000 }))));
      // Each waits until all three have started: on fewer threads than slots they would not meet.
      expect(runs.map((r) => JSON.parse(text(r)))).toEqual([{ met: true }, { met: true }, { met: true }]);
    } finally {
      await own.close();
      rmSync(join(tmpdir(), `djc-meet-${jobId}`), { recursive: true, force: true });
    }
  }, 180_000);

  it('close() ends attempts in flight as signal failures', async () => {
    const own = createHandlerRunner({ slots: 2 });
    const pending = own.run(spec(tmp.dir, reviews(), { module: fixture('failing.ts', 'stubborn') }));
    await new Promise((r) => setTimeout(r, 1500));
    await own.close();
    expect(failure(await pending)).toMatchObject({ failure: 'signal', error: 'attempt aborted: handler runner closed' });
  });
});
