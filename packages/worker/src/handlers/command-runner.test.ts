import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, output, spec, tempDir, writeBatch } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult, type HandlerRunner } from './index.js';
import { createCommandRunner } from './command-runner.js';

const CSV = { delimiter: ',', header: true, quote: '"' };
const TEXT = { format: 'text' as const, csv: CSV };

let tmp: ReturnType<typeof tempDir>;
let runner: HandlerRunner;

beforeAll(() => {
  tmp = tempDir();
  runner = createHandlerRunner({ slots: 2 });
});

afterAll(async () => {
  await runner.close();
  tmp.cleanup();
});

function words() {
  return writeBatch(tmp.dir, 'words.txt', 'alpha\nbeta\ngamma\n', 3);
}

function runCommand(command: string, over: Parameters<typeof spec>[2] = {}): Promise<AttemptResult> {
  return runner.run(spec(tmp.dir, words(), { command, input: TEXT, ...over }));
}


function failure(r: AttemptResult) {
  if (r.ok) throw new Error(`expected a failure, got output ${JSON.stringify(output(r))}`);
  return r;
}


function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

describe('command handlers: a batch split by bytes has no count until it runs', () => {
  const uncounted = (name: string, text: string, extra = {}) => writeBatch(tmp.dir, name, text, 0, { records: null, firstRecord: null, ...extra });
  const JSONL = { format: 'jsonl' as const, csv: CSV };

  it('counts the records streamed to stdin as the reader would (blank jsonl lines are not records); DJC_BATCH_RECORDS is empty', async () => {
    const text = '{"a":1}\n\n  \r\n{"a":2}\r\n{"a":3}';
    const r = await runner.run(spec(tmp.dir, uncounted('u.jsonl', text), { command: 'printf "[%s]" "$DJC_BATCH_RECORDS"; cat', input: JSONL }));
    expect(output(r)).toBe(`[]${text}`);
    expect(r).toMatchObject({ ok: true, records: 3 });
  });

  it('io: file counts what goes to $DJC_INPUT: CSV rows, quote-aware, the header not counted', async () => {
    const text = 'h1,h2\nskipped,row\n1,"a\nb"\n\n2,c\n';
    const start = 'h1,h2\nskipped,row\n'.length;
    const batch = uncounted('u.csv', text, { start, headerEnd: 'h1,h2\n'.length });
    const r = await runner.run(spec(tmp.dir, batch, { command: 'cp "$DJC_INPUT" "$DJC_OUTPUT"', io: 'file', input: { format: 'csv', csv: CSV } }));
    expect(output(r)).toBe('h1,h2\n1,"a\nb"\n\n2,c\n');
    expect(r).toMatchObject({ ok: true, records: 2 });
  });

  it('a command that does not read all its stdin: the batch is read again to count it', async () => {
    const big = uncounted('ubig.txt', 'x'.repeat(1023).concat('\n').repeat(4096));
    const r = await runner.run(spec(tmp.dir, big, { command: 'echo done', input: TEXT }));
    expect(output(r)).toBe('done\n');
    expect(r).toMatchObject({ ok: true, records: 4096 });
  });

  it('csv.multiline false and a quoted line break: the attempt fails, not retryably, naming the byte offset', async () => {
    const batch = uncounted('ml.csv', 'h\n"a\nb"\n', { start: 2, headerEnd: 2 });
    const r = failure(await runner.run(spec(tmp.dir, batch, { command: 'cat', input: { format: 'csv', csv: { ...CSV, multiline: false } } })));
    expect(r).toMatchObject({ failure: 'error', retryable: false });
    expect(r.error).toMatch(/ml\.csv: a quoted field holds a line break \(.*at the line break at byte offset 4\), but input\.csv\.multiline is false/);
  });
});

describe('command handlers: io', () => {
  it('pipes the batch to stdin; a small stdout comes back in memory, with no scratch directory made', async () => {
    const s = spec(tmp.dir, words(), { command: 'tr a-z A-Z', input: TEXT });
    rmSync(s.tmpDir, { recursive: true });
    const r = await runner.run(s);
    expect(r).toMatchObject({ ok: true, kind: 'raw', records: 3, output: { type: 'buffer' } });
    expect(output(r)).toBe('ALPHA\nBETA\nGAMMA\n');
    expect(existsSync(s.tmpDir)).toBe(false);
  });

  it('streams a stdout larger than an inline output to a file in the scratch directory, which it creates', async () => {
    const s = spec(tmp.dir, words(), { command: 'cat; seq 1 5000', input: TEXT });
    rmSync(s.tmpDir, { recursive: true });
    const r = await runner.run(s);
    expect(r).toMatchObject({ ok: true, records: 3, output: { type: 'file', path: join(s.tmpDir, 'output') } });
    const seq = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
    expect(output(r)).toBe(`alpha\nbeta\ngamma\n${seq}`);
  });

  it('says when it made nothing in the scratch directory (a small stdout), and not when it did (a spill, io: file, dead letters)', async () => {
    const unused = async (over: Parameters<typeof spec>[2], batch = words()) => {
      const s = spec(tmp.dir, batch, over);
      rmSync(s.tmpDir, { recursive: true });
      const r = await runner.run(s);
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
      expect(existsSync(s.tmpDir)).toBe(!(r.ok && r.scratchUnused));
      return r.ok && r.scratchUnused === true;
    };
    expect(await unused({ command: 'tr a-z A-Z', input: TEXT })).toBe(true);
    expect(await unused({ command: 'cat; seq 1 5000', input: TEXT })).toBe(false);
    expect(await unused({ command: 'cp "$DJC_INPUT" "$DJC_OUTPUT"', io: 'file', input: TEXT })).toBe(false);
    const bad = writeBatch(tmp.dir, 'bad-scratch.jsonl', '{"a":1}\nnot json\n', 2);
    expect(await unused({ command: 'cat', input: { ...TEXT, format: 'jsonl', onBadRecord: 'dead_letter' } }, bad)).toBe(false);
  });

  it('sends the CSV header with a batch from the middle of the file', async () => {
    const text = 'name,n\nx,1\ny,2\nz,3\n';
    const headerEnd = 'name,n\n'.length;
    const start = headerEnd + 'x,1\n'.length;
    const batch = writeBatch(tmp.dir, 'rows.csv', text, 2, { index: 1, start, firstRecord: 1, headerEnd });
    const r = await runner.run(spec(tmp.dir, batch, { command: 'cat', input: { format: 'csv', csv: CSV } }));
    expect(output(r)).toBe('name,n\ny,2\nz,3\n');
  });

  it('io: file passes the batch in $DJC_INPUT and takes $DJC_OUTPUT; stdout goes to the log', async () => {
    const r = await runCommand('echo copying; cp "$DJC_INPUT" "$DJC_OUTPUT"', { io: 'file' });
    expect(output(r)).toBe('alpha\nbeta\ngamma\n');
    expect(r.log).toContain('copying');
  });

  it('io: file creates the scratch directory for $DJC_INPUT and $DJC_OUTPUT when it does not exist yet', async () => {
    const s = spec(tmp.dir, words(), { command: 'cp "$DJC_INPUT" "$DJC_OUTPUT"', io: 'file', input: TEXT });
    rmSync(s.tmpDir, { recursive: true });
    expect(output(await runner.run(s))).toBe('alpha\nbeta\ngamma\n');
  });

  it('on_bad_record dead_letter: the dead letters go to the scratch directory, created when it does not exist yet', async () => {
    const batch = writeBatch(tmp.dir, 'bad.jsonl', '{"a":1}\nnot json\n{"a":2}\n', 3);
    const s = spec(tmp.dir, batch, { command: 'cat', input: { ...TEXT, format: 'jsonl', onBadRecord: 'dead_letter' } });
    rmSync(s.tmpDir, { recursive: true });
    const r = await runner.run(s);
    expect(r).toMatchObject({ ok: true, records: 2, bad: 1, deadLetters: { type: 'file' } });
    expect(output(r)).toBe('{"a":1}\n{"a":2}\n');
  });

  it('io: file with no $DJC_OUTPUT written is empty output', async () => {
    const r = await runCommand('wc -l < "$DJC_INPUT" >&2', { io: 'file' });
    expect(output(r)).toBe('');
    expect(r.log.trim()).toBe('3');
  });

  it('sets DJC_* and handler.env variables, and runs in baseDir', async () => {
    const r = await runCommand('echo "$DJC_JOB_ID $DJC_TASK_ID $DJC_ATTEMPT $DJC_BATCH_RECORDS $GREETING $(pwd)"', {
      jobId: 'j-9', attempt: 2, env: { GREETING: 'hello' }, batch: { ...words(), index: 5 }, taskId: 5,
    });
    expect(output(r)).toBe(`j-9 5 2 3 hello ${tmp.dir}\n`);
  });

  it('commands get the environment the worker had when its runner was made (process.env is not copied per attempt), handler.env over it', async () => {
    const saved = { ...process.env };
    process.env.DJC_TEST_BEFORE = 'made';
    const own = createHandlerRunner({ slots: 1 });
    try {
      process.env.DJC_TEST_BEFORE = 'changed';
      process.env.DJC_TEST_AFTER = 'later';
      const r = await own.run(spec(tmp.dir, words(), { command: 'echo "$DJC_TEST_BEFORE-$DJC_TEST_AFTER-$GREETING"', input: TEXT, env: { GREETING: 'hi' } }));
      expect(output(r)).toBe('made--hi\n');
    } finally {
      delete process.env.DJC_TEST_BEFORE;
      delete process.env.DJC_TEST_AFTER;
      Object.assign(process.env, saved);
      await own.close();
    }
  });

  it('a command that does not read stdin still succeeds (EPIPE is not a failure)', async () => {
    const big = writeBatch(tmp.dir, 'big.txt', 'x'.repeat(1023).concat('\n').repeat(4096), 4096);
    const r = await runner.run(spec(tmp.dir, big, { command: 'echo done', input: TEXT }));
    expect(output(r)).toBe('done\n');
  });

  it('caps a long stderr at 1 MiB, keeping its head and tail', async () => {
    const r = await runCommand(`echo first >&2; yes 'noise line' | head -n 300000 >&2; echo last >&2`);
    expect(r.ok).toBe(true);
    expect(r.log.length).toBeLessThan(1024 * 1024 + 100);
    expect(r.log).toMatch(/^first\nnoise line\n/);
    expect(r.log).toMatch(/\n… \d+ bytes omitted …\nnoise line\n/);
    expect(r.log).toMatch(/noise line\nlast\n$/);
  });

  it('stderr goes to the attempt log', async () => {
    const r = await runCommand('echo "warming up" >&2; cat');
    expect(output(r)).toBe('alpha\nbeta\ngamma\n');
    expect(r.log).toBe('warming up\n');
  });
});

describe('command handlers: failures', () => {
  it('a non-zero exit is an exit_code failure with the last stderr lines', async () => {
    const r = failure(await runCommand('echo one >&2; echo "model not found" >&2; exit 3'));
    expect(r).toMatchObject({ failure: 'exit_code', exitCode: 3, retryable: true });
    expect(r.error).toBe('command exited with code 3: one | model not found');
    expect(r.log).toContain('model not found');
  });

  it('a non-zero exit without stderr says so', async () => {
    const r = failure(await runCommand('exit 4'));
    expect(r.error).toBe('command exited with code 4: (no stderr)');
  });

  it('a command that is not found exits 127 with the shell message', async () => {
    const r = failure(await runCommand('no-such-command-djc --flag'));
    expect(r).toMatchObject({ failure: 'exit_code', exitCode: 127 });
    expect(r.error).toMatch(/^command exited with code 127: .*no-such-command-djc.*not found/);
  });

  it('a command killed by a signal is a signal failure', async () => {
    const r = failure(await runCommand('kill -9 $$'));
    expect(r).toMatchObject({ failure: 'signal', exitCode: null, error: 'command killed by SIGKILL' });
  });

  it.each(['stdin', 'file'] as const)('a missing input file fails without running the command (io: %s)', async (io) => {
    const batch = { ...words(), file: join(tmp.dir, 'missing.txt') };
    const marker = join(tmp.dir, `ran-${io}`);
    const r = failure(await runner.run(spec(tmp.dir, batch, { command: `touch ${marker}; cat`, input: TEXT, io })));
    expect(r).toMatchObject({ failure: 'error', retryable: false });
    expect(r.error).toMatch(new RegExp(`^${batch.file}: .*no such file`, 'i'));
    expect(existsSync(marker)).toBe(false);
  });

  it('a missing working directory is reported', async () => {
    const r = failure(await runCommand('true', { baseDir: join(tmp.dir, 'nope') }));
    expect(r.error).toBe(`cannot run the command: working directory ${join(tmp.dir, 'nope')} does not exist`);
  });
});

describe('command handlers: stopping', () => {
  it('a timeout kills the whole process group', async () => {
    const pidFile = join(tmp.dir, 'sleep.pid');
    const started = Date.now();
    const r = failure(await runCommand('sleep 30 & echo $! > "$PID_FILE"; wait', { timeoutMs: 500, env: { PID_FILE: pidFile } }));
    expect(r).toMatchObject({ failure: 'timeout', retryable: true, error: 'timed out after 500ms (compute.timeout)' });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(alive(readPid(pidFile))).toBe(false);
  });

  it('a process that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const pidFile = join(tmp.dir, 'stubborn.pid');
    const started = Date.now();
    // 1 s: time for the shell to set its trap on a busy machine before the stop's SIGTERM.
    const r = failure(await runCommand(`trap '' TERM; sleep 30 & echo $! > "$PID_FILE"; wait`, { timeoutMs: 1000, env: { PID_FILE: pidFile } }));
    expect(r.failure).toBe('timeout');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(7000);
    expect(alive(readPid(pidFile))).toBe(false);
  });

  it('sleep 30 with a 500ms timeout ends as a timeout', async () => {
    const started = Date.now();
    const r = failure(await runCommand('sleep 30', { timeoutMs: 500 }));
    expect(r.failure).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('an abort kills the command: a signal failure with the reason', async () => {
    const controller = new AbortController();
    const pidFile = join(tmp.dir, 'abort.pid');
    setTimeout(() => controller.abort('job cancelled'), 300);
    const r = failure(await runCommand('sleep 30 & echo $! > "$PID_FILE"; wait', { signal: controller.signal, env: { PID_FILE: pidFile } }));
    expect(r).toMatchObject({ failure: 'signal', exitCode: null, error: 'attempt aborted: job cancelled' });
    expect(alive(readPid(pidFile))).toBe(false);
  });

  it('processes left in the background are killed when the command exits', async () => {
    const pidFile = join(tmp.dir, 'bg.pid');
    const r = await runCommand('sleep 30 >/dev/null 2>&1 & echo $! > "$PID_FILE"; echo ok', { env: { PID_FILE: pidFile } });
    expect(output(r)).toBe('ok\n');
    const pid = readPid(pidFile);
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((res) => setTimeout(res, 25));
    expect(alive(pid)).toBe(false);
  });

  it('runs attempts side by side', async () => {
    const results = await Promise.all([1, 2, 3].map((i) => runCommand(`echo ${i}`)));
    expect(results.map(output)).toEqual(['1\n', '2\n', '3\n']);
  });
});

describe("command handlers through Node's spawn (no perl spawner)", () => {
  it('a small batch read ahead reaches stdin whole, counted once; a larger one streams', async () => {
    const node = createCommandRunner({ native: null, perl: null });
    try {
      const small = await node.run(spec(tmp.dir, words(), { command: 'cat', input: TEXT }), new AbortController().signal);
      expect(output(small)).toBe('alpha\nbeta\ngamma\n');
      expect(small).toMatchObject({ ok: true, records: 3 });
      const text = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n') + '\n';
      const large = await node.run(spec(tmp.dir, writeBatch(tmp.dir, 'large.txt', text, 3000), { command: 'wc -l', input: TEXT }), new AbortController().signal);
      expect(output(large).trim()).toBe('3000');
      expect(large).toMatchObject({ ok: true, records: 3000 });
    } finally {
      await node.close();
    }
  });
});
