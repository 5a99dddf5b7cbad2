#!/usr/bin/env node
// Writes data/reviews.jsonl: N (default 100,000) review records, deterministic.
// usage: node generate.mjs [records] [out-file]
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 100_000);
const file = process.argv[3] ?? join(here, 'data', 'reviews.jsonl');
mkdirSync(dirname(file), { recursive: true });

const words = ('the a an good great bad awful fine tasty cold warm slow fast friendly rude clean dirty cheap pricey ' +
  'pizza pasta coffee tea cake soup salad bread noodles curry service staff table view music place price ' +
  'would come back again never always recommend avoid love hate okay décor café crème naïve').split(' ');
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const out = createWriteStream(file);
for (let i = 0; i < n; i++) {
  const len = 3 + Math.floor(rand() * 20);
  const text = Array.from({ length: len }, () => words[Math.floor(rand() * words.length)]).join(' ');
  const line = JSON.stringify({ id: i, stars: 1 + Math.floor(rand() * 5), text }) + '\n';
  if (!out.write(line)) await new Promise((r) => out.once('drain', r));
}
out.end();
await new Promise((r) => out.on('finish', r));
process.stderr.write(`wrote ${n} records to ${file}\n`);
