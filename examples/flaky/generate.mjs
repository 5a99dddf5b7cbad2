#!/usr/bin/env node
// Writes data/numbers.jsonl: the numbers 1..N (default 1,000), one per line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 1000);
const file = process.argv[3] ?? join(here, 'data', 'numbers.jsonl');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, Array.from({ length: n }, (_, i) => `${i + 1}\n`).join(''));
process.stderr.write(`wrote ${n} numbers to ${file}\n`);
