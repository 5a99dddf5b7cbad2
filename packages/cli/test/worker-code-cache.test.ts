/**
 * A worker process starts with Node's own modules from their code cache
 * (issue 14): a V8 flag that is part of V8's flag hash, on the worker's node
 * command line, made Node throw that cache away and compile every built-in
 * the worker loads from source (~80 modules, ~15 ms of CPU per worker
 * start). NODE_DEBUG_NATIVE=CODE_CACHE makes Node say, per built-in it
 * compiles, whether its code cache was accepted or rejected; a worker's
 * stderr is its log file in the home. The old generation's flag
 * (--heap-growing-percent) is set by the worker itself once started, so only
 * what loads after its "worker started" line may compile from source.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerNodeFlags } from '@djc/coordinator';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();

/**
 * Whether this node keeps the cache with the workers' semi-space cap, which must be on their command line (V8 sizes
 * the young generation as the isolate starts): Node 24 does, Node 22 hashes that flag too.
 */
const young = workerNodeFlags('').filter((f) => /semi[-_]space/.test(f));
const flagsKeepCache = !spawnSync(process.execPath, [...young, '-e', "require('node:crypto')"], {
  encoding: 'utf8', env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
}).stderr.includes('is rejected');

describe('worker start and the code cache of Node\'s built-ins', () => {
  it.runIf(flagsKeepCache)('a worker of djc run compiles none of its start\'s built-ins from source', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'job.yaml'), 'name: cache\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: "true" }\ncompute: { workers: 2 }\n');
    const ran = await djc(['run', 'job.yaml'], { cwd: box.dir, home: box.home, env: { NODE_DEBUG_NATIVE: 'CODE_CACHE' } });
    expect(ran.code, ran.stderr).toBe(0);

    const dir = join(box.home, 'workers');
    const logs = readdirSync(dir).flatMap((job) => readdirSync(join(dir, job)).map((f) => readFileSync(join(dir, job, f), 'utf8')));
    expect(logs.length).toBe(2);
    for (const log of logs) {
      const start = log.slice(0, log.indexOf('"msg":"worker started"'));
      expect(start.length, log).toBeGreaterThan(0);
      // Node still says what it compiled: the test sees the cache in use, not the absence of Node's messages.
      expect(start, log).toMatch(/ is accepted/);
      expect(start.split('\n').filter((l) => l.includes(' is rejected'))).toEqual([]);
    }
  });
});
