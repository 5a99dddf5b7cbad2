/**
 * The zsh completion script (`djc completion zsh`): zsh's own bashcompinit
 * runs the bash function (bash.ts), so both shells complete the same words.
 */
import { bashFunction } from './bash.js';
import type { CompletionSpec } from './spec.js';

export function zshScript(spec: CompletionSpec, version: string): string {
  return `#compdef djc
# zsh completion for djc ${version}, made by \`djc completion zsh\`.
# Now, or in ~/.zshrc after compinit: source <(djc completion zsh)
(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashFunction(spec)}
complete -F _djc djc
`;
}
