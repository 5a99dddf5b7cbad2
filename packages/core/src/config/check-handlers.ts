/**
 * Checks of what a job will run, made before any task runs (`djc validate`,
 * `run`, `submit`): the handler module and the reducer are loaded in a child
 * process (module-probe.ts) to see that they compile and export the named
 * functions; a command's program is looked up (command-check.ts).
 *
 * A missing command program is an error with the local dispatcher, whose
 * workers run here, and a warning with slurm or external workers, which run
 * elsewhere (a program may exist only on the compute nodes, e.g. after a
 * `module load`). A module that takes longer than the probe's timeout to
 * load is a warning: slow is not broken, and its exports stay unchecked.
 */
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseModuleRef } from '../util/import-module.js';
import { commandProgram, lookupProgram, type ProgramLookup } from './command-check.js';
import type { PathSeg } from './describe.js';
import type { RawIssue } from './issues.js';
import { probeModules, type ProbeOutcome } from './module-probe.js';
import type { JobConfig } from './schema.js';

export interface HandlerChecks {
  issues: RawIssue[];
  warnings: RawIssue[];
}

/**
 * `config` has absolute paths (resolveConfigPaths); `env` is the environment
 * workers would inherit; `cacheDir` remembers modules found good (module-probe-cache.ts).
 */
export async function checkHandlers(config: JobConfig, baseDir: string, env: NodeJS.ProcessEnv, cacheDir?: string): Promise<HandlerChecks> {
  const out: HandlerChecks = { issues: [], warnings: [] };
  const [modules, command] = await Promise.all([checkModules(config, baseDir, env, cacheDir), checkCommand(config, baseDir, env)]);
  for (const c of [...modules, ...command]) (c.warning ? out.warnings : out.issues).push(c.issue);
  return out;
}

interface Finding {
  issue: RawIssue;
  warning: boolean;
}

const at = (path: PathSeg[], message: string, warning = false): Finding => ({ issue: { path, anchor: 'value', message }, warning });

async function checkModules(config: JobConfig, baseDir: string, env: NodeJS.ProcessEnv, cacheDir: string | undefined): Promise<Finding[]> {
  const keys: Array<[PathSeg[], string | undefined]> = [[['handler', 'module'], config.handler.module], [['output', 'reduce'], config.output.reduce]];
  const wanted: Array<{ path: PathSeg[]; ref: string }> = [];
  for (const [path, ref] of keys) {
    // Missing or odd files are reported by checkFilesExist; URLs are not loaded here.
    if (ref !== undefined && (await isRegularFile(parseModuleRef(ref).file))) wanted.push({ path, ref });
  }
  if (wanted.length === 0) return [];
  const outcomes = await probeModules([...new Set(wanted.map((w) => w.ref))], { cwd: baseDir, env, ...(cacheDir === undefined ? {} : { cacheDir }) });
  const byRef = new Map(outcomes.map((o) => [o.ref, o]));
  return wanted.flatMap(({ path, ref }) => {
    const o = byRef.get(ref);
    return o === undefined ? [] : findingOf(path, o, shownFile(baseDir, parseModuleRef(ref).file));
  });
}

function findingOf(path: PathSeg[], o: ProbeOutcome, file: string): Finding[] {
  switch (o.status) {
    case 'ok':
      return [];
    case 'missing':
      return [at(path, `${file} ${o.message}; ${o.hint}`)];
    case 'timeout':
      return [at(path, `${file}: ${o.message}, so its exports were not checked (a top-level await that never settles, or slow imports?); `
        + 'DJC_MODULE_CHECK_TIMEOUT sets the limit', true)];
    case 'failed':
      return [at(path, `${file} ${o.message}`)];
    default:
      return [at(path, `${file}: ${o.message}`)];
  }
}

async function checkCommand(config: JobConfig, baseDir: string, env: NodeJS.ProcessEnv): Promise<Finding[]> {
  const command = config.handler.command;
  const program = command === undefined ? null : commandProgram(command);
  if (program === null) return [];
  const found = await lookupProgram(program, baseDir, config.handler.env.PATH ?? env.PATH);
  if (found.found) return [];
  const dispatcher = config.compute.dispatcher;
  const elsewhere = dispatcher !== 'local';
  const where = elsewhere ? `; with dispatcher ${dispatcher} it must exist on the machines the workers run on` : '';
  return [at(['handler', 'command'], `${programProblem(program, found)}${where}`, elsewhere)];
}

function programProblem(program: string, found: Exclude<ProgramLookup, { found: true }>): string {
  if (found.reason === 'not-a-file') return `"${program}" is not a file (${found.where})`;
  if (found.reason === 'not-executable') {
    return `"${program}" is not executable (${found.where}): chmod +x it, or run it through its interpreter (e.g. python3 ${program})`;
  }
  if (program.includes('/')) return `"${program}" not found (looked for ${found.where}; relative to the job file's directory, where commands run)`;
  return `"${program}" is not a program on PATH: install it, fix its name, or give its path`;
}

/** "./count.ts" for a file under the job's directory, else the absolute path. */
function shownFile(baseDir: string, file: string): string {
  const rel = relative(baseDir, file);
  return rel.startsWith('..') ? file : `./${rel}`;
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
