/**
 * Benchmark 8: validating a 1,000-point sweep (issue 10). A pipeline of a
 * module stage and a command stage with a 10 × 100 matrix reading it:
 * `djc validate sweep.yaml --json` end to end (Node start, the CLI, the
 * handler checks: the module loaded in a child process, the command looked
 * up), and loadPipelineFile in-process without the handler checks (parse,
 * extends, expansion, 1,000 configs substituted and validated). Median of
 * BENCH_REPS runs each, interleaved. Aim: under 2 s (with the submit, which
 * comes with the pipeline runtime).
 *
 * Env: BENCH_REPS (default 3), BENCH_SWEEP_POINTS (default 1000: 10 × N/10).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, median, note, ROOT, round, run, tempDir } from './lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const POINTS = Number(process.env.BENCH_SWEEP_POINTS ?? 1000);

function pipelineYaml(points) {
  const b = Math.max(1, Math.round(points / 10));
  const axis = (n) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  return [
    'name: sweep',
    'parameters: { epochs: 3 }',
    'defaults: { compute: { workers: 2 }, retry: { max_attempts: 2 } }',
    'stages:',
    '  prep:',
    '    input: { path: data.jsonl, batch: { records: 100 } }',
    '    handler: { module: ./prep.mjs#prep }',
    '  train:',
    '    needs: [prep]',
    '    input: { from: prep }',
    `    matrix: { lr: ${axis(10)}, seed: ${axis(b)}, max_points: ${Math.max(1000, 10 * b)}, max_parallel: 8 }`,
    '    handler: { command: "sh -c \'echo lr=${matrix.lr} seed=${matrix.seed} epochs=${params.epochs}\'" }',
    '',
  ].join('\n');
}

main('sweep-validate', async () => {
  const tmp = await tempDir('sweep-validate');
  try {
    const file = join(tmp.dir, 'sweep.yaml');
    await writeFile(file, pipelineYaml(POINTS));
    await writeFile(join(tmp.dir, 'prep.mjs'), 'export const prep = (records) => records;\n');
    await writeFile(join(tmp.dir, 'data.jsonl'), '{"x":1}\n');
    const { loadPipelineFile } = await import(pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href);
    const cli = [];
    const inProcess = [];
    let runs = 0;
    for (let i = 0; i < REPS; i++) {
      const r = await run(process.execPath, [DJC_BIN, 'validate', file, '--json'], { cwd: tmp.dir, env: { DJC_HOME: join(tmp.dir, 'home') } });
      const doc = JSON.parse(r.stdout);
      if (!doc.valid) throw new Error(`the sweep is invalid: ${JSON.stringify(doc.issues.slice(0, 3))}`);
      runs = doc.pipeline.stages.reduce((n, s) => n + s.runs, 0);
      cli.push(r.ms);
      const t0 = performance.now();
      const loaded = await loadPipelineFile(file);
      inProcess.push(performance.now() - t0);
      if (loaded.spec.runs.length !== runs) throw new Error(`in-process: ${loaded.spec.runs.length} runs, the CLI said ${runs}`);
      note(`rep ${i + 1}: djc validate ${round(r.ms, 0)} ms, loadPipelineFile ${round(inProcess.at(-1), 0)} ms`);
    }
    return {
      points: runs - 1,
      runs,
      cli: { wallMs: round(median(cli), 1), wallMsAll: cli.map((x) => round(x, 1)) },
      inProcess: { wallMs: round(median(inProcess), 1), wallMsAll: inProcess.map((x) => round(x, 1)) },
      aimMs: 2000,
    };
  } finally {
    await tmp.remove();
  }
});
