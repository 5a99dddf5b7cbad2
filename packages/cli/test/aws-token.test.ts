/**
 * `djc token` on the AWS backend (DynamoDB Local + fauxqs): the same
 * commands, output and exit codes as on the local home, and the table
 * holds only the token's sha256.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dynamoScanAll } from '../../core/src/testing/aws-probes.js';
import { useAwsBackend } from './aws-backend.js';

const aws = useAwsBackend('djc-aws-token-');

describe('djc token on the aws backend', () => {
  it('creates, lists and revokes tokens; the table holds the hash, never the token', async () => {
    const created = await aws.run(['token', 'create', '--scope', 'admin', '--name', 'ops', '--expires', '12h']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const id = /^djc_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token)?.[1] as string;
    expect(created.stderr).toContain(`created API token "ops" (id ${id}, scope admin, expires `);
    expect(created.stderr).toContain(`in DynamoDB table ${aws.env.DJC_TABLE}`);

    const scan = JSON.stringify(await dynamoScanAll(aws.dynamo.endpoint, aws.env.DJC_TABLE as string));
    expect(scan).toContain(createHash('sha256').update(token).digest('hex'));
    expect(scan).not.toContain(token.slice(17));

    expect((await aws.run(['token', 'create', '--scope', 'read', '--name', 'ops'])).code).toBe(2);
    const list = JSON.parse((await aws.run(['--json', 'token', 'list'])).stdout) as { tokens: Array<{ id: string; name: string; scope: string; state: string }> };
    expect(list.tokens.map((t) => [t.id, t.name, t.scope, t.state])).toEqual([[id, 'ops', 'admin', 'active']]);

    expect(await aws.run(['token', 'revoke', 'ops'])).toMatchObject({ code: 0, stdout: `revoked API token "ops" (id ${id})\n` });
    expect((await aws.run(['token', 'revoke', 'ops'])).code).toBe(4);
    expect((await aws.run(['token', 'list'])).stdout).toMatch(new RegExp(`^${id}\\s+ops\\s+admin\\s+revoked\\s`, 'm'));
    expect((await aws.run(['token', 'create', '--scope', 'read', '--name', 'ops'])).code).toBe(0);
  });
});
