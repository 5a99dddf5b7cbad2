#!/usr/bin/env node
// Writes data/orders.csv: N (default 50,000) orders, deterministic.
// usage: node generate.mjs [records] [out-file]
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 50_000);
const file = process.argv[3] ?? join(here, 'data', 'orders.csv');
mkdirSync(dirname(file), { recursive: true });

const regions = ['north', 'south', 'east', 'west'];
const products = ['pizza', 'pasta', 'coffee', 'tea', 'cake', 'soup', 'salad', 'bread'];
const statuses = ['paid', 'paid', 'paid', 'paid', 'refunded', 'cancelled'];
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const out = createWriteStream(file);
out.write('order_id,region,product,qty,unit_price_cents,status\n');
for (let i = 0; i < n; i++) {
  const line = `${i},${pick(regions)},${pick(products)},${1 + Math.floor(rand() * 5)},${100 + Math.floor(rand() * 900)},${pick(statuses)}\n`;
  if (!out.write(line)) await new Promise((r) => out.once('drain', r));
}
out.end();
await new Promise((r) => out.on('finish', r));
process.stderr.write(`wrote ${n} orders to ${file}\n`);
