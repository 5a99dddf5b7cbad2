#!/usr/bin/env node
// Writes data/orders.csv: N (default 20,000) orders whose free-text notes hold
// commas, doubled quotes and line breaks inside quoted fields.
// usage: node generate.mjs [records] [out-file]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 20_000);
const file = process.argv[3] ?? join(here, 'data', 'orders.csv');
mkdirSync(dirname(file), { recursive: true });

const customers = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth'];
const notes = [
  '', 'leave at door', 'ring twice, then wait', 'says "fragile"', 'line one\nline two',
  'gift: wrap it, please\n"Happy birthday!"', 'café — crème brûlée', 'a,b,c\r\nd',
];
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const q = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const rows = ['id,customer,notes,amount'];
for (let i = 0; i < n; i++) {
  const amount = (Math.floor(rand() * 100000) / 100).toFixed(2);
  rows.push([i, q(customers[Math.floor(rand() * customers.length)]), q(notes[Math.floor(rand() * notes.length)]), amount].join(','));
}
writeFileSync(file, rows.join('\n') + '\n');
process.stderr.write(`wrote ${n} orders to ${file}\n`);
