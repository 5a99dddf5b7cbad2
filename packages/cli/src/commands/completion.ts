import type { Command } from 'commander';
import { DjcError } from '@djc/core';
import type { Cli } from '../context.js';
import { bashScript } from '../completion/bash.js';
import { completionSpec } from '../completion/spec.js';
import { zshScript } from '../completion/zsh.js';

/** `djc completion bash|zsh`: the completion script on stdout. */
export async function completionCommand(cli: Cli, program: Command, shell: string): Promise<number> {
  const spec = completionSpec(program);
  const version = program.version() ?? '';
  if (shell === 'bash') cli.out(bashScript(spec, version));
  else if (shell === 'zsh') cli.out(zshScript(spec, version));
  else throw new DjcError('USAGE', `no completion for the shell "${shell}"`, { hint: 'djc completion bash, or djc completion zsh' });
  return 0;
}
