/**
 * Creates the state table (`djc setup aws`, and the tests): key pk/sk, the
 * three indexes of dynamo-schema.ts, on-demand billing, TTL on `expires_at`.
 * Idempotent: an existing table is checked for the expected key and indexes
 * and left alone.
 */
import {
  CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, waitUntilTableExists,
  type CreateTableCommandInput, type DynamoDBClient, type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DjcError } from '../../errors.js';
import { aws } from './errors.js';
import { checkTableName, INDEX, TTL_ATTRIBUTE } from './dynamo-schema.js';

/** The CreateTable request for a djc state table. */
export function tableDefinition(table: string): CreateTableCommandInput {
  const attrs = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'];
  const index = (IndexName: string, hash: string, range: string, ProjectionType: 'ALL' | 'KEYS_ONLY') => ({
    IndexName,
    KeySchema: [{ AttributeName: hash, KeyType: 'HASH' as const }, { AttributeName: range, KeyType: 'RANGE' as const }],
    Projection: { ProjectionType },
  });
  return {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attrs.map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [
      index(INDEX.byStatus, 'gsi1pk', 'gsi1sk', 'KEYS_ONLY'),
      index(INDEX.byCreated, 'gsi2pk', 'gsi2sk', 'KEYS_ONLY'),
      index(INDEX.running, 'gsi3pk', 'gsi3sk', 'ALL'),
    ],
  };
}

/**
 * Creates the table if it does not exist and waits until it is ACTIVE, then
 * enables TTL on `expires_at`. Returns 'exists' if it was there already
 * (after checking its key and indexes). Takes the low-level client.
 */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<'created' | 'exists'> {
  checkTableName(table);
  const what = `DynamoDB table "${table}"`;
  let desc = await describe(client, table, what);
  const created = desc ? false : await aws(what, () => createIfMissing(client, table));
  if (desc?.TableStatus !== 'ACTIVE') {
    await aws(what, () => waitUntilTableExists({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { TableName: table }));
    desc = await describe(client, table, what);
  }
  checkShape(desc, table);
  await ensureTtl(client, table, what);
  return created ? 'created' : 'exists';
}

/** CreateTable; false if another process created it first. */
async function createIfMissing(client: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await client.send(new CreateTableCommand(tableDefinition(table)));
    return true;
  } catch (e) {
    if ((e as Error).name === 'ResourceInUseException') return false;
    throw e;
  }
}

async function describe(client: DynamoDBClient, table: string, what: string): Promise<TableDescription | null> {
  return aws(what, async () => {
    try {
      return (await client.send(new DescribeTableCommand({ TableName: table }))).Table ?? null;
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') return null;
      throw e;
    }
  });
}

function checkShape(desc: TableDescription | null, table: string): void {
  const keys = (desc?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const indexes = new Set((desc?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = Object.values(INDEX).filter((i) => !indexes.has(i));
  if (keys !== 'pk:HASH,sk:RANGE' || missing.length > 0) {
    const why = keys !== 'pk:HASH,sk:RANGE' ? `its key is ${keys || 'unknown'}, not pk/sk` : `it lacks the index(es) ${missing.join(', ')}`;
    throw new DjcError('BACKEND_UNAVAILABLE', `DynamoDB table "${table}" exists but is not a djc state table: ${why}`, {
      hint: 'choose another table name (DJC_TABLE), or delete this table and run `djc setup aws` again',
    });
  }
}

async function ensureTtl(client: DynamoDBClient, table: string, what: string): Promise<void> {
  const ttl = await aws(what, () => client.send(new DescribeTimeToLiveCommand({ TableName: table })));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return; // on `expires_at`, or on an attribute the owner chose
  await aws(what, () => client.send(new UpdateTimeToLiveCommand({
    TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
  })));
}
