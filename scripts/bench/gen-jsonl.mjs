/**
 * Writes a JSONL file of about `mib` MiB: records of 100–300 bytes (varied
 * text length), deterministic (seeded PRNG), built in 8 MiB buffers.
 * Usage: node gen-jsonl.mjs OUT [MiB]   (prints {"bytes","records"})
 */
import { open } from 'node:fs/promises';
import { seededRandom } from './lib.mjs';

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat'.split(' ');

/** A pool of texts of every length the records need, so records are built by concatenation only. */
function textPool(rand) {
  let s = '';
  while (s.length < 1 << 16) s += `${WORDS[Math.floor(rand() * WORDS.length)]} `;
  return s;
}

export async function generateJsonl(out, mib) {
  const rand = seededRandom(42);
  const pool = textPool(rand);
  const target = mib * 1024 * 1024;
  const fh = await open(out, 'w');
  let bytes = 0;
  let records = 0;
  try {
    while (bytes < target) {
      const parts = [];
      let chunk = 0;
      while (chunk < 8 << 20 && bytes + chunk < target) {
        // The fixed part is 45–60 bytes; the text makes the record 100–300 bytes.
        const len = 55 + Math.floor(rand() * 190);
        const at = Math.floor(rand() * (pool.length - len));
        const line = `{"id":${records},"user":"u${records % 9973}","score":${(rand() * 100).toFixed(2)},"text":"${pool.slice(at, at + len)}"}\n`;
        parts.push(line);
        chunk += line.length;
        records += 1;
      }
      await fh.write(parts.join(''));
      bytes += chunk;
    }
  } finally {
    await fh.close();
  }
  return { bytes, records };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, mib = '500'] = process.argv.slice(2);
  if (!out) {
    process.stderr.write('usage: node gen-jsonl.mjs OUT [MiB]\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await generateJsonl(out, Number(mib)))}\n`);
}
