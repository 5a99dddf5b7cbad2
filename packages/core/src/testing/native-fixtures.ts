/**
 * Test support for the local backend's open errors: a copy of the installed
 * better-sqlite3 package in a temp dir, without its native module, or with
 * one built for another Node.js (a real C++ addon compiled with g++ against
 * that Node's headers: /usr/include/node, or a Node fetched into .cache/node
 * by scripts/lib/ensure-node.sh), so that loading it fails the way a stale
 * build does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/** Copies better-sqlite3's JavaScript (no prebuilds, no build) to `<dir>/node_modules/better-sqlite3`; returns that path. */
export function copyBetterSqlite3(dir: string): string {
  const from = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const to = join(dir, 'node_modules', 'better-sqlite3');
  mkdirSync(to, { recursive: true });
  cpSync(join(from, 'package.json'), join(to, 'package.json'));
  cpSync(join(from, 'lib'), join(to, 'lib'), { recursive: true });
  return to;
}

function moduleVersion(includeDir: string): number | null {
  const header = join(includeDir, 'node_version.h');
  if (!existsSync(header)) return null;
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(readFileSync(header, 'utf8'));
  return m ? Number(m[1]) : null;
}

/** Node header directories on this machine whose NODE_MODULE_VERSION is not this Node's. */
export function otherNodeHeaders(): { includeDir: string; moduleVersion: number }[] {
  const cache = join(ROOT, '.cache', 'node');
  const candidates = [
    '/usr/include/node',
    '/usr/local/include/node',
    ...(existsSync(cache) ? readdirSync(cache).map((v) => join(cache, v, 'include', 'node')) : []),
  ];
  return candidates
    .map((includeDir) => ({ includeDir, moduleVersion: moduleVersion(includeDir) }))
    .filter((c): c is { includeDir: string; moduleVersion: number } => c.moduleVersion !== null && c.moduleVersion !== Number(process.versions.modules));
}

const ADDON = `#include <node.h>
static void Init(v8::Local<v8::Object> exports) {}
NODE_MODULE(better_sqlite3, Init)
`;

/** Compiles a (non-Node-API) addon against another Node's headers into `out`; returns that Node's NODE_MODULE_VERSION. */
export function compileForOtherNode(out: string): number {
  const other = otherNodeHeaders()[0];
  if (!other) {
    throw new Error(`no headers of a Node.js other than NODE_MODULE_VERSION ${process.versions.modules} here: `
      + 'scripts/test.sh fetches Node 22 and 24 (with headers) into .cache/node');
  }
  const src = `${out}.cc`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(src, ADDON);
  execFileSync('g++', ['-shared', '-fPIC', '-std=c++20', '-I', other.includeDir, src, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return other.moduleVersion;
}
