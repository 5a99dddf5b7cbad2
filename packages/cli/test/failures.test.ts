/**
 * `djc failures`: failed tasks grouped by error signature (numbers, paths
 * and ids stripped), with counts, first tasks and the last stderr line
 * first; `djc status` shows the top groups.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

interface Report {
  jobId: string; failed: number; cancelled: number; grouped: number;
  groups: { signature: string; count: number; tasks: number[]; example: string; lastLine: string | null }[];
}

describe('djc failures', () => {
  it('groups 3 distinct errors over 20 failed tasks, largest first, with the last stderr line', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 24 }, (_, i) => `{"n":${i}}\n`).join(''));
    // 0-9: a bad row (path and row differ per task); 10-15: a refused connection; 16-19: out of memory; 20-23 succeed.
    writeFileSync(join(box.dir, 'job.yaml'), `name: grouped
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    n=$(tr -dc 0-9)
    if [ "$n" -lt 10 ]; then echo "reading /data/part-$n.csv" >&2; echo "ValueError: bad row $((n * 7)) in /data/part-$n.csv" >&2; exit 1; fi
    if [ "$n" -lt 16 ]; then echo "connection to 10.0.0.$n:5432 refused after 3 tries" >&2; exit 2; fi
    if [ "$n" -lt 20 ]; then echo "out of memory at 0x7f00$n" >&2; exit 137; fi
    echo "{\\"n\\":$n}"
compute: { workers: 2 }
retry: { max_attempts: 1 }
fail_fast: false
`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };

    const f = await run(['failures', jobId, '--json']);
    expect(f.code, f.stderr).toBe(0);
    const report = JSON.parse(f.stdout) as Report;
    expect(report).toMatchObject({ jobId, failed: 20, cancelled: 0, grouped: 20 });
    expect(report.groups.map((g) => [g.count, g.tasks])).toEqual([
      [10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
      [6, [10, 11, 12, 13, 14, 15]],
      [4, [16, 17, 18, 19]],
    ]);
    expect(report.groups.map((g) => g.lastLine)).toEqual([
      'ValueError: bad row 0 in /data/part-0.csv',
      'connection to 10.0.0.10:5432 refused after 3 tries',
      'out of memory at 0x7f0016',
    ]);
    expect(report.groups[0]?.example).toBe('attempt 1: command exited with code 1: reading /data/part-0.csv | ValueError: bad row 0 in /data/part-0.csv');
    expect(report.groups[0]?.signature).toBe('attempt <n>: command exited with code <n>: reading <path> | ValueError: bad row <n> in <path>');

    const human = await run(['failures', jobId]);
    expect(human.stdout).toContain('20 failed tasks, 3 distinct errors');
    const block = human.stdout.slice(human.stdout.indexOf('6 tasks: 10, 11, 12, 13, 14, 15'));
    // The last stderr line comes first, then the task's error.
    expect(block.split('\n').slice(0, 3)).toEqual([
      '6 tasks: 10, 11, 12, 13, 14, 15',
      '  last line  connection to 10.0.0.10:5432 refused after 3 tries',
      '  error      attempt 1: command exited with code 2: connection to 10.0.0.10:5432 refused after 3 tries',
    ]);

    const status = (await run(['status', jobId])).stdout.split('\n');
    const at = status.findIndex((l) => l.startsWith('failures '));
    expect(status.slice(at, at + 3)).toEqual([
      'failures 10 × attempt 1: command exited with code 1: reading /data/part-0.csv | ValueError: bad row 0 in /data/part-0.csv   (tasks 0, 1, 2, 3, 4, …)',
      '         6 × attempt 1: command exited with code 2: connection to 10.0.0.10:5432 refused after 3 tries   (tasks 10, 11, 12, 13, 14, …)',
      '         4 × attempt 1: command exited with code 137: out of memory at 0x7f0016   (tasks 16, 17, 18, 19)',
    ]);
  });

  it('a job without failures says so on stderr; an unknown job is exit 4', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: fine\ninput: { path: in.jsonl }\nhandler: { command: cat }\ncompute: { workers: 1 }\n');
    const r = await run(['run', 'job.yaml', '--json']);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const f = await run(['failures', jobId]);
    expect(f).toMatchObject({ code: 0, stdout: '' });
    expect(f.stderr).toContain(`${jobId} has no failed tasks`);
    expect(JSON.parse((await run(['failures', jobId, '--json'])).stdout)).toMatchObject({ failed: 0, groups: [] });
    expect((await run(['failures', 'nosuch'])).code).toBe(4);
  });
});
