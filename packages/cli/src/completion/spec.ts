/**
 * What shell completion knows about `djc`, read from the commander program
 * itself, so a command or option added anywhere is completed without
 * touching the scripts.
 */
import type { Command, Option } from 'commander';
import { JOB_STATUSES, TASK_STATUSES } from '@djc/core';

/** What to offer for an option's value: these words ([] = nothing), or job ids. */
export type ValueKind = string[] | 'job';

/** How a command's first argument is completed. */
export type ArgKind = { kind: 'job' } | { kind: 'file' } | { kind: 'words'; words: string[] } | { kind: 'none' };

export interface CommandSpec {
  name: string;
  /** Every flag of the command (long and short). */
  flags: string[];
  /** Flags that take a value, with what to offer for it. */
  values: Record<string, ValueKind>;
  arg: ArgKind;
}

export interface CompletionSpec {
  commands: CommandSpec[];
  globalFlags: string[];
  globalValues: Record<string, ValueKind>;
}

const lower = (xs: readonly string[]) => xs.map((s) => (s === 'RETRY_WAIT' ? 'retrying' : s.toLowerCase()));

/** Words for an option's value, by command and flag; others get none. */
const VALUE_WORDS: Record<string, ValueKind> = {
  '--backend': ['local', 'aws'],
  'worker --job': 'job',
  'list --status': lower(JOB_STATUSES),
  'tasks --status': lower(TASK_STATUSES),
};

/** By argument name: what to complete there. */
const ARG_KINDS: Record<string, ArgKind> = {
  job: { kind: 'job' },
  'job.yaml': { kind: 'file' },
  shell: { kind: 'words', words: ['bash', 'zsh'] },
  backend: { kind: 'words', words: ['aws'] },
};

export function completionSpec(program: Command): CompletionSpec {
  const globals = flagsOf(program.options, '');
  // Handled before commander parses (settings-file.ts); it takes a file.
  globals.flags.push('--settings-file');
  globals.values['--settings-file'] = [];
  return {
    globalFlags: [...new Set([...globals.flags, '--help'])],
    globalValues: globals.values,
    commands: program.commands.map((cmd) => {
      const own = flagsOf(cmd.options, cmd.name());
      const first = cmd.registeredArguments[0];
      // A command with subcommands (djc token create|list|revoke) completes their names.
      const subcommands = cmd.commands.map((c) => c.name());
      const arg: ArgKind = subcommands.length > 0 ? { kind: 'words', words: subcommands } : (first && ARG_KINDS[first.name()]) ?? { kind: 'none' };
      return { name: cmd.name(), flags: [...own.flags, '--help'], values: own.values, arg };
    }),
  };
}

function flagsOf(options: readonly Option[], command: string): { flags: string[]; values: Record<string, ValueKind> } {
  const flags: string[] = [];
  const values: Record<string, ValueKind> = {};
  for (const o of options) {
    if (o.hidden) continue;
    const names = [o.long, o.short].filter((f): f is string => Boolean(f));
    flags.push(...names);
    if (o.required || o.optional) {
      const words = o.argChoices ?? VALUE_WORDS[`${command} ${o.long}`] ?? VALUE_WORDS[o.long ?? ''] ?? [];
      for (const n of names) values[n] = words;
    }
  }
  return { flags, values };
}
