/**
 * Imports a TypeScript source of this repository from a plain Node script,
 * through tsx's ESM API resolved from packages/core (where tsx is a
 * dependency): no build needed, never a stale dist/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `rel` is relative to the repository root, e.g. "packages/core/src/config/schema.ts". */
export async function importTs(rel) {
  const requireFromCore = createRequire(join(REPO_ROOT, 'packages/core/package.json'));
  const pkgJson = requireFromCore.resolve('tsx/package.json');
  const entry = JSON.parse(readFileSync(pkgJson, 'utf8')).exports['./esm/api'].import.default;
  const { tsImport } = await import(pathToFileURL(join(dirname(pkgJson), entry)).href);
  return tsImport(pathToFileURL(join(REPO_ROOT, rel)).href, import.meta.url);
}
