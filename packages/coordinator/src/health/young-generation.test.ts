import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB, workerNodeFlags } from './young-generation.js';

const YOUNG = `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`;

describe('workerNodeFlags', () => {
  it('caps a worker\'s semi-spaces on its node command line', () => {
    expect(workerNodeFlags('')).toEqual([YOUNG]);
    expect(workerNodeFlags('--enable-source-maps')).toEqual([YOUNG]);
  });

  it('leaves the young generation to NODE_OPTIONS when they size it', () => {
    expect(workerNodeFlags('--max-semi-space-size=16')).toEqual([]);
    expect(workerNodeFlags('--expose-gc --semi_space_growth_factor=2')).toEqual([]);
    expect(workerNodeFlags('--min-semi-space-size=2')).toEqual([]);
  });

  it('carries no --heap-growing-percent: the worker sets it once started (a flag of V8\'s hash throws Node\'s code cache away)', () => {
    expect(workerNodeFlags('').some((f) => f.includes('heap-growing'))).toBe(false);
  });

  it('is a flag node accepts and V8 applies: the new space stays within twice the cap', () => {
    const script = `const a = []; for (let i = 0; i < 2e6; i++) { a.push({ i }); if (a.length > 5e4) a.length = 0; }
      const s = require('node:v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
      process.stdout.write(String(s.space_size));`;
    const size = Number(execFileSync(process.execPath, [...workerNodeFlags(''), '-e', script], { encoding: 'utf8' }));
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(2 * WORKER_SEMI_SPACE_MB * 1024 * 1024);
  });
});

describe('keepHeapSmall', () => {
  // The built module (a child process has its own V8 flags): run after `pnpm build`, as the e2e tests.
  const built = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../dist/health/young-generation.js')).href;
  // A live set of ~15 MiB and a churn of short-lived objects that small semi-spaces promote: the heap's
  // peak use with the daemon's flags, set at run time, against the young-generation flag alone.
  const peak = (set: string) => Number(execFileSync(process.execPath, ['--input-type=module', '-e', `${set}
    const live = Array.from({ length: 2e5 }, (_, i) => ({ i, s: 'x' + i }));
    let max = 0; let keep = [];
    for (let i = 0; i < 1.5e6; i++) {
      keep.push({ i, a: [i, i + 1] });
      if (keep.length > 2e4) keep = [];
      if (i % 1e4 === 0) max = Math.max(max, process.memoryUsage().heapUsed);
    }
    process.stdout.write(String(live.length > 0 ? max : 0));`], { encoding: 'utf8' }));

  it('keeps the old generation near its live size: promoted garbage is collected, not kept up to 4x', () => {
    const daemon = peak(`(await import(${JSON.stringify(built)})).keepHeapSmall();`);
    const youngOnly = peak(`(await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');`);
    expect(daemon).toBeLessThan(0.75 * youngOnly);
  });
});
