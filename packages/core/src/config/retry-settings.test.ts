import { describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import { testJobConfig } from '../testing/fixtures.js';
import { applyRetrySettings } from './retry-settings.js';

const PATH = '/jobs/job.yaml';

async function refusal(sets: string[], config = testJobConfig()): Promise<string> {
  try {
    await applyRetrySettings(config, PATH, sets);
  } catch (e) {
    expect(isDjcError(e, 'USAGE')).toBe(true);
    return `${(e as Error).message}${(e as { hint?: string }).hint ? ` // ${(e as { hint?: string }).hint}` : ''}`;
  }
  throw new Error(`--set ${sets.join(' ')} was accepted`);
}

describe('applyRetrySettings', () => {
  it.each([
    ['compute.timeout=30m', 'compute.timeout', 600_000, 1_800_000, 'duration'],
    ['compute.memory=2GiB', 'compute.memory', null, 2 * 1024 ** 3, 'size'],
    ['compute.workers=8', 'compute.workers', 4, 8, undefined],
    ['retry.max_attempts=5', 'retry.max_attempts', 3, 5, undefined],
    ['retry.backoff.initial=500ms', 'retry.backoff.initial', 1000, 500, 'duration'],
    ['tolerated_failure=10%', 'tolerated_failure', { count: 0 }, { percent: 10 }, undefined],
    ['fail_fast=false', 'fail_fast', true, false, undefined],
    ['labels.team=data', 'labels.team', null, 'data', undefined],
    ['notification.on=[failed]', 'notification.on', null, ['failed'], undefined],
  ])('%s changes %s from %j to %j', async (set, key, from, to, unit) => {
    const { config, changes } = await applyRetrySettings(testJobConfig(), PATH, [set]);
    expect(changes).toEqual([{ key, value: set.slice(set.indexOf('=') + 1), from, to, ...(unit ? { unit } : {}) }]);
    let node: unknown = config;
    for (const seg of key.split('.')) node = (node as Record<string, unknown>)[seg];
    expect(node).toEqual(to);
  });

  it('leaves the stored config alone, and keeps every key it was not told to change', async () => {
    const before = testJobConfig();
    const copy = structuredClone(before);
    const { config } = await applyRetrySettings(before, PATH, ['compute.timeout=1m']);
    expect(before).toEqual(copy);
    expect(config).toEqual({ ...copy, compute: { ...copy.compute, timeout: 60_000 } });
  });

  it('applies several changes in order; the last one of a key wins', async () => {
    const { config, changes } = await applyRetrySettings(testJobConfig(), PATH, ['compute.timeout=1m', 'compute.timeout=2m']);
    expect(config.compute.timeout).toBe(120_000);
    expect(changes.map((c) => [c.from, c.to])).toEqual([[600_000, 60_000], [60_000, 120_000]]);
  });

  it('a first key of a missing section brings the section\'s defaults', async () => {
    const { config } = await applyRetrySettings(testJobConfig(), PATH, ['compute.slurm.partition=gpu', 'notification.webhook=https://h.example/x']);
    expect(config.compute.slurm).toEqual({ partition: 'gpu', extra_args: [] });
    expect(config.notification).toEqual({ webhook: 'https://h.example/x', on: ['succeeded', 'failed', 'cancelled', 'timeout'] });
  });

  it('output paths are relative to the job file; null unsets an optional key or restores a default', async () => {
    const withReduce = (await applyRetrySettings(testJobConfig(), PATH, ['output.path=out/r.jsonl', 'output.reduce=./merge.ts#m'])).config;
    expect(withReduce.output).toMatchObject({ path: '/jobs/out/r.jsonl', reduce: '/jobs/merge.ts#m' });
    const swapped = await applyRetrySettings(withReduce, PATH, ['output.reduce=null', 'output.reduce_command=python3 m.py', 'compute.timeout=null']);
    expect(swapped.config.output).toEqual({ path: '/jobs/out/r.jsonl', aggregate: 'concat', reduce_command: 'python3 m.py' });
    expect(swapped.config.compute.timeout).toBe(600_000);
    expect(swapped.changes[0]).toMatchObject({ key: 'output.reduce', from: '/jobs/merge.ts#m', to: null });
  });

  it.each([
    [['input.path=x.jsonl'], '--set input.path=x.jsonl: input.* cannot change on retry: the batches are already cut from the input, and a result that mixes old and new would look whole // run a new job with it: djc run /jobs/job.yaml --set input.path=x.jsonl'],
    [['handler.command=cat'], '--set handler.command=cat: handler.* cannot change on retry: the succeeded tasks ran the old handler'],
    [['params.n=3'], '--set params.n=3: parameters.* cannot change on retry'],
    [['name=other'], '--set name=other: name.* cannot change on retry'],
    [['compute.timout=1m'], '--set compute.timout=1m: unknown key compute.timout // docs/configuration.md lists every key'],
    [['colour=blue'], '--set colour=blue: unknown key colour // a retry may change: compute, retry, tolerated_failure, fail_fast, output, notification, labels, description, deadline'],
    [['compute.timeout=soon'], '--set compute.timeout=soon: compute.timeout: expected a duration such as "30s", "10m" or "1h30m", found "soon"'],
    [['compute.workers=0'], '--set compute.workers=0: compute.workers: '],
    [['retry=3'], '--set retry=3: retry: '],
    [['timeout'], '--set timeout: is not KEY=VALUE'],
    [['=3'], '--set =3: is not KEY=VALUE'],
    [['output.reduce=./m.ts#m', 'output.reduce_command=sh m.sh'], 'output.reduce and output.reduce_command are exclusive'],
  ])('%j is refused', async (sets, message) => {
    expect(await refusal(sets)).toContain(message);
  });
});
