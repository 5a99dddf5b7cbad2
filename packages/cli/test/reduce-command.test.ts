/**
 * output.reduce_command: a shell command gets the batch outputs on stdin in
 * batch order and its stdout is the job result; a failing one fails the job
 * with its stderr; it is exclusive with output.reduce.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const run = (args: string[]) => box.run(args);

/** 50 records {"n":0..49} in batches of 5, handled by `cat`; `output` is the YAML output mapping. */
function job(output: string): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 50 }, (_, i) => `{"n":${i}}\n`).join(''));
  const file = join(box.dir, 'job.yaml');
  writeFileSync(file, `name: reducecmd
input: { path: in.jsonl, batch: { records: 5 } }
handler: { command: cat }
compute: { workers: 2 }
output: ${output}
`);
  return file;
}

describe('output.reduce_command', () => {
  it('a python3 reducer reads every batch output in batch order on stdin; its stdout is the result', async () => {
    writeFileSync(join(box.dir, 'fold.py'), `import json, os, sys
ns = [json.loads(line)["n"] for line in sys.stdin if line.strip()]
print(json.dumps({"job": os.environ["DJC_JOB_ID"], "in_order": ns == sorted(ns), "count": len(ns), "sum": sum(ns)}))
`);
    const r = await run(['run', job('{ path: out/result.json, reduce_command: python3 fold.py }'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { jobId: string; status: string; output: { path: string } };
    expect(s.output.path).toBe(join(box.dir, 'out/result.json'));
    expect(JSON.parse(readFileSync(s.output.path, 'utf8'))).toEqual({ job: s.jobId, in_order: true, count: 50, sum: 1225 });
  });

  it('an sh reducer without output.path: djc results prints what it wrote; one that stops reading early is fine', async () => {
    const r = await run(['run', job('{ reduce_command: "head -n 2; echo done" }'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    expect((await run(['results', jobId])).stdout).toBe('{"n":0}\n{"n":1}\ndone\n');
  });

  it('a non-zero exit fails the job with the end of its stderr, and writes no result', async () => {
    const file = job(`{ path: out.txt, reduce_command: "cat > /dev/null; echo 'step 1 ok' >&2; echo 'fold: bad total' >&2; exit 5" }`);
    const r = await run(['run', file, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.stdout) as { status: string; error: string; tasks: { succeeded: number } };
    expect(s).toMatchObject({ status: 'FAILED', tasks: { succeeded: 10 } });
    expect(s.error).toBe('aggregating the outputs failed: output.reduce_command exited with code 5: step 1 ok | fold: bad total');
    expect(existsSync(join(box.dir, 'out.txt'))).toBe(false);
  });

  it('is exclusive with output.reduce: validate names both paths, exit 2', async () => {
    writeFileSync(join(box.dir, 'r.mjs'), 'export async function merge() { return 1; }\n');
    const file = job('{ reduce: ./r.mjs#merge, reduce_command: "python3 fold.py" }');
    const v = await run(['validate', file]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/job\.yaml:\d+:\d+: output\.reduce_command: output\.reduce and output\.reduce_command are exclusive/);
  });
});
