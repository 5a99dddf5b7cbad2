// fauxqs (S3 + SQS protocols, in memory) in a process of its own, for tests
// and benchmarks: listens on 127.0.0.1 and a free port, prints its endpoint
// on stdout, and stops itself on SIGTERM or when its parent goes away (its
// stdin closes). Out of the test process, an error inside the server (e.g. a
// client killed mid-upload) cannot fail an unrelated test.
import { buildApp } from 'fauxqs';

const app = buildApp({ logger: false });
const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${endpoint}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await app.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('close', stop);
process.stdin.resume();
