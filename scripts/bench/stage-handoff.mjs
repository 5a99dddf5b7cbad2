/**
 * Benchmark 9: pipelines at run time (issue 10). Stage hand-off latency,
 * from the last upstream commit (its last task's end) to the first
 * downstream attempt's start, for a whole-output hand-off (up → down, input
 * from up) and N to N (each: batch: per task i, upstream task i's end →
 * downstream task i's start), both by `djc run` end to end on the local
 * backend; and the submit of a 1,000-point sweep: `djc submit` end to end
 * (validate included) and submitPipeline in-process (the 1,002 records
 * written in one SQLite transaction). Aim: hand-off under 100 ms, validate +
 * submit under 2 s.
 *
 * Env: BENCH_REPS (default 3).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, median, note, ROOT, round, run, tempDir } from './lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);

const PIPELINE = (each) => `name: handoff
stages:
  up:
    input: { path: data.jsonl, batch: { records: 25 } }
    handler: { module: ./slow.mjs#slow }
    compute: { workers: 1 }
  down:
    needs: [up]
    input: { from: up${each ? ', each: batch' : ''} }
    handler: { module: ./slow.mjs#fast }
    compute: { workers: 1 }
`;

function sweepYaml() {
  const axis = (n) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  return `name: sweep
stages:
  prep:
    input: { path: data.jsonl, batch: { records: 100 } }
    handler: { module: ./slow.mjs#fast }
  train:
    needs: [prep]
    input: { from: prep }
    matrix: { lr: ${axis(10)}, seed: ${axis(100)}, max_parallel: 8 }
    handler: { command: "echo \${matrix.lr} \${matrix.seed}" }
`;
}

async function djcJson(dir, args) {
  const r = await run(process.execPath, [DJC_BIN, ...args, '--json'], { cwd: dir, env: { DJC_HOME: join(dir, '.djc') } });
  return JSON.parse(r.stdout);
}

/** One `djc run --fresh` of the two-stage pipeline (else the cache re-uses the last run); the hand-off latencies it shows (ms). */
async function handoff(dir, each) {
  await writeFile(join(dir, 'p.yaml'), PIPELINE(each));
  await run(process.execPath, [DJC_BIN, 'run', '--fresh', 'p.yaml'], { cwd: dir, env: { DJC_HOME: join(dir, '.djc') } });
  const up = (await djcJson(dir, ['tasks', 'handoff.up'])).tasks;
  const down = (await djcJson(dir, ['tasks', 'handoff.down'])).tasks;
  if (each) return down.map((t) => Date.parse(t.startedAt) - Date.parse(up.find((u) => u.taskId === t.taskId).endedAt));
  const lastCommit = Math.max(...up.map((t) => Date.parse(t.endedAt)));
  const firstStart = Math.min(...down.map((t) => Date.parse(t.startedAt)));
  return [firstStart - lastCommit];
}

main('stage-handoff', async () => {
  const tmp = await tempDir('stage-handoff');
  try {
    await writeFile(join(tmp.dir, 'data.jsonl'), Array.from({ length: 100 }, (_, n) => `{"n":${n}}\n`).join(''));
    await writeFile(join(tmp.dir, 'slow.mjs'), 'export async function slow(r) { await new Promise((s) => setTimeout(s, 200)); return r; }\nexport const fast = (r) => r;\n');
    const whole = [];
    const nToN = [];
    for (let i = 0; i < REPS; i++) {
      whole.push(...(await handoff(tmp.dir, false)));
      const per = await handoff(tmp.dir, true);
      nToN.push(...per);
      note(`rep ${i + 1}: whole output ${round(whole.at(-1), 0)} ms, N to N ${per.map((x) => round(x, 0)).join(' ')} ms`);
    }
    await writeFile(join(tmp.dir, 'sweep.yaml'), sweepYaml());
    const { loadPipelineFile } = await import(pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href);
    const { createLocalBackend } = await import(pathToFileURL(join(ROOT, 'packages/core/dist/backends/local/index.js')).href);
    const { submitPipeline } = await import(pathToFileURL(join(ROOT, 'packages/coordinator/dist/index.js')).href);
    const cli = [];
    const inProcess = [];
    for (let i = 0; i < REPS; i++) {
      const r = await run(process.execPath, [DJC_BIN, 'submit', 'sweep.yaml'], { cwd: tmp.dir, env: { DJC_HOME: join(tmp.dir, '.djc') } });
      cli.push(r.ms);
      const { spec, configPath } = await loadPipelineFile(join(tmp.dir, 'sweep.yaml'));
      const backend = createLocalBackend({ home: join(tmp.dir, '.djc') });
      const t0 = performance.now();
      await submitPipeline(backend, spec, configPath, 'daemon');
      inProcess.push(performance.now() - t0);
      await backend.close();
      note(`rep ${i + 1}: djc submit ${round(r.ms, 0)} ms, submitPipeline ${round(inProcess.at(-1), 0)} ms`);
    }
    return {
      wholeOutput: { ms: round(median(whole), 1), msAll: whole.map((x) => round(x, 1)) },
      nToN: { ms: round(median(nToN), 1), msAll: nToN.map((x) => round(x, 1)) },
      submit: { points: 1000, runs: 1001, cliMs: round(median(cli), 1), cliMsAll: cli.map((x) => round(x, 1)), inProcessMs: round(median(inProcess), 1), inProcessMsAll: inProcess.map((x) => round(x, 1)) },
      aimHandoffMs: 100,
      aimSubmitMs: 2000,
    };
  } finally {
    await tmp.remove();
  }
});
