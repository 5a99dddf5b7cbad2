/**
 * A pipeline for `djc plan` tests, and earlier runs of it recorded in a
 * backend through the index API (putCacheEntry) directly, so plan's cases
 * (a result gone, a changed parameter) are set up without running stages;
 * pipeline-cache.test.ts plans after real runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../core/src/ports/backend.js';
import { cacheComponents, cacheKey, combinedResult } from '../../core/src/pipeline/cache-key.js';
import { sha256Hex } from '../../core/src/pipeline/cache-hash.js';
import { loadPipelineFile } from '../../core/src/pipeline/load-workflow.js';

export const PIPELINE = [
  'name: reviews',
  'parameters: { min_len: 3 }',
  'stages:',
  '  clean:',
  '    input: { path: data/*.jsonl, batch: { records: 100 } }',
  '    handler: { module: ./clean.ts#clean }',
  '  embed:',
  '    needs: [clean]',
  '    input: { from: clean, each: batch }',
  '    handler: { command: "python3 embed.py --min ${params.min_len}", files: [embed.py] }',
  '  train:',
  '    needs: [clean]',
  '    matrix: { lr: [0.1, 0.01], max_parallel: 1 }',
  '    input: { from: clean, batch: { records: 1000 } }',
  '    handler: { command: "echo ${matrix.lr}" }',
].join('\n');

/** Writes the pipeline (or `text`), its modules, script and 251 input records under `dir`; returns the file name. */
export function writePipeline(dir: string, text = PIPELINE): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data/a.jsonl'), Array.from({ length: 250 }, (_, i) => `{"i":${i}}`).join('\n') + '\n');
  writeFileSync(join(dir, 'data/b.jsonl'), '{"i":-1}\n');
  writeFileSync(join(dir, 'clean.ts'), 'import { trim } from "./lib/trim.ts";\nexport const clean = (r: unknown[]) => r.map(trim);\n');
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'lib/trim.ts'), 'export const trim = (r: unknown) => r;\n');
  writeFileSync(join(dir, 'embed.py'), 'print(1)\n');
  writeFileSync(join(dir, 'p.yaml'), `${text}\n`);
  return 'p.yaml';
}

/** Records every run of the pipeline in `dir/file` as succeeded in `backend`; returns job ids by run display name. */
export async function recordRun(backend: Backend, dir: string, file: string): Promise<Map<string, string>> {
  const { spec } = await loadPipelineFile(join(dir, file));
  const jobs = new Map<string, string>();
  const results = new Map<string, string>();
  for (const stage of spec.order) {
    const shas: string[] = [];
    for (const run of spec.runs.filter((r) => r.stage === stage)) {
      const { components } = await cacheComponents(run, (u) => results.get(u) ?? null);
      const jobId = `reviews-${run.displayName}`;
      const body = `result of ${run.displayName}\n`;
      await backend.blobs.put(`jobs/${jobId}/result`, body);
      await backend.state.putCacheEntry({
        key: cacheKey(components) as string, jobId, pipeline: spec.name, stage: run.displayName, point: run.point, components,
        result: { blobKey: `jobs/${jobId}/result`, sha256: sha256Hex(body), bytes: Buffer.byteLength(body) }, createdAt: new Date().toISOString(),
      });
      jobs.set(run.displayName, jobId);
      shas.push(sha256Hex(body));
    }
    results.set(stage, combinedResult(shas) as string);
  }
  return jobs;
}
