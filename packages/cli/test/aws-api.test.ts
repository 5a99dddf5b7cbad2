/**
 * The HTTP API on the AWS backend (DynamoDB Local + fauxqs): the same
 * answers as the CLI's, task pages by cursor, and Idempotency-Key answers
 * kept in the S3 bucket.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, jobDocSettledAs, readEvents, startCoordinator } from './api-helpers.js';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-awsapi-');

describe('the HTTP API on the aws backend', () => {
  it('submits once per Idempotency-Key, follows the job to its end, and answers as the CLI does', async () => {
    const co = await startCoordinator({ cwd: t.box.dir, home: t.box.home, env: t.env });
    const cli = async (args: string[]) => {
      const r = await t.run(args);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    try {
      writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: 3 }, (_, i) => `{"n":${i}}\n`).join(''));
      const body = 'name: awsapi\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\n';
      const path = `/v1/jobs?base_dir=${encodeURIComponent(t.box.dir)}`;
      const headers = { 'idempotency-key': 'aws-key-1' };
      const first = await api(co.socket, 'POST', path, { body, headers });
      expect(first.status, first.text).toBe(201);
      const again = await api(co.socket, 'POST', path, { body, headers });
      expect(again.json.jobId).toBe(first.json.jobId);
      expect((await cli(['list', '--json'])).jobs).toHaveLength(1);
      const { jobId } = first.json;

      const { events } = await readEvents(co.socket, `/v1/events?job=${jobId}`, () => false);
      expect(events.at(-1)?.data).toMatchObject({ jobId, status: 'SUCCEEDED' });
      await jobDocSettledAs(co.socket, jobId, () => cli(['status', jobId, '--json']));
      const p1 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks?limit=2`);
      const p2 = await api(co.socket, 'GET', `/v1/jobs/${jobId}/tasks?limit=2&cursor=${p1.json.nextCursor}`);
      expect(p2.json.nextCursor).toBeNull();
      expect([...p1.json.tasks, ...p2.json.tasks]).toEqual((await cli(['tasks', jobId, '--json'])).tasks);
      expect((await api(co.socket, 'GET', `/v1/jobs/${jobId}/results`)).json).toEqual(await cli(['results', jobId, '--json']));
      expect((await api(co.socket, 'GET', '/readyz')).json).toMatchObject({ ready: true, backend: 'aws' });
    } finally {
      await co.stop();
    }
  });
});
