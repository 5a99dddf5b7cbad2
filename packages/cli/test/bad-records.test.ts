import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest } from './helpers.js';

// input.on_bad_record end to end, for a module and a command handler:
// fail stops the task with file, line, offset and snippet; skip leaves bad
// records out and counts them; dead_letter also keeps them, with their
// position, for `djc results --bad-records`. Nothing is dropped silently:
// processed + bad = every record of the input.

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

interface Status {
  jobId: string; status: string; error: string | null;
  tasks: { total: number; succeeded: number; failed: number };
  records: { total: number; processed: number; bad: number; totalKnown: boolean };
}

const GOOD = 60;
/** 60 good records, and 4 bad ones at known places (lines 8, 23, 24, 61 of the file). */
function writeInput(): { bad: Array<{ line: number; text: string }> } {
  const lines: string[] = [];
  const bad: Array<{ line: number; text: string }> = [];
  let n = 0;
  const badAt = new Map([[7, '{"id": 7,'], [22, 'not json'], [23, '{"id":"ü"'], [60, '[1, 2']]);
  for (let i = 0; lines.length < GOOD + badAt.size; i++) {
    const b = badAt.get(lines.length);
    if (b !== undefined) {
      bad.push({ line: lines.length + 1, text: b });
      lines.push(b);
    } else {
      lines.push(JSON.stringify({ id: n++, word: `w${i}` }));
    }
  }
  writeFileSync(join(box.dir, 'in.jsonl'), `${lines.join('\n')}\n`);
  return { bad };
}

function writeJob(policy: string, handler: 'module' | 'command', extra = ''): void {
  writeFileSync(join(box.dir, 'ids.mjs'), 'export const ids = (records) => records.map((r) => r.id);\n');
  const h = handler === 'module' ? 'module: ./ids.mjs#ids' : 'command: cat';
  writeFileSync(join(box.dir, 'job.yaml'), [
    'name: bad-records',
    'input:',
    '  path: in.jsonl',
    '  format: jsonl',
    '  batch: { records: 10 }',
    `  on_bad_record: ${policy}`,
    extra,
    'handler:',
    `  ${h}`,
    'compute: { workers: 2 }',
    'retry: { max_attempts: 2, backoff: { initial: 100ms } }',
    'fail_fast: false',
    'output: { path: out.jsonl }',
    '',
  ].join('\n'));
}

/** The ids in the result, whatever the handler (module: ids; command: the records themselves). */
function resultIds(): number[] {
  return readJsonl(join(box.dir, 'out.jsonl')).map((v) => (typeof v === 'number' ? v : (v as { id: number }).id));
}

describe.each(['module', 'command'] as const)('on_bad_record, %s handler', (handler) => {
  it('fail: the task with a bad record fails at once, naming the file, line, byte offset and the record', async () => {
    writeInput();
    writeJob('fail', handler);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const status = JSON.parse(r.stdout) as Status;
    expect(status.status).toBe('FAILED');
    const tasks = JSON.parse((await run(['tasks', status.jobId, '--status', 'failed', '--json'])).stdout) as {
      tasks: Array<{ taskId: number; attempts: number; error: string }>;
    };
    // Records 7, 22+23 and 60 (0-based lines) are in batches 0, 2 and 6: each fails on its first bad line, without a retry.
    expect(tasks.tasks.map((t) => t.taskId)).toEqual([0, 2, 6]);
    const file = join(box.dir, 'in.jsonl');
    expect(tasks.tasks[1]?.attempts).toBe(1);
    expect(tasks.tasks[1]?.error).toMatch(new RegExp(`^attempt 1: ${file.replace(/[.]/g, '\\.')}:23: invalid JSON \\(.*\\) \\(batch 2, record 2 counting from 0, byte offset \\d+\\): "not json"`));
    expect(tasks.tasks[1]?.error).toContain('set input.on_bad_record to skip or dead_letter');
  });

  it('skip: bad records are left out and counted; the result has every good record exactly once', async () => {
    writeInput();
    writeJob('skip', handler);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as Status;
    expect(status).toMatchObject({ status: 'SUCCEEDED', records: { total: GOOD + 4, processed: GOOD, bad: 4, totalKnown: true } });
    expect(resultIds()).toEqual([...Array(GOOD).keys()]);
    const human = await run(['status', status.jobId]);
    expect(human.stdout).toMatch(/records +60 of 64 processed \(100%\), 4 bad \(skipped\)/);
    const dl = await run(['results', status.jobId, '--bad-records']);
    expect(dl.code).toBe(4);
    expect(dl.stderr).toContain('keeps no bad records: its input.on_bad_record is skip (4 bad records were skipped and not kept)');
    const tasks = JSON.parse((await run(['tasks', status.jobId, '--json'])).stdout) as { tasks: Array<{ taskId: number; records: number; bad: number }> };
    expect(tasks.tasks.filter((t) => t.bad > 0).map((t) => [t.taskId, t.records, t.bad])).toEqual([[0, 9, 1], [2, 8, 2], [6, 3, 1]]);
  });

  it('dead_letter: bad records are kept with their file, byte offset, batch and text, in input order', async () => {
    const { bad } = writeInput();
    // Split by bytes: record counts are known only once the tasks ran, bad ones included.
    writeJob('dead_letter', handler);
    const r = await run(['run', 'job.yaml', '--json', '--set', 'input.batch={"bytes":300}']);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as Status;
    expect(status).toMatchObject({ status: 'SUCCEEDED', records: { total: GOOD + 4, processed: GOOD, bad: 4, totalKnown: true } });
    expect(resultIds()).toEqual([...Array(GOOD).keys()]);
    const dl = await run(['results', status.jobId, '--bad-records']);
    expect(dl.code, dl.stderr).toBe(0);
    const letters = dl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { file: string; offset: number; batch: number; text: string; problem: string });
    const file = join(box.dir, 'in.jsonl');
    const content = readFileSync(file, 'utf8');
    expect(letters.map((d) => d.text)).toEqual(bad.map((b) => b.text));
    for (const [i, d] of letters.entries()) {
      expect(d.file).toBe(file);
      expect(d.problem).toMatch(/^invalid JSON/);
      // The offset is where the record's line starts.
      const line = content.split('\n').slice(0, (bad[i]?.line ?? 0) - 1).join('\n').length + 1;
      expect(Buffer.byteLength(content.slice(0, line))).toBe(d.offset);
    }
    const json = JSON.parse((await run(['results', status.jobId, '--bad-records', '--json'])).stdout) as { badRecords: { count: number; bytes: number } };
    expect(json.badRecords).toMatchObject({ count: 4, bytes: Buffer.byteLength(dl.stdout) });
    const human = await run(['status', status.jobId]);
    expect(human.stdout).toContain(`4 bad (dead letters: djc results ${status.jobId} --bad-records)`);
  });
});

describe('the fail message and the dead letter name a bad record the same way', () => {
  it.each(['module', 'command'] as const)('%s handler: the same bad line under fail and dead_letter: same batch, record and byte offset', async (handler) => {
    writeInput();
    writeJob('fail', handler);
    const failedRun = JSON.parse((await run(['run', 'job.yaml', '--json'])).stdout) as Status;
    const tasks = JSON.parse((await run(['tasks', failedRun.jobId, '--status', 'failed', '--json'])).stdout) as { tasks: Array<{ taskId: number; error: string }> };
    // Task 2 fails on its first bad line, line 23 ("not json").
    const m = /in\.jsonl:(\d+): .* \(batch (\d+), record (\d+) counting from 0, byte offset (\d+)\): "not json"/.exec(tasks.tasks[1]?.error ?? '');
    expect(m, tasks.tasks[1]?.error).not.toBeNull();
    const [, line, batch, record, offset] = (m as RegExpExecArray).map(Number);
    expect(line).toBe(23);
    writeJob('dead_letter', handler);
    const kept = JSON.parse((await run(['run', 'job.yaml', '--json'])).stdout) as Status;
    const dl = await run(['results', kept.jobId, '--bad-records']);
    const letters = dl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { batch: number; record: number; offset: number; text: string });
    expect(letters.find((d) => d.text === 'not json')).toMatchObject({ batch, record, offset });
  });
});

describe('invalid UTF-8', () => {
  // Lines 2 and 4 are not UTF-8 (a Latin-1 "é"; a cut 3-byte sequence); line 3 holds a real U+FFFD, which is fine.
  function writeLatin1(format: 'jsonl' | 'text'): Buffer {
    // A record whose text is `text` with raw `bytes` inserted at the end of it (inside the JSON string for jsonl).
    const rec = (text: string, bytes: number[] = []) => (format === 'jsonl'
      ? Buffer.concat([Buffer.from(`{"w":"${text}`), Buffer.from(bytes), Buffer.from('"}\n')])
      : Buffer.concat([Buffer.from(text), Buffer.from(bytes), Buffer.from('\n')]));
    const bytes = Buffer.concat([rec('ok'), rec('caf', [0xe9]), rec('\uFFFD fine'), rec('x', [0xe6, 0x97]), rec('end')]);
    writeFileSync(join(box.dir, `in.${format}`), bytes);
    return bytes;
  }

  function utf8Job(format: 'jsonl' | 'text', policy: string, handler: 'module' | 'command'): void {
    writeFileSync(join(box.dir, 'same.mjs'), 'export const same = (records) => records;\n');
    writeFileSync(join(box.dir, 'job.yaml'), [
      'name: utf8', `input: { path: in.${format}, format: ${format}, batch: { records: 2 }, on_bad_record: ${policy} }`,
      `handler: { ${handler === 'module' ? 'module: ./same.mjs#same' : 'command: cat'} }`,
      'compute: { workers: 2 }', 'retry: { max_attempts: 2, backoff: { initial: 100ms } }', 'fail_fast: false', 'output: { path: out.txt }', '',
    ].join('\n'));
  }

  describe.each(['module', 'command'] as const)('%s handler', (handler) => {
    it.each(['jsonl', 'text'] as const)('%s: fail names the line and byte; skip counts it; dead_letter keeps its bytes', async (format) => {
      const bytes = writeLatin1(format);
      utf8Job(format, 'fail', handler);
      const failed = await run(['run', 'job.yaml', '--json']);
      expect(failed.code, failed.stderr).toBe(1);
      const jobId = (JSON.parse(failed.stdout) as Status).jobId;
      const errors = (JSON.parse((await run(['tasks', jobId, '--status', 'failed', '--json'])).stdout) as { tasks: Array<{ taskId: number; error: string; attempts: number }> }).tasks;
      expect(errors.map((t) => [t.taskId, t.attempts])).toEqual([[0, 1], [1, 1]]);
      expect(errors[0]?.error).toMatch(new RegExp(`in\\.${format}:2: invalid UTF-8 \\(byte 0xe9 at byte offset ${bytes.indexOf(0xe9)}\\) \\(batch 0, record 1 counting from 0, byte offset \\d+\\)`));
      expect(errors[1]?.error).toMatch(new RegExp(`in\\.${format}:4: invalid UTF-8 \\(byte 0xe6 at byte offset ${bytes.indexOf(0xe6)}\\)`));

      utf8Job(format, 'skip', handler);
      const skipped = JSON.parse((await run(['run', 'job.yaml', '--json'])).stdout) as Status;
      expect(skipped).toMatchObject({ status: 'SUCCEEDED', records: { total: 5, processed: 3, bad: 2 } });
      const out = readFileSync(join(box.dir, 'out.txt'), 'utf8');
      expect(out).toContain('\uFFFD fine');
      expect(out).not.toContain('caf');

      utf8Job(format, 'dead_letter', handler);
      const kept = JSON.parse((await run(['run', 'job.yaml', '--json'])).stdout) as Status;
      expect(kept).toMatchObject({ status: 'SUCCEEDED', records: { processed: 3, bad: 2 } });
      const dl = await run(['results', kept.jobId, '--bad-records']);
      const letters = dl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { offset: number; batch: number; record: number; base64: string; problem: string });
      expect(letters.map((d) => [d.batch, d.record, d.problem.slice(0, 28)])).toEqual([[0, 1, 'invalid UTF-8 (byte 0xe9 at '], [1, 1, 'invalid UTF-8 (byte 0xe6 at ']]);
      for (const d of letters) {
        const raw = Buffer.from(d.base64, 'base64');
        expect(bytes.subarray(d.offset, d.offset + raw.length).equals(raw)).toBe(true);
      }
    });
  });
});

describe('an input changed after prepare', () => {
  it('is reported by the worker that reads it (same size, new mtime): the task fails without retries and says so', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"id":1}\n{"id":2}\n');
    writeFileSync(join(box.dir, 'slow.mjs'), [
      'import { writeFileSync, utimesSync } from "node:fs";',
      // The first task rewrites the input with the same size (as another program would) before the second task reads it.
      'export default async (records, ctx) => {',
      '  if (ctx.taskId === 0) { writeFileSync(new URL("./in.jsonl", import.meta.url), \'{"id":3}\\n{"id":4}\\n\'); utimesSync(new URL("./in.jsonl", import.meta.url), new Date(), new Date(Date.now() + 5000)); }',
      '  return records;',
      '};',
      '',
    ].join('\n'));
    writeFileSync(join(box.dir, 'job.yaml'), [
      'name: changed', 'input: { path: in.jsonl, format: jsonl, batch: { records: 1 } }', 'handler: { module: ./slow.mjs }',
      'compute: { workers: 1 }', 'output: { path: out.jsonl }', '',
    ].join('\n'));
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const status = JSON.parse(r.stdout) as Status;
    const tasks = JSON.parse((await run(['tasks', status.jobId, '--json'])).stdout) as { tasks: Array<{ taskId: number; status: string; attempts: number; error: string | null }> };
    expect(tasks.tasks[0]?.status).toBe('SUCCEEDED');
    expect(tasks.tasks[1]).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(tasks.tasks[1]?.error).toMatch(/in\.jsonl: the input changed after the job was prepared \(modified .*\)/);
  });
});
