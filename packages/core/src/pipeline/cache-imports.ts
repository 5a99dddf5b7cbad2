/**
 * A module handler's local import closure: the module file, every local
 * file it imports (static imports, re-exports, `import("./x")` with a
 * string, `require("./x")`), transitively, each with the sha256 of its
 * content; and the packages it imports, by name@version. Imports are found
 * by es-module-lexer, which reads TypeScript as well as JavaScript.
 */
import { readFile } from 'node:fs/promises';
import { DjcError } from '../errors.js';
import type { FileHash } from './cache-components.js';
import { sha256Hex } from './cache-hash.js';
import { resolveImport } from './cache-resolve.js';


export interface ModuleClosure {
  /** The module and the local files it imports, sorted by path. */
  files: FileHash[];
  /** Imported packages: name → version (null: not installed where the importer is). */
  packages: Record<string, string | null>;
  /** What the scan could not follow (an import of a computed specifier), for people. */
  warnings: string[];
}

/** Files whose imports are scanned (others, e.g. .json, are hashed only). */
const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
/** Guards against a runaway scan (a generated tree of modules). */
const MAX_FILES = 5000;
const REQUIRE = /\brequire\s*\(\s*(['"`])([^'"`$]+)\1\s*\)/g;
/** When the lexer cannot read a file (e.g. JSX): import/export … from, bare imports, import("…"). */
const FALLBACK = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g;

/** The closure of the module file `entry` (absolute). A missing entry is in the closure with sha256 null. */
export async function moduleClosure(entry: string): Promise<ModuleClosure> {
  // Loaded at first use: es-module-lexer compiles its WebAssembly when imported, which every `djc run` would pay.
  const { init, parse } = await import('es-module-lexer');
  await init;
  const files = new Map<string, string | null>();
  const packages = new Map<string, Set<string | null>>();
  const warnings: string[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (files.has(file)) continue;
    if (files.size >= MAX_FILES) {
      throw new DjcError('CONFIG_INVALID', `the import closure of ${entry} holds more than ${MAX_FILES} local files`, {
        hint: 'a handler should import its own code; import generated or vendored code as a package',
      });
    }
    const text = await readOrNull(file);
    files.set(file, text === null ? null : sha256Hex(text));
    if (text === null || !CODE.test(file)) continue;
    for (const spec of importsOf(parse, file, text.toString('utf8'), warnings)) {
      const r = await resolveImport(spec, file);
      if (r.kind === 'file' || r.kind === 'missing') queue.push(r.path);
      else if (r.kind === 'package') packages.set(r.name, (packages.get(r.name) ?? new Set()).add(r.version));
    }
  }
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { files: sorted.map(([path, sha256]) => ({ path, sha256 })), packages: packageVersions(packages), warnings };
}

/** The string specifiers `text` imports. */
function importsOf(parse: typeof import('es-module-lexer').parse, file: string, text: string, warnings: string[]): string[] {
  const specs: string[] = [];
  try {
    const [imports] = parse(text, file);
    for (const imp of imports) {
      if (imp.n !== undefined) specs.push(imp.n);
      else if (imp.d >= 0) {
        const at = text.slice(0, imp.ss).split('\n').length;
        warnings.push(`${file}:${at} imports a computed specifier: the files it loads are not in the cache key`);
      }
    }
  } catch {
    for (const m of text.matchAll(FALLBACK)) specs.push(m[2] as string);
  }
  for (const m of text.matchAll(REQUIRE)) specs.push(m[2] as string);
  return specs;
}

async function readOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw new DjcError('CONFIG_INVALID', `cannot read ${file} to compute its cache key: ${(e as Error).message}`, { cause: e });
  }
}

/** name → version, sorted by name; a package two importers see at different versions: "3.0.0, 4.17.21" (null: not installed). */
function packageVersions(found: Map<string, Set<string | null>>): Record<string, string | null> {
  const entries = [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([name, versions]) => {
    const list = [...versions];
    return [name, list.length === 1 ? (list[0] ?? null) : list.map((v) => v ?? 'not installed').sort().join(', ')];
  }));
}
