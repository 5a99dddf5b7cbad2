import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB, workerNodeFlags } from './young-generation.js';

describe('workerNodeFlags', () => {
  it('caps a worker\'s semi-spaces on its node command line', () => {
    expect(workerNodeFlags('')).toEqual([`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`]);
    expect(workerNodeFlags('--enable-source-maps')).toEqual([`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`]);
  });

  it('leaves the young generation to NODE_OPTIONS when they size it', () => {
    expect(workerNodeFlags('--max-semi-space-size=16')).toEqual([]);
    expect(workerNodeFlags('--expose-gc --semi_space_growth_factor=2')).toEqual([]);
    expect(workerNodeFlags('--min-semi-space-size=2')).toEqual([]);
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
