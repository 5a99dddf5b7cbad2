import { CommanderError } from 'commander';
import { asDiskFull, DjcError, EXIT, exitCodeFor } from '@djc/core/errors';

/**
 * Prints an error the way every command does — one clear line (plus a hint),
 * or {"error":{…}} on stderr under --json; the stack only with --verbose —
 * and returns the documented exit code.
 */
export function reportError(thrown: unknown, opts: { json?: boolean; verbose?: boolean }): number {
  // A write that found no space anywhere (e.g. the result file's disk) is said as such, exit 3, not as a bug.
  const e = asDiskFull(thrown, `(${(thrown as Error)?.message ?? String(thrown)})`);
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return EXIT.OK;
    return EXIT.USAGE; // commander already printed the message
  }
  const code = exitCodeFor(e);
  const err = e instanceof DjcError ? e : null;
  const message = err ? err.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  const hint = err?.hint ?? (code === EXIT.INTERNAL
    ? 'this is a bug in djc: please report it with the output of the same command run with --verbose'
    : undefined);
  if (opts.json) {
    const doc = { error: { code: err?.code ?? 'INTERNAL', message, ...(hint ? { hint } : {}), ...(err?.details ? { details: err.details } : {}) } };
    process.stderr.write(`${JSON.stringify(doc)}\n`);
  } else {
    process.stderr.write(`djc: ${message}\n`);
    if (hint) process.stderr.write(`  hint: ${hint}\n`);
    if (opts.verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  }
  return code;
}
