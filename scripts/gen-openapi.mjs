#!/usr/bin/env node
/**
 * Writes docs/openapi.json: the OpenAPI document of the coordinator's HTTP
 * API, generated from the routes' zod schemas (the one /v1/openapi.json
 * serves), so the checked-in copy cannot drift.
 *
 *   node scripts/gen-openapi.mjs           write it
 *   node scripts/gen-openapi.mjs --check   exit 1 if it is stale
 *
 * Reads the built packages: run `pnpm build` first.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILE = join(ROOT, 'docs/openapi.json');
const { openApiDocument } = await import(pathToFileURL(join(ROOT, 'packages/coordinator/dist/service/index.js')).href);
const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;

if (process.argv.includes('--check')) {
  const old = await readFile(FILE, 'utf8').catch(() => '');
  if (old !== text) {
    process.stderr.write('docs/openapi.json is stale: the API\'s routes or schemas changed. Run: pnpm build && pnpm gen:openapi\n');
    process.exit(1);
  }
  process.stdout.write('docs/openapi.json is up to date\n');
} else {
  await writeFile(FILE, text);
  process.stdout.write('wrote docs/openapi.json\n');
}
