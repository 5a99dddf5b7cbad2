/**
 * Where partitioning gets its S3 client for `s3://` inputs. By default one
 * client built from the environment on first use (AWS_REGION, credentials,
 * AWS_ENDPOINT_URL[_S3]: path-style with a custom endpoint); workers inherit
 * the same AWS_* variables. Tests and embedders install their own with
 * `setS3ClientFactory`.
 *
 * The SDK is imported lazily: local-only runs never load it.
 */
import type { S3Client } from '@aws-sdk/client-s3';

let factory: (() => S3Client) | undefined;
let client: S3Client | undefined;
/** True when `client` was built here from the environment (so it is ours to destroy). */
let ownClient = false;

/**
 * Sets the factory of the S3 client used for `s3://` inputs (undefined: back
 * to the client built from the environment). A client from a factory belongs
 * to the caller; the environment-built one is destroyed on replacement.
 */
export function setS3ClientFactory(next: (() => S3Client) | undefined): void {
  if (ownClient) client?.destroy();
  client = undefined;
  ownClient = false;
  factory = next;
}

/** The S3 client for input reads, built on first use. */
export async function inputS3Client(): Promise<S3Client> {
  if (client !== undefined) return client;
  if (factory !== undefined) {
    client = factory();
    return client;
  }
  // See backends/aws/index.ts: the SDK's Node-version warning is not the user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ S3Client: Client }, { tagOperations }] = await Promise.all([import('@aws-sdk/client-s3'), import('../backends/aws/operation-tag.js')]);
  if (client !== undefined) return client; // another caller won the race
  client = new Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || 8,
  });
  tagOperations(client);
  ownClient = true;
  return client;
}
