/**
 * The local backend's SQLite driver as a user meets it: DJC_SQLITE_DRIVER,
 * the fallback to better-sqlite3 where node:sqlite is missing (here: turned
 * off with --no-experimental-sqlite), and the open errors that tell a locked
 * database and an unwritable DJC_HOME apart (the other causes:
 * core/src/backends/local/open-errors.test.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { djc, djcStart, readJsonl, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-sqlite-');

/** 40 records in batches of 10, squared by a module handler on 2 workers. */
function job(): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 40 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), 'export function handle(records) { return records.map((r) => ({ n: r.n, sq: r.n * r.n })); }\n');
  writeFileSync(join(box.dir, 'job.yaml'), `name: drivers
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
}

const squares = Array.from({ length: 40 }, (_, n) => ({ n, sq: n * n }));
const withEnv = (env: Record<string, string>) => (args: string[]) => djc(args, { cwd: box.dir, home: box.home, env });

describe('DJC_SQLITE_DRIVER', () => {
  it.each(['node', 'better-sqlite3'])('%s: a job runs end to end (coordinator and workers on that driver)', async (driver) => {
    job();
    const r = await withEnv({ DJC_SQLITE_DRIVER: driver })(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 4, succeeded: 4 } });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(squares);
  });

  it('without node:sqlite (node --no-experimental-sqlite) djc falls back to better-sqlite3; asking for node then says why not', async () => {
    job();
    const noNodeSqlite = { NODE_OPTIONS: '--no-experimental-sqlite' };
    const r = await withEnv(noNodeSqlite)(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(squares);
    const asked = await withEnv({ ...noNodeSqlite, DJC_SQLITE_DRIVER: 'node' })(['list']);
    expect(asked.code).toBe(3);
    expect(asked.stderr).toBe(`djc: cannot open the local backend at ${box.home}: node:sqlite is not available in Node.js `
      + `${process.version}: it was turned off (--no-experimental-sqlite?)\n`
      + '  hint: run djc with Node 22.15+ or 24 and node:sqlite on, or use the other driver: DJC_SQLITE_DRIVER=better-sqlite3\n');
  });

  it('an unknown value is a usage error (exit 2) that lists the choices', async () => {
    const r = await withEnv({ DJC_SQLITE_DRIVER: 'sqlite3' })(['list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('djc: DJC_SQLITE_DRIVER is "sqlite3"\n'
      + '  hint: set DJC_SQLITE_DRIVER to node (built into Node 22.15+), better-sqlite3, or auto (or unset it)\n');
  });
});

describe('DJC_WAL_CHECKPOINTER', () => {
  it('on: while djc run coordinates, its checkpointer empties the WAL once commits pause; off: the WAL keeps its frames until a commit crosses the threshold', async () => {
    job();
    // One task that watches the WAL for up to 8 s while its own commits pause (a heartbeat is 10 s away) and reports
    // the smallest size it saw. djc run still commits now and then (its job row), so one look could land just
    // after such a commit: the checkpointer empties the WAL between them, which only a watch sees reliably.
    writeFileSync(join(box.dir, 'wal.yaml'), `name: wal
input: { path: in.jsonl, batch: { records: 40 } }
handler:
  command: 'cat >/dev/null; min=; for i in $(seq 40); do s=$(stat -c %s "$DJC_HOME/djc.sqlite-wal"); if [ -z "$min" ] || [ "$s" -lt "$min" ]; then min=$s; fi; [ "$s" = 0 ] && break; sleep 0.2; done; echo "{\\"walBytes\\": $min}"'
compute: { workers: 1 }
output: { path: wal.jsonl }
`);
    const walBytes = async (env: Record<string, string>) => {
      const r = await withEnv(env)(['run', 'wal.yaml', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', records: { processed: 40 } });
      return (readJsonl(join(box.dir, 'wal.jsonl'))[0] as { walBytes: number }).walBytes;
    };
    expect(await walBytes({ DJC_WAL_CHECKPOINTER: 'on' })).toBe(0);
    expect(await walBytes({})).toBeGreaterThan(0);
  });
});

describe("djc run's exit", () => {
  type Status = { status: string; tasks: { total: number; succeeded: number }; records: { processed: number } };
  const expectDone = async (env: Record<string, string>, jobs: number) => {
    const status = await withEnv(env)(['status', 'last', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 4, succeeded: 4 }, records: { processed: 40 } });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(squares);
    // The home takes another run, and lists every job, each as it ended.
    const again = await withEnv(env)(['run', 'job.yaml', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const list = await withEnv(env)(['list', '--json']);
    const listed = (JSON.parse(list.stdout) as { jobs: Status[] }).jobs;
    expect(listed.map((j) => j.status)).toEqual(Array.from({ length: jobs + 1 }, () => 'SUCCEEDED'));
  };

  it.each(['node', 'better-sqlite3'])('%s: it leaves the WAL unmerged (no checkpoint at exit); status, results and a new run read every commit from it', async (driver) => {
    job();
    const env = { DJC_SQLITE_DRIVER: driver };
    const r = await withEnv(env)(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 4, succeeded: 4 } });
    // Closed as the last connection, SQLite would have copied the WAL into the file and deleted it.
    expect(statSync(join(box.home, 'djc.sqlite-wal')).size).toBeGreaterThan(0);
    await expectDone(env, 1);
  });

  it('killed (SIGKILL) as soon as its job has ended: nothing committed is lost; status, results and the next run are as after a clean exit', async () => {
    job();
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home });
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const dbFile = join(box.home, 'djc.sqlite');
    let ended = false;
    while (!ended && run.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 5));
      if (!existsSync(dbFile)) continue;
      const db = new DatabaseSync(dbFile, { readOnly: true });
      try {
        ended = (db.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'SUCCEEDED'").get() as { n: number }).n === 1;
      } catch {
        // the schema is not there yet
      } finally {
        db.close();
      }
    }
    run.child.kill('SIGKILL');
    await run.done;
    await expectDone({}, 1);
  });
});

describe('open errors', () => {
  let holder: ChildProcess | null = null;
  let undo: (() => void) | null = null;
  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = null;
    undo?.();
    undo = null;
  });

  /** Another process opens the home's database and keeps its write lock (BEGIN IMMEDIATE) until killed. */
  async function holdWriteLock(file: string): Promise<ChildProcess> {
    const script = `const db = new (require('node:sqlite').DatabaseSync)(${JSON.stringify(file)});
db.exec('BEGIN IMMEDIATE'); console.log('locked'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
    });
    return child;
  }

  it('a database locked by another process for the whole wait: reads go on; a write names that process (exit 3; details under --json)', async () => {
    job();
    expect((await box.run(['run', 'job.yaml'])).code).toBe(0); // the home, with a job
    holder = await holdWriteLock(join(box.home, 'djc.sqlite'));
    // A read takes no lock (WAL): it answers while the lock is held.
    const list = await box.run(['list', '-q']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const r = await box.run(['run', 'job.yaml']);
    expect(r.code).toBe(3);
    const line = r.stderr.split('\n').find((l) => l.startsWith('djc: cannot write'));
    expect(line?.startsWith(`djc: cannot write to the local backend at ${box.home}: ${join(box.home, 'djc.sqlite')} stayed locked while `
      + `writing: held by process ${holder.pid} (${process.execPath} -e const db = new (require('node:sqlite')`), r.stderr).toBe(true);
    expect(r.stderr).toContain('\n  hint: wait for it to finish and retry; djc holds the lock for milliseconds, so a long hold is a stuck or paused '
      + `process: stop it (kill ${holder.pid})`);
    const json = await box.run(['run', 'job.yaml', '--json']);
    expect(json.code).toBe(3);
    const err = (JSON.parse(json.stderr.trim().split('\n').at(-1) as string) as { error: { code: string; details: { reason: string; holders: { pid: number }[] } } }).error;
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.details.reason).toBe('locked');
    expect(err.details.holders.map((h) => h.pid)).toEqual([holder.pid]);
  }, 60_000);

  /** Makes `dir` unwritable for real: chmod for a normal user; as root (whom modes do not stop), chattr +i. */
  function makeUnwritable(dir: string): string {
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o555);
      undo = () => chmodSync(dir, 0o755);
      return 'permission denied (EACCES)';
    }
    const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chattr +i ${dir} failed (${r.stderr.trim()}): this test needs a file system with the immutable flag`);
    undo = () => spawnSync('chattr', ['-i', dir]);
    return 'operation not permitted (an immutable directory, or a policy) (EPERM)';
  }

  it('an unwritable DJC_HOME is named as such, with how to fix it (exit 3, no stack trace)', async () => {
    job();
    mkdirSync(box.home);
    const why = makeUnwritable(box.home);
    const r = await box.run(['run', 'job.yaml']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`djc: cannot open the local backend at ${box.home}: cannot create files in ${box.home}: ${why}\n`
      + `  hint: make ${box.home} writable by this user (see ls -ld ${box.home}; chown or chmod it), or point DJC_HOME (or --home) at a writable directory\n`);
    const below = await djc(['run', 'job.yaml'], { cwd: box.dir, home: join(box.home, 'sub') });
    expect(below.code).toBe(3);
    expect(below.stderr).toContain(`cannot open the local backend at ${join(box.home, 'sub')}: cannot create files in ${box.home}: ${why}`);
  });
});
