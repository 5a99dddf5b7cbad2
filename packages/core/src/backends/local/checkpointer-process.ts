/**
 * The WAL checkpointer (checkpointer.ts) as a child process instead of a
 * thread: `DJC_WAL_CHECKPOINTER=process`. The same loop (checkpoint-loop.ts)
 * on its own connection, but its V8 heap and its fsyncs are not the
 * coordinator's: a thread added 10-16 MiB to the coordinator's RSS (the
 * daemon's 1M prepare peaked over 150 MiB with it). The child's own RSS is
 * ~35-45 MiB (a Node process with one SQLite connection), reported apart.
 *
 * Its lifecycle (checkpointer-child.ts): one per database file (a pid file
 * it takes before it starts, so a second waits for the first to end); it
 * stops when asked (stop(): a stop file it looks for at each look), or by
 * itself when its parent is gone (killed, even by SIGKILL) at its next
 * look. stdout carries its messages; stderr is dropped.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHECKPOINT_SETTINGS } from './checkpoint-loop.js';
import type { CheckpointerChildData } from './checkpointer-child.js';
import { checkpointerLink, type Checkpointer, type CheckpointerMessage, type CheckpointerOptions } from './checkpointer.js';

export interface ProcessCheckpointer extends Checkpointer {
  /** The child's pid (for its RSS and CPU in reports). */
  pid: number | undefined;
}

export function startCheckpointerProcess(o: CheckpointerOptions): ProcessCheckpointer {
  const stopFile = join(tmpdir(), `djc-checkpointer-stop-${process.pid}-${randomBytes(4).toString('hex')}`);
  const data: CheckpointerChildData = {
    file: o.file, driver: o.driver, betterSqlite3Dir: o.betterSqlite3Dir,
    settings: { ...CHECKPOINT_SETTINGS, ...o.settings }, stopFile, parentPid: process.pid,
  };
  const entry = childEntry();
  // A few MiB of heap: it holds one connection and a loop.
  const child = spawn(process.execPath, [...entry.execArgv, '--max-old-space-size=16', '--max-semi-space-size=1', entry.file, JSON.stringify(data)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // An exiting process does not wait for it: it notices its parent is gone and ends by itself.
  child.unref();
  const out = child.stdout as NodeJS.ReadableStream & { unref?(): void; ref?(): void };
  out.unref?.();
  const link = checkpointerLink(o);
  let buffered = '';
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let m: CheckpointerMessage;
      try {
        m = JSON.parse(line) as CheckpointerMessage;
      } catch {
        continue;
      }
      link.message(m);
    }
  });
  child.on('error', (e) => o.onError?.(e.message));
  const exited = new Promise<void>((resolve) => child.once('close', () => {
    link.ended();
    rmSync(stopFile, { force: true });
    resolve();
  }));
  return {
    pid: child.pid,
    ready: link.ready,
    stop: async () => {
      // Waited for now: the last TRUNCATE and close.
      child.ref();
      out.ref?.();
      if (child.exitCode === null && child.signalCode === null) writeFileSync(stopFile, '');
      await exited;
      return link.stats();
    },
  };
}

/** The child's entry: the built .js next to this file (also from the CLI bundle), or from TypeScript sources (tests) the .ts through tsx. */
function childEntry(): { file: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./checkpointer-child${ts ? '.ts' : '.js'}`, import.meta.url));
  if (!ts) return { file, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file, execArgv: ['--import', tsx] };
}
