/**
 * `pnpm build`'s last step: compiles the worker's command spawner in C
 * (packages/worker/native/djc-spawner.c) into
 * packages/worker/dist/djc-spawner, which command-spawner.ts prefers to
 * the perl one. Linux only. No C compiler, or it fails: one line of
 * warning, no binary, and the build still succeeds (the worker then starts
 * commands through perl, else Node, as without it). `CC` names the
 * compiler (default cc). The binary is a build artefact (dist/ is ignored).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'worker');
const SOURCE = join(WORKER, 'native', 'djc-spawner.c');
const OUT = join(WORKER, 'dist', 'djc-spawner');

if (process.platform === 'linux') {
  mkdirSync(dirname(OUT), { recursive: true });
  // Into a new file, then renamed over the old one: a worker running the old binary keeps it (no ETXTBSY), a failed build leaves none.
  const tmp = `${OUT}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, SOURCE], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) {
    if (r.stderr) process.stderr.write(r.stderr);
    renameSync(tmp, OUT);
  } else {
    rmSync(tmp, { force: true });
    rmSync(OUT, { force: true });
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`);
    process.stderr.write(`warning: the C command spawner was not built (${why}); the worker starts commands through perl, else Node\n`);
  }
}
