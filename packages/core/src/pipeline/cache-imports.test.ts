import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './cache-hash.js';
import { moduleClosure } from './cache-imports.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-closure-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

/** The closure's files, relative to the test directory; null sha256 shown as 'missing'. */
async function closureOf(entry: string) {
  const c = await moduleClosure(join(dir, entry));
  return {
    files: c.files.map((f) => (f.sha256 === null ? `${f.path.slice(dir.length + 1)} (missing)` : f.path.slice(dir.length + 1))),
    packages: c.packages,
    warnings: c.warnings.map((w) => w.slice(dir.length + 1)),
  };
}

describe('moduleClosure: the local files a module imports, transitively', () => {
  const cases: Array<{ name: string; files: Record<string, string>; entry?: string; want: string[] }> = [
    { name: 'a static import', files: { 'h.ts': 'import { a } from "./a.ts";', 'a.ts': 'export const a = 1;' }, want: ['a.ts', 'h.ts'] },
    { name: 'a type-only import (kept: erring towards a re-run)', files: { 'h.ts': 'import type { A } from "./a.ts";', 'a.ts': 'export type A = 1;' }, want: ['a.ts', 'h.ts'] },
    { name: 're-exports', files: { 'h.ts': 'export * from "./a.js"; export { b } from "./b.mjs";', 'a.js': '', 'b.mjs': 'export const b = 2;' }, want: ['a.js', 'b.mjs', 'h.ts'] },
    { name: 'a dynamic import of a string', files: { 'h.ts': 'export default async () => (await import("./lazy.ts")).x;', 'lazy.ts': 'export const x = 1;' }, want: ['h.ts', 'lazy.ts'] },
    { name: 'a dynamic import of a plain template', files: { 'h.ts': 'await import(`./t.js`);', 't.js': '' }, want: ['h.ts', 't.js'] },
    { name: 'a side-effect import', files: { 'h.ts': 'import "./setup.ts";', 'setup.ts': '' }, want: ['h.ts', 'setup.ts'] },
    { name: 'require in CommonJS', entry: 'h.cjs', files: { 'h.cjs': 'const u = require("./u.cjs"); module.exports = u;', 'u.cjs': 'module.exports = 1;' }, want: ['h.cjs', 'u.cjs'] },
    { name: '"./x.js" written for ./x.ts (NodeNext style, as tsx resolves it)', files: { 'h.ts': 'import "./x.js";', 'x.ts': '' }, want: ['h.ts', 'x.ts'] },
    { name: 'an extensionless specifier', files: { 'h.ts': 'import "./lib/util";', 'lib/util.ts': '' }, want: ['h.ts', 'lib/util.ts'] },
    { name: 'a directory\'s index file', files: { 'h.ts': 'import "./lib";', 'lib/index.ts': 'import "../shared.js";', 'shared.js': '' }, want: ['h.ts', 'lib/index.ts', 'shared.js'] },
    { name: 'a JSON import (hashed, not scanned)', files: { 'h.ts': 'import cfg from "./cfg.json" with { type: "json" };', 'cfg.json': '{"import": "./nope.ts"}' }, want: ['cfg.json', 'h.ts'] },
    { name: 'transitive imports and a cycle', files: { 'h.ts': 'import "./a.ts";', 'a.ts': 'import "./b.ts";', 'b.ts': 'import "./a.ts"; import "./h.ts";' }, want: ['a.ts', 'b.ts', 'h.ts'] },
    { name: 'a missing local import (creating it changes the key)', files: { 'h.ts': 'import "./gone.ts";' }, want: ['gone.ts (missing)', 'h.ts'] },
    { name: 'a file the lexer cannot read (JSX): imports found by the fallback', entry: 'h.tsx', files: { 'h.tsx': 'import { v } from "./v.ts";\nexport const el = <div a={v}>{"}"}</div>;', 'v.ts': '' }, want: ['h.tsx', 'v.ts'] },
    { name: 'builtins and packages are not files', files: { 'h.ts': 'import fs from "node:fs"; import path from "path"; import z from "zod";' }, want: ['h.ts'] },
  ];
  it.each(cases)('$name', async ({ files, entry, want }) => {
    await tree(files);
    expect((await closureOf(entry ?? 'h.ts')).files).toEqual(want);
  });

  it('hashes each file\'s content: editing an imported file changes only its hash', async () => {
    await tree({ 'h.ts': 'import "./a.ts";', 'a.ts': 'export const a = 1;' });
    const before = await moduleClosure(join(dir, 'h.ts'));
    await writeFile(join(dir, 'a.ts'), 'export const a = 2;');
    const after = await moduleClosure(join(dir, 'h.ts'));
    expect(before.files.map((f) => f.sha256)).toEqual([sha256Hex('export const a = 1;'), sha256Hex('import "./a.ts";')]);
    expect(after.files.map((f) => f.sha256)).toEqual([sha256Hex('export const a = 2;'), sha256Hex('import "./a.ts";')]);
  });

  it('names packages by name@version from the nearest node_modules, and scoped packages by scope/name', async () => {
    await tree({
      'h.ts': 'import _ from "lodash/fp"; import { z } from "@acme/schema/v2"; import "missing-pkg"; import "./sub/u.ts";',
      'sub/u.ts': 'import "lodash";',
      'sub/node_modules/lodash/package.json': '{"name":"lodash","version":"3.0.0"}',
      'node_modules/lodash/package.json': '{"name":"lodash","version":"4.17.21"}',
      'node_modules/@acme/schema/package.json': '{"name":"@acme/schema","version":"2.1.0"}',
    });
    const c = await closureOf('h.ts');
    expect(c.files).toEqual(['h.ts', 'sub/u.ts']);
    // h.ts sees lodash 4.17.21, sub/u.ts its own 3.0.0: both are in the key
    expect(Object.keys(c.packages)).toEqual(['@acme/schema', 'lodash', 'missing-pkg']);
    expect(c.packages['@acme/schema']).toBe('2.1.0');
    expect(c.packages['missing-pkg']).toBeNull();
    expect(c.packages.lodash).toBe('3.0.0, 4.17.21');
  });

  it('says when an import\'s specifier is computed (its files cannot be in the key)', async () => {
    await tree({ 'h.ts': 'const name = "./a.ts";\nexport default async () => import(name);' });
    expect((await closureOf('h.ts')).warnings).toEqual(['h.ts:2 imports a computed specifier: the files it loads are not in the cache key']);
  });

  it('a missing entry module is in the closure as missing', async () => {
    expect((await closureOf('nope.ts')).files).toEqual(['nope.ts (missing)']);
  });
});
