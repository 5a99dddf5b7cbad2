/**
 * The local backend's open errors, each cause made real: a better-sqlite3
 * copy built for another Node, one with no native module, none at all, a
 * home under a file, a file that is not SQLite. (Locked and unwritable homes
 * are driven through the CLI: packages/cli/test/local-open-errors.test.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DjcError } from '../../errors.js';
import { tempDir } from '../../testing/fixtures.js';
import { compileForOtherNode, copyBetterSqlite3 } from '../../testing/native-fixtures.js';
import { openBackend } from '../open.js';
import { createLocalBackend, type LocalBackendOptions } from './index.js';
import { explainOpenError } from './open-errors.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function sandbox(): Promise<string> {
  const tmp = await tempDir('djc-open-');
  cleanups.push(tmp.cleanup);
  return tmp.dir;
}

/** The error a user would get for createLocalBackend(opts), as openBackend explains it. */
function openError(opts: LocalBackendOptions): DjcError {
  try {
    const backend = createLocalBackend(opts);
    void backend.close();
  } catch (e) {
    return explainOpenError(e, opts.home);
  }
  throw new Error('the backend opened');
}

describe('local backend open errors: each cause with its own fix', () => {
  it('better-sqlite3 built for another Node.js: names both NODE_MODULE_VERSIONs; fix: rebuild, or the node driver', async () => {
    const dir = await sandbox();
    const pkg = copyBetterSqlite3(dir);
    const builtFor = compileForOtherNode(join(pkg, 'build', 'Release', 'better_sqlite3.node'));
    const e = openError({ home: join(dir, 'home'), driver: 'better-sqlite3', betterSqlite3Dir: pkg });
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.details).toEqual({ reason: 'abi' });
    expect(e.message).toBe(`cannot open the local backend at ${join(dir, 'home')}: better-sqlite3's native module was built for another `
      + `Node.js (NODE_MODULE_VERSION ${builtFor}; Node ${process.version} needs ${process.versions.modules})`);
    expect(e.hint).toMatch(/^rebuild it with this Node: pnpm rebuild better-sqlite3 .*DJC_SQLITE_DRIVER=node$/);
  }, 120_000); // g++ compiles the addon: a few seconds, more on a loaded machine

  it('better-sqlite3 installed without a native module: fix: build it (allowing its build), or the node driver', async () => {
    const dir = await sandbox();
    const pkg = copyBetterSqlite3(dir);
    const e = openError({ home: join(dir, 'home'), driver: 'better-sqlite3', betterSqlite3Dir: pkg });
    expect(e.details).toEqual({ reason: 'native-missing' });
    expect(e.message).toContain(`better-sqlite3 has no usable native module for ${process.platform}-${process.arch}: Cannot find module`);
    expect(e.message).toContain('better_sqlite3.node');
    expect(e.hint).toMatch(/pnpm rebuild better-sqlite3 .*onlyBuiltDependencies.*DJC_SQLITE_DRIVER=node$/);
  });

  it('better-sqlite3 asked for but not installed: fix: install the optional dependency, or the node driver', async () => {
    const dir = await sandbox();
    const e = openError({ home: join(dir, 'home'), driver: 'better-sqlite3', betterSqlite3Dir: join(dir, 'node_modules', 'better-sqlite3') });
    expect(e.details).toEqual({ reason: 'not-installed' });
    expect(e.message).toMatch(/better-sqlite3 is not installed/);
    expect(e.hint).toMatch(/pnpm install .*DJC_SQLITE_DRIVER=node$/);
  });

  it('DJC_HOME under a regular file: not a directory, named', async () => {
    const dir = await sandbox();
    writeFileSync(join(dir, 'file'), 'x');
    const home = join(dir, 'file', 'home');
    const e = await openBackend({ home }).then(() => null, (err: unknown) => err as DjcError);
    expect(e?.code).toBe('BACKEND_UNAVAILABLE');
    expect(e?.details).toEqual({ reason: 'not-a-directory' });
    expect(e?.message).toBe(`cannot open the local backend at ${home}: ${join(dir, 'file')} is not a directory, so DJC_HOME ${home} cannot be one`);
  });

  it('djc.sqlite that is not an SQLite file: named, with what to do', async () => {
    const dir = await sandbox();
    mkdirSync(join(dir, 'home'));
    writeFileSync(join(dir, 'home', 'djc.sqlite'), 'not a database, just text that is long enough to have a header '.repeat(20));
    const e = await openBackend({ home: join(dir, 'home') }).then(() => null, (err: unknown) => err as DjcError);
    expect(e?.details).toEqual({ reason: 'not-a-database' });
    expect(e?.message).toMatch(/djc\.sqlite is not an SQLite database/);
    expect(e?.hint).toMatch(/move that file away/);
  });

  it('a bad DJC_SQLITE_DRIVER stays a usage error (exit 2), not a backend one', async () => {
    const dir = await sandbox();
    vi.stubEnv('DJC_SQLITE_DRIVER', 'postgres');
    try {
      const e = await openBackend({ home: dir }).then(() => null, (err: unknown) => err as DjcError);
      expect(e?.code).toBe('USAGE');
      expect(e?.message).toBe('DJC_SQLITE_DRIVER is "postgres"');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
