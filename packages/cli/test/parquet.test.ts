import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corruptRowGroup, writeSampleParquet } from '../../core/src/testing/parquet-fixtures.js';
import { sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

interface Status { jobId: string; status: string; error: string | null; tasks: { total: number; succeeded: number; failed: number }; records: { total: number; processed: number; bad: number } }
interface Tasks { tasks: { taskId: number; status: string; attempts: number; records: number | null; error: string | null }[] }

/** 25 rows in row groups of 4 (7 row groups), split 2 row groups per batch: 4 tasks. */
function setup(handler: string): { file: string; expected: Record<string, unknown>[] } {
  const file = join(box.dir, 'data.parquet');
  const expected = writeSampleParquet(file, { rows: 25, rowGroupSize: 4, codec: 'GZIP' });
  writeFileSync(join(box.dir, 'job.yaml'), `name: pq
input: { path: data.parquet, format: parquet, batch: { row_groups: 2 } }
handler: ${handler}
compute: { workers: 2 }
retry: { max_attempts: 2, backoff: { initial: 10ms } }
fail_fast: false
output: { path: out.jsonl }
`);
  return { file, expected };
}

async function succeeded(): Promise<Status> {
  const r = await run(['run', 'job.yaml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout) as Status;
  expect(s).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 4, succeeded: 4 }, records: { total: 25, processed: 25, bad: 0 } });
  const status = JSON.parse((await run(['status', s.jobId, '--json'])).stdout) as Status;
  // Known at prepare (from the footers), unlike line formats split by bytes.
  expect(status.records).toMatchObject({ total: 25, processed: 25, bad: 0 });
  const tasks = JSON.parse((await run(['tasks', s.jobId, '--json'])).stdout) as Tasks;
  expect(tasks.tasks.map((t) => t.records)).toEqual([8, 8, 8, 1]);
  return s;
}

const output = () => readFileSync(join(box.dir, 'out.jsonl'), 'utf8');

describe('input.format: parquet', () => {
  it('a module handler gets each row as an object (nulls, nested columns, INT64 past 2^53 as strings)', async () => {
    writeFileSync(join(box.dir, 'h.mjs'), `export function handle(records, ctx) {
  return records.map((r) => ({ batch: ctx.batch.index, id: r.id, big: r.big, name: r.name, point: r.point, items: r.items, ts_us: r.ts_us, types: typeof r.id + '/' + typeof r.big }));
}\n`);
    const { expected } = setup('{ module: ./h.mjs#handle }');
    await succeeded();
    const lines = output().trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(expected.map((r, i) => ({
      batch: Math.floor(i / 8), id: r.id, big: r.big, name: r.name, point: r.point, items: r.items, ts_us: r.ts_us,
      types: `number/${r.big === null ? 'object' : typeof r.big}`,
    })));
    expect(lines.some((l) => typeof (l as { big: unknown }).big === 'string')).toBe(true);
  });

  it('a command handler reads the rows as JSON lines on stdin, and the row groups from its env', async () => {
    const { file, expected } = setup(`{ command: 'cat' }`);
    await succeeded();
    expect(output()).toBe(expected.map((r) => `${JSON.stringify(r)}\n`).join(''));

    setup(`{ command: 'echo "$DJC_PARQUET_ROW_GROUPS $DJC_INPUT_FILE $(wc -l)"' }`);
    await succeeded();
    expect(output()).toBe([`0,2 ${file} 8`, `2,2 ${file} 8`, `4,2 ${file} 8`, `6,1 ${file} 1`].map((l) => `${l}\n`).join(''));
  });

  it('an undecodable row group fails its task at once with the file and the row group; the others succeed', async () => {
    const { file } = setup(`{ command: 'cat' }`);
    corruptRowGroup(file, 2, 2); // the "name" column of row group 2, in batch 1
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s).toMatchObject({ status: 'FAILED', tasks: { total: 4, succeeded: 3, failed: 1 } });
    const message = `${file}: Parquet row group 2 cannot be decoded (rows 8-11 of the file, batch 1): `;
    expect(s.error).toContain(`task 1: attempt 1: ${message}`);
    const t = JSON.parse((await run(['tasks', s.jobId, '--status', 'failed', '--json'])).stdout) as Tasks;
    expect(t.tasks).toHaveLength(1);
    expect(t.tasks[0]).toMatchObject({ taskId: 1, attempts: 1 });
    expect(t.tasks[0]?.error).toContain(message);
  });

  it('a file that is not Parquet fails the run at prepare, naming the file', async () => {
    setup(`{ command: 'cat' }`);
    writeFileSync(join(box.dir, 'data.parquet'), '{"not":"parquet"}\n');
    const r = await run(['run', 'job.yaml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${join(box.dir, 'data.parquet')}: not a Parquet file (no PAR1 footer)`);
  });
});
