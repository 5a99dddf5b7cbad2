/**
 * `djc setup aws` keeps an S3 lifecycle rule on `jobs/` that matches
 * DJC_RETENTION_DAYS (issue 13, "Operations"). fauxqs, the S3 server of the
 * aws tests, answers PutBucketLifecycleConfiguration 200 but keeps nothing
 * (measured: GET then returns no rules), so here S3 requests go through a
 * small proxy that keeps the bucket's lifecycle configuration (GET, PUT and
 * DELETE `?lifecycle`, as S3 does) and passes every other request to fauxqs.
 * The configuration checked is the XML the real SDK sent.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';

const t = useAwsBackend('djc-aws-lifecycle-');

interface LifecycleProxy {
  endpoint: string;
  /** Lifecycle XML by bucket, as the client last put it. */
  configs: Map<string, string>;
  close(): Promise<void>;
}

const NONE = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchLifecycleConfiguration</Code><Message>The lifecycle configuration does not exist</Message></Error>';

async function startLifecycleProxy(target: string): Promise<LifecycleProxy> {
  const configs = new Map<string, string>();
  const to = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (url.searchParams.has('lifecycle')) {
        const bucket = url.pathname.split('/')[1] ?? '';
        if (req.method === 'PUT') configs.set(bucket, body.toString('utf8'));
        if (req.method === 'DELETE') configs.delete(bucket);
        const kept = configs.get(bucket);
        if (req.method === 'GET' && kept === undefined) return void res.writeHead(404, { 'content-type': 'application/xml' }).end(NONE);
        if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/xml' }).end(kept);
        return void res.writeHead(req.method === 'DELETE' ? 204 : 200).end();
      }
      const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, configs, close: () => new Promise((r) => server.close(() => r())) };
}

let proxy: LifecycleProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

interface SetupDoc {
  steps: { resource: string; result: string }[];
}

async function setup(extra: Record<string, string> = {}): Promise<{ code: number; step: { resource: string; result: string } | undefined; stderr: string }> {
  const r = await t.run(['setup', 'aws', '--json'], { AWS_ENDPOINT_URL_S3: (proxy as LifecycleProxy).endpoint, ...extra });
  const doc = r.code === 0 ? (JSON.parse(r.stdout) as SetupDoc) : { steps: [] };
  return { code: r.code, step: doc.steps.find((s) => s.resource.startsWith('S3 lifecycle rule')), stderr: r.stderr };
}

/** The rules of the kept XML: [id, status, prefix, days]. */
function rules(xml: string | undefined): string[][] {
  return [...(xml ?? '').matchAll(/<Rule>([\s\S]*?)<\/Rule>/g)].map((m) => {
    const at = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(m[1] as string)?.[1] ?? '';
    return [at('ID'), at('Status'), at('Prefix'), at('Days')];
  });
}

describe('djc setup aws: the S3 lifecycle rule', () => {
  it('adds a rule on jobs/ matching DJC_RETENTION_DAYS, idempotently, keeping other rules', async () => {
    proxy = await startLifecycleProxy(t.fauxqs.endpoint);
    const bucket = t.env.DJC_BUCKET as string;

    const first = await setup();
    expect(first.code).toBe(0);
    expect(first.step).toEqual({ resource: `S3 lifecycle rule djc-retention on ${bucket}/jobs/ (expire after 30 days)`, result: 'created' });
    expect(rules(proxy.configs.get(bucket))).toEqual([['djc-retention', 'Enabled', 'jobs/', '30']]);

    const again = await t.run(['setup', 'aws'], { AWS_ENDPOINT_URL_S3: proxy.endpoint });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`exists   S3 lifecycle rule djc-retention on ${bucket}/jobs/ (expire after 30 days)`);
    expect(again.stderr).toContain('nothing to do');

    // Someone else's rule stays; a fractional retention rounds up to whole days, as S3 counts.
    proxy.configs.set(bucket, `<LifecycleConfiguration><Rule><ID>tmp-cleanup</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>${(proxy.configs.get(bucket) ?? '').replace(/^[\s\S]*?<LifecycleConfiguration[^>]*>|<\/LifecycleConfiguration>[\s\S]*$/g, '')}</LifecycleConfiguration>`);
    const changed = await setup({ DJC_RETENTION_DAYS: '7.5' });
    expect(changed.step).toEqual({ resource: `S3 lifecycle rule djc-retention on ${bucket}/jobs/ (expire after 8 days)`, result: 'updated' });
    expect(rules(proxy.configs.get(bucket))).toEqual([['tmp-cleanup', 'Enabled', 'tmp/', '1'], ['djc-retention', 'Enabled', 'jobs/', '8']]);

    const forever = await setup({ DJC_RETENTION_DAYS: '0' });
    expect(forever.step).toEqual({ resource: `S3 lifecycle rule djc-retention on ${bucket}/jobs/ (none: DJC_RETENTION_DAYS=0 keeps them)`, result: 'removed' });
    expect(rules(proxy.configs.get(bucket))).toEqual([['tmp-cleanup', 'Enabled', 'tmp/', '1']]);
    expect((await setup({ DJC_RETENTION_DAYS: '0' })).step?.result).toBe('exists');
  });

  it('removes the whole configuration when its rule was the only one', async () => {
    proxy = await startLifecycleProxy(t.fauxqs.endpoint);
    const bucket = t.env.DJC_BUCKET as string;
    expect((await setup({ DJC_RETENTION_DAYS: '1' })).step?.result).toBe('created');
    expect(rules(proxy.configs.get(bucket))).toEqual([['djc-retention', 'Enabled', 'jobs/', '1']]);
    expect((await setup({ DJC_RETENTION_DAYS: '0' })).step?.result).toBe('removed');
    expect(proxy.configs.has(bucket)).toBe(false);
  });

  it('djc prune says the AWS backend expires jobs itself (exit 2)', async () => {
    const r = await t.run(['prune', '--older-than', '30d']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('djc: nothing to prune on the aws backend: it expires ended jobs itself (prune is for the local backend)');
    expect(r.stderr).toContain('hint: on AWS, ended jobs expire after DJC_RETENTION_DAYS');
  });

  it('puts the rule under DJC_BUCKET_PREFIX, where the jobs\' objects are', async () => {
    proxy = await startLifecycleProxy(t.fauxqs.endpoint);
    const bucket = t.env.DJC_BUCKET as string;
    const r = await setup({ DJC_BUCKET_PREFIX: 'team-a/' });
    expect(r.step).toEqual({ resource: `S3 lifecycle rule djc-retention on ${bucket}/team-a/jobs/ (expire after 30 days)`, result: 'created' });
    expect(rules(proxy.configs.get(bucket))).toEqual([['djc-retention', 'Enabled', 'team-a/jobs/', '30']]);
    expect((await setup({ DJC_BUCKET_PREFIX: 'team-a/' })).step?.result).toBe('exists');
  });
});
