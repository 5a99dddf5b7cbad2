import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createLogger } from '@djc/core';
import { createHandlerRunner, type HandlerRunner } from './index.js';

// A stray error (a promise a handler did not await that rejects, a throw in
// one of its callbacks) belongs to the attempt whose code started it: it
// fails that attempt while it runs or settles, and is logged against it
// afterwards; the attempt running on the same thread then is not touched.

let tmp: ReturnType<typeof tempDir>;
let runner: HandlerRunner;

// (What the worker logs about a stray error of an ended attempt is checked end to end: cli/test/stray-errors.test.ts.)
beforeAll(() => {
  tmp = tempDir();
  // One thread: the next attempt runs where the stray error arises.
  runner = createHandlerRunner({ slots: 1, log: createLogger({ name: 'stray-errors-test', level: 'silent' }) });
});

afterAll(async () => {
  await runner.close();
  tmp.cleanup();
});

const batch = (taskIndex: number) => ({ ...writeBatch(tmp.dir, `in-${taskIndex}.jsonl`, '{"a":1}\n', 1), index: taskIndex });
const run = (name: string, taskId: number) => runner.run(spec(tmp.dir, batch(taskId), { module: fixture('stray.ts', name), taskId }));

describe('stray errors of module handlers', () => {
  it.each(['rejectsLater', 'throwsLater'])('%s: an error that arises while the next batch runs does not touch that batch', async (name) => {
    const buggy = await run(name, 10);
    expect(buggy).toMatchObject({ ok: true, records: 1 });
    const innocent = await run('slowInnocent', 11);
    expect(innocent).toMatchObject({ ok: true, records: 1 });
    expect(innocent.ok && innocent.log).not.toMatch(/late/);
    // The thread still works (or was replaced after the escaped exception).
    expect(await run('rejectsWhileRunning', 12)).toMatchObject({ ok: false });
  });

  it('an error that surfaces within the settle window, or while the handler runs, fails that attempt', async () => {
    for (const [name, text] of [['rejectsJustAfter', 'Error: just after'], ['rejectsWhileRunning', 'TypeError: not awaited']] as const) {
      const r = await run(name, 20);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.failure).toBe('error');
      expect(r.error).toMatch(new RegExp(`^handler left a stray error: a promise it did not await rejected: ${text} \\(at stray\\.ts:\\d+:\\d+\\); await every promise the handler starts$`));
      expect(r.log).toContain(text);
    }
    expect(await run('slowInnocent', 21)).toMatchObject({ ok: true });
  });
});
