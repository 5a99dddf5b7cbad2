/**
 * `djc plan` on the AWS backend (DynamoDB Local + fauxqs): the same plan as
 * on the local one, from the cache index in the table and the result
 * objects in the bucket.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openBackend } from '../../core/src/backends/open.js';
import { useAwsBackend } from './aws-backend.js';
import { recordRun, writePipeline } from './plan-helpers.js';

const t = useAwsBackend('djc-awsplan-');

describe('djc plan on the aws backend', () => {
  it('re-uses what the table indexes, names the edited file, and misses a run whose result object is gone', async () => {
    const file = writePipeline(t.box.dir);
    const first = await t.run(['plan', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('reviews: 4 runs, 0 re-used, 4 to run');

    // The AWS SDK reads credentials and endpoints from process.env: this process opens the test's backend as djc would.
    for (const [k, v] of Object.entries(t.env)) vi.stubEnv(k, v);
    const backend = await openBackend({}, process.env);
    let jobs: Map<string, string>;
    try {
      jobs = await recordRun(backend, t.box.dir, file);
      const again = await t.run(['plan', file, '--json']);
      expect(again.code).toBe(0);
      const doc = JSON.parse(again.stdout);
      expect(doc.runs.map((r: { run: string; reusedFrom: string | null }) => [r.run, r.reusedFrom])).toEqual([...jobs]);

      await backend.blobs.delete(`jobs/${jobs.get('train[lr=0.01]')}/result`);
      const gone = await t.run(['plan', file]);
      expect(gone.stdout).toContain(`  why: the result of the matching run ${jobs.get('train[lr=0.01]')} is gone (deleted or expired)`);
      expect(gone.stdout).toContain('reviews: 4 runs, 3 re-used, 1 to run');
    } finally {
      await backend.close();
      vi.unstubAllEnvs();
    }

    writeFileSync(join(t.box.dir, 'clean.ts'), 'import { trim } from "./lib/trim.ts";\nexport const clean = (r: unknown[]) => r.map(trim).reverse();\n');
    const edited = await t.run(['plan', file]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/^ {2}why: handler file clean\.ts changed \(sha [0-9a-f]{8} → [0-9a-f]{8}\)$/m);
    expect(edited.stdout).toContain('reviews: 4 runs, 0 re-used, 4 to run');
  });
});
