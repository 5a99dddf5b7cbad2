/**
 * input.csv.relax_quotes end to end: a quote inside an unquoted field is
 * data (as csv-parse's relax_quotes and Python's csv module read it), for
 * module and command handlers, split by records and by bytes. Without it,
 * such a row is a bad record whose message names the option.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

// Inches written as 5"10, a quoted field with a delimiter and doubled quotes, a quoted line break.
const CSV = 'id,height,note\n1,5"10,"tall, very"\n2,6",plain"quote\n3,"4""11","two\nlines"\n4,x,"say ""hi"""\n';
const ROWS = [
  { id: '1', height: '5"10', note: 'tall, very' },
  { id: '2', height: '6"', note: 'plain"quote' },
  { id: '3', height: '4"11', note: 'two\nlines' },
  { id: '4', height: 'x', note: 'say "hi"' },
];

function writeJob(handler: string, extra = '', batch = '{ records: 2 }'): void {
  writeFileSync(join(box.dir, 'in.csv'), CSV);
  writeFileSync(join(box.dir, 'rows.mjs'), 'export const rows = (records) => records;\n');
  writeFileSync(join(box.dir, 'job.yaml'), [
    'name: quotes', `input: { path: in.csv, format: csv, batch: ${batch}${extra} }`, `handler: { ${handler} }`,
    'compute: { workers: 2 }', 'retry: { max_attempts: 1 }', 'output: { path: out.txt }', '',
  ].join('\n'));
}

describe('input.csv.relax_quotes', () => {
  it.each([['records', '{ records: 2 }'], ['bytes', '{ bytes: 20 }']])('module handler, split by %s: quotes inside unquoted fields are data', async (_how, batch) => {
    writeJob('module: ./rows.mjs#rows', ', csv: { relax_quotes: true }', batch);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', records: { processed: 4, bad: 0 } });
    expect(readJsonl(join(box.dir, 'out.txt'))).toEqual(ROWS);
  });

  it('command handler: gets each batch as written, the header first, every row counted', async () => {
    writeJob('command: "cat"', ', csv: { relax_quotes: true }');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', records: { processed: 4, bad: 0 } });
    const header = 'id,height,note\n';
    const cut = CSV.indexOf('3,"4');
    expect(readFileSync(join(box.dir, 'out.txt'), 'utf8')).toBe(`${header}${CSV.slice(header.length, cut)}${header}${CSV.slice(cut)}`);
  });

  it('without it, a row with quotes inside an unquoted field is a bad record whose message names the option', async () => {
    writeJob('module: ./rows.mjs#rows');
    writeFileSync(join(box.dir, 'in.csv'), 'id,height\n1,"5"\n2,5"10"\n');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const jobId = (JSON.parse(r.stdout) as { jobId: string }).jobId;
    const tasks = JSON.parse((await run(['tasks', jobId, '--status', 'failed', '--json'])).stdout) as { tasks: Array<{ error: string }> };
    expect(tasks.tasks[0]?.error).toContain('in.csv:3: quote inside unquoted field 2 (quote the whole field and double inner quotes, or set input.csv.relax_quotes: true to read such quotes as data)');
  });
});
