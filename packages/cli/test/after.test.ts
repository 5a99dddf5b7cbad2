/**
 * `djc submit job.yaml --after JOB[,JOB] [--after-any]`: a job that waits
 * for others (Slurm's afterok/afterany). It is SKIPPED at once, with the
 * reason, when a dependency already failed; a dependency that does not
 * exist is exit 4; with the daemon it runs once its dependencies end.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djcStart, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-after-');

function jobs(): void {
  writeFileSync(join(box.dir, 'in.txt'), 'alpha\nbeta\ngamma\n');
  writeFileSync(join(box.dir, 'upper.yaml'), 'name: upper\ninput: { path: in.txt, format: text }\nhandler: { command: "tr a-z A-Z" }\ncompute: { workers: 1 }\n');
  writeFileSync(join(box.dir, 'broken.yaml'), 'name: broken\ninput: { path: in.txt, format: text }\nhandler: { command: "exit 3" }\ncompute: { workers: 1 }\nretry: { max_attempts: 1 }\n');
}

interface Doc { jobId: string; status: string; reason: string | null; startedAt: string | null; endedAt: string | null }
const status = async (id: string) => JSON.parse((await box.run(['status', id, '--json'])).stdout) as Doc;

describe('djc submit --after', () => {
  it('after a failed job: SKIPPED at once with the reason; djc wait exits 1; nothing ever runs it', async () => {
    jobs();
    expect((await box.run(['run', 'broken.yaml'])).code).toBe(1);
    const r = await box.run(['submit', 'upper.yaml', '--after', 'broken']);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(r.stderr).toMatch(new RegExp(`djc: ${id} SKIPPED: dependency broken-\\d{14}-[0-9a-f]{6} FAILED`));
    expect(await status(id)).toMatchObject({ status: 'SKIPPED', startedAt: null, reason: expect.stringMatching(/^dependency broken-.* FAILED$/) });
    const human = await box.run(['status', id]);
    expect(human.stdout).toMatch(/^skipped\s+dependency broken-\S+ FAILED$/m);
    expect((await box.run(['wait', id])).code).toBe(1);
  });

  it('a dependency that names no job: exit 4, and no job is written', async () => {
    jobs();
    const r = await box.run(['submit', 'upper.yaml', '--after', 'nosuchjob']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no job nosuchjob');
    expect((await box.run(['list', '--quiet'])).stdout.trim()).toBe('');
    expect((await box.run(['submit', 'upper.yaml', '--after-any'])).code).toBe(2);
  });

  it('with the daemon: a WAITING job runs after its dependency ends; --after-any runs after a failed one', async () => {
    jobs();
    const first = (await box.run(['submit', 'upper.yaml'])).stdout.trim();
    const second = await box.run(['submit', 'upper.yaml', '--after', first]);
    const waiting = second.stdout.trim();
    expect(second.stderr).toContain(`djc: ${waiting} WAITING: waiting for ${first}`);
    expect(await status(waiting)).toMatchObject({ status: 'WAITING' });
    const broken = (await box.run(['submit', 'broken.yaml'])).stdout.trim();
    const anyway = (await box.run(['submit', 'upper.yaml', '--after', broken, '--after-any'])).stdout.trim();
    const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    try {
      expect((await box.run(['wait', waiting])).code).toBe(0);
      expect((await box.run(['wait', anyway])).code).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
    const [a, b] = [await status(first), await status(waiting)];
    expect(b.status).toBe('SUCCEEDED');
    expect(b.reason).toBeNull();
    expect(Date.parse(b.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.endedAt!));
    expect((await status(broken)).status).toBe('FAILED');
    expect(Date.parse((await status(anyway)).startedAt!)).toBeGreaterThanOrEqual(Date.parse((await status(broken)).endedAt!));
    expect((await box.run(['results', waiting])).stdout).toBe('ALPHA\nBETA\nGAMMA\n');
  });
});
