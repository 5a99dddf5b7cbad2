/**
 * TypeScript handlers import their types from the package users install:
 * `import type { HandlerContext } from 'djc'`, from a file outside the
 * repository (linked as `npm link djc` does), checked by tsc and run by djc.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function tsc(file: string): Promise<{ code: number; out: string }> {
  const args = [TSC, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), file];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: box.dir }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
  });
}

const HANDLER = `import type { Handler, HandlerContext, Reducer, ReducerContext } from 'djc';

export async function tag(records: { n: number }[], ctx: HandlerContext) {
  ctx.log.info('batch', ctx.batch.index, 'of job', ctx.jobId);
  ctx.progress(records.length);
  if (ctx.signal.aborted) return [];
  return records.map((r) => ({ n: r.n, task: ctx.taskId, attempt: ctx.attempt, first: ctx.batch.firstRecord }));
}

export const typed: Handler<{ n: number }, number> = (records) => records.length;

export const count: Reducer<{ n: number }[], { total: number }> = async (outputs, ctx: ReducerContext) => {
  let total = 0;
  for await (const batch of outputs) total += batch.length;
  ctx.log.info('total', total);
  return { total };
};
`;

describe('HandlerContext from the djc package', () => {
  it('a handler outside the repo type-checks against it, a wrong use does not, and the handler runs', async () => {
    // What `npm link djc` leaves in a user's project.
    mkdirSync(join(box.dir, 'node_modules'));
    symlinkSync(join(ROOT, 'packages/cli'), join(box.dir, 'node_modules/djc'));
    writeFileSync(join(box.dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(join(box.dir, 'handler.ts'), HANDLER);
    const ok = await tsc('handler.ts');
    expect(ok.out).toBe('');
    expect(ok.code).toBe(0);

    writeFileSync(join(box.dir, 'wrong.ts'), `import type { HandlerContext } from 'djc';
export function bad(records: unknown[], ctx: HandlerContext): string { return ctx.taskId + ctx.nosuch; }
`);
    const wrong = await tsc('wrong.ts');
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/wrong\.ts\(2,\d+\): error TS2339: Property 'nosuch' does not exist on type 'HandlerContext'/);

    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n{"n":3}\n');
    writeFileSync(join(box.dir, 'job.yaml'), `name: typed
input: { path: in.jsonl, batch: { records: 2 } }
handler: { module: ./handler.ts#tag }
compute: { workers: 1 }
output: { path: out.jsonl }
`);
    const r = await box.run(['run', 'job.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([
      { n: 1, task: 0, attempt: 1, first: 0 }, { n: 2, task: 0, attempt: 1, first: 0 }, { n: 3, task: 1, attempt: 1, first: 2 },
    ]);
  });
});

describe('examples/wordcount/count.ts', () => {
  it('type-checks with the HandlerContext it imports from djc', async () => {
    const r = await tsc(join(ROOT, 'examples/wordcount/count.ts'));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
