#!/usr/bin/env node
// Writes data/samples.jsonl: N (default 20,000) labelled samples {x, label}, deterministic:
// label is 1 when x plus some noise is above 0.55.
// usage: node generate.mjs [records] [out-file]
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 20_000);
const file = process.argv[3] ?? join(here, 'data', 'samples.jsonl');
mkdirSync(dirname(file), { recursive: true });
let seed = 11;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const out = createWriteStream(file);
for (let i = 0; i < n; i++) {
  const x = Math.round(rand() * 1000) / 1000;
  const label = x + (rand() - 0.5) * 0.3 > 0.55 ? 1 : 0;
  if (!out.write(`${JSON.stringify({ x, label })}\n`)) await new Promise((r) => out.once('drain', r));
}
out.end();
await new Promise((r) => out.on('finish', r));
process.stderr.write(`wrote ${n} samples to ${file}\n`);
