/**
 * Failover on the AWS backend (DynamoDB Local + fauxqs): the coordinator
 * lock is a DynamoDB item with an epoch; a standby takes over at once from a
 * leader SIGKILLed on this host (its 10-minute TTL rules out the expiry
 * path), and the job completes exactly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { djcStart, readJsonl, waitFor } from './helpers.js';

const t = useAwsBackend('djc-awsfailover-');
const LONG_TTL = ['--lock-ttl', '10m', '--lock-renew', '1s'];

function startDaemon() {
  const d = djcStart(['coordinator', ...LONG_TTL], { cwd: t.box.dir, home: t.box.home, env: t.env });
  return { ...d, leading: () => waitFor('a coordinator leading', async () => d.stderr().includes('leading'), 60_000) };
}

async function stop(d: ReturnType<typeof startDaemon>): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGTERM');
  await d.done;
}

describe('djc coordinator failover (AWS)', () => {
  it('a standby takes over at once from a SIGKILLed leader; the job completes exactly', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 300 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(t.box.dir, 'h.mjs'), 'export async function echo(records) { await new Promise((r) => setTimeout(r, 150)); return records; }\n');
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: awsfailover
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#echo }
compute: { workers: 2, lease: 5s }
output: { path: out.jsonl }
`);
    const sub = await t.run(['submit', 'job.yaml']);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    const leader = startDaemon();
    await leader.leading();
    const standby = startDaemon();
    try {
      await waitFor('the standby line', async () => standby.stderr().includes('standby for backend aws'), 30_000);
      expect(standby.stderr()).toContain(`pid ${leader.child.pid} on`);
      await waitFor('tasks done under the first leader', async () => {
        const r = await t.run(['status', jobId, '--json']);
        return r.code === 0 && (JSON.parse(r.stdout) as { tasks: { succeeded: number } }).tasks.succeeded >= 3;
      }, 120_000);
      leader.child.kill('SIGKILL');
      await leader.done;
      await standby.leading();
      expect(standby.stderr()).toMatch(new RegExp(`leading \\(epoch 2, took over from pid ${leader.child.pid} on .+: it died\\)`));
      const w = await t.run(['wait', jobId, '--json']);
      expect(w.code, w.stderr).toBe(0);
      expect((JSON.parse(w.stdout) as { status: string }).status).toBe('SUCCEEDED');
      const out = readJsonl(join(t.box.dir, 'out.jsonl')) as { n: number }[];
      expect(out.map((x) => x.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    } finally {
      await stop(standby);
      await stop(leader);
    }
  });

  it('a leader of another backend on the same home keeps its socket: the second leader is refused (exit 2)', async () => {
    const local = djcStart(['coordinator'], { cwd: t.box.dir, home: t.box.home });
    try {
      await waitFor('the local coordinator leading', async () => local.stderr().includes('leading'), 60_000);
      const aws = await t.run(['coordinator']);
      expect(aws.code).toBe(2);
      expect(aws.stderr).toMatch(/the coordinator of another backend serves the API at .*api\.sock/);
      expect(aws.stderr).toContain('--socket PATH');
      expect(local.child.exitCode).toBeNull();
    } finally {
      local.child.kill('SIGTERM');
      await local.done;
    }
  });
});
