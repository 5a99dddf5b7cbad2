import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isDjcError } from '@djc/core';
import { createSlurmCli, parseSacctLine, parseSqueueLine, type ArrayTaskState } from './slurm-cli.js';

describe('parseSqueueLine', () => {
  it('reads array tasks in every state, with the exit code from the raw wait status', () => {
    expect(parseSqueueLine('46|4|FAILED|NonZeroExitCode|768|node1')).toEqual({
      arrayJobId: '46', taskIndex: '4', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: null, node: 'node1',
    });
    expect(parseSqueueLine('46|1|CANCELLED|None|15|node1')).toMatchObject({ state: 'CANCELLED', reason: null, exitCode: null, signal: 15 });
    // A launch failure: scontrol says ExitCode=0:53.
    expect(parseSqueueLine('46|3|FAILED|JobLaunchFailure|4021|node1')).toMatchObject({ reason: 'JobLaunchFailure', exitCode: null, signal: 53 });
    expect(parseSqueueLine('46|2|PENDING|Resources|0|')).toMatchObject({ state: 'PENDING', reason: 'Resources', exitCode: null, node: null });
    expect(parseSqueueLine('46|0|RUNNING|None|0|localhost')).toMatchObject({ state: 'RUNNING', reason: null, exitCode: null, node: 'localhost' });
    expect(parseSqueueLine('')).toBeNull();
  });
});

describe('parseSacctLine', () => {
  it('reads array task lines and ignores the others', () => {
    expect(parseSacctLine('46_4|CANCELLED by 0|0:15|node1')).toEqual({
      arrayJobId: '46', taskIndex: '4', state: 'CANCELLED', reason: null, exitCode: 0, signal: 15, node: 'node1',
    });
    expect(parseSacctLine('46_[5-9]|PENDING|0:0|')).toBeNull();
  });
});

// Against the local cluster of scripts/slurm/up.sh (started by scripts/test.sh).
describe('SlurmCli on a real cluster', () => {
  const cli = createSlurmCli();
  const dir = mkdtempSync(join(tmpdir(), 'djc-slurm-cli-'));
  const submitted: string[] = [];
  afterAll(async () => {
    await cli.cancel(submitted).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const states = async (id: string) => {
    const rows = await cli.queue([id]);
    // By index; a record that stands for several tasks ("N/A") last.
    const order = (t: ArrayTaskState) => (/^\d+$/.test(t.taskIndex) ? Number(t.taskIndex) : Infinity);
    return rows.sort((a, b) => order(a) - order(b)).map((t) => t.state);
  };
  const until = async (id: string, ok: (s: string[]) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const s = await states(id);
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`array ${id} never reached the expected states: ${(await states(id)).join(',')}`);
  };

  it('reads MaxArraySize from scontrol', async () => {
    expect(await cli.maxArraySize()).toBe(1001);
  });

  it('submits an array, follows its tasks, finds it by name, cancels only the pending ones, then the rest', async () => {
    const name = `djc-cli-test-${randomBytes(3).toString('hex')}`;
    const id = await cli.submit(['--parsable', `--job-name=${name}`, '--array=0-2%1', `--output=${dir}/%A_%a.log`], '#!/bin/sh\nsleep 60\n', dir);
    submitted.push(id);
    expect(id).toMatch(/^\d+$/);
    expect(await until(id, (s) => s[0] === 'RUNNING')).toEqual(['RUNNING', 'PENDING', 'PENDING']);
    expect((await cli.queue([id])).find((t) => t.taskIndex === '1')?.reason).toBe('JobArrayTaskLimit');
    expect(await cli.findByName(name)).toEqual([id]);
    await cli.cancel([id], { pendingOnly: true });
    // The cancelled pending tasks come back as one record that stands for both.
    expect(await until(id, (s) => s.includes('CANCELLED'))).toEqual(['RUNNING', 'CANCELLED']);
    expect((await cli.queue([id])).map((t) => t.taskIndex).sort()).toEqual(['0', 'N/A']);
    await cli.cancel([id]);
    expect(await until(id, (s) => s[0] === 'CANCELLED')).toEqual(['CANCELLED', 'CANCELLED']);
    // Ids Slurm never knew: nothing listed, not an error.
    expect(await cli.queue(['999999999'])).toEqual([]);
  });

  it('quotes sbatch when it refuses, with a hint about compute.slurm', async () => {
    const err = await cli.submit(['--parsable', '--partition=nope', '--array=0'], '#!/bin/sh\ntrue\n', dir).catch((e: unknown) => e);
    expect(isDjcError(err, 'USAGE')).toBe(true);
    expect((err as Error).message).toContain('sbatch refused the worker array: sbatch: error: invalid partition specified: nope');
  });
});
