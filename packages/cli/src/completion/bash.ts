/**
 * The bash completion script (`djc completion bash`). The same function
 * serves zsh through bashcompinit (see zsh.ts), so it keeps to what both
 * run: 0-based COMP_WORDS (zsh runs it with KSH_ARRAYS), compgen -W/-f/-d,
 * and compopt only where it exists.
 */
import type { CommandSpec, CompletionSpec, ValueKind } from './spec.js';

const words = (xs: readonly string[]) => xs.join(' ');

/** `a|b|c)` for a case branch; "" when there is nothing to match. */
const pattern = (xs: readonly string[]) => xs.join('|');

/** The shell function `_djc` (no `complete` line). */
export function bashFunction(spec: CompletionSpec): string {
  const valueFlags = [...new Set([...Object.keys(spec.globalValues), ...spec.commands.flatMap((c) => Object.keys(c.values))])];
  const passOn = ['--home', '--backend', '--table', '--bucket', '--queue', '--settings-file'].filter((f) => valueFlags.includes(f));
  return `_djc_jobs() {
  # Job ids of the same backend and home as the line being completed, newest first.
  local i w args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${pattern(passOn)}) args+=("$w" "\${COMP_WORDS[i+1]}") ;;
    esac
  done
  "\${COMP_WORDS[0]}" "\${args[@]}" list -q --limit 50 2>/dev/null
}

_djc() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" skip="" i w
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ -n "$skip" ]]; then skip=""; continue; fi
    case "$w" in
      ${pattern(valueFlags)}) skip=1 ;;
      -*) ;;
      *) cmd="$w"; break ;;
    esac
  done
  case "$prev" in
    --home) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --settings-file) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
${valueCases('    ', spec.globalValues)}
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "${words(spec.globalFlags)}" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "${words(spec.commands.map((c) => c.name))}" -- "$cur"))
    fi
    return 0
  fi
  local flags="" arg=""
  case "$cmd" in
${spec.commands.map((c) => commandCase(c)).join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags ${words(spec.globalFlags)}" -- "$cur"))
    return 0
  fi
  case "$arg" in
    job)
      local ids names
      ids="$(_djc_jobs)"
      # A job's name (its newest run) is its id without -<yyyymmddhhmmss>-<6 hex>.
      names="$(printf '%s\\n' $ids | sed 's/-[0-9]\\{14\\}-[0-9a-f]\\{6\\}$//' | sort -u)"
      COMPREPLY=($(compgen -W "last $names $ids" -- "$cur")) ;;
    file)
      type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur")) ;;
    words:*) COMPREPLY=($(compgen -W "\${arg#words:}" -- "$cur")) ;;
  esac
  return 0
}
`;
}

/** The bash script: the function and its registration. */
export function bashScript(spec: CompletionSpec, version: string): string {
  return `# bash completion for djc ${version}, made by \`djc completion bash\`.
# Now: source <(djc completion bash)
# Always: djc completion bash > ~/.local/share/bash-completion/completions/djc
${bashFunction(spec)}
complete -F _djc djc
`;
}

function commandCase(c: CommandSpec): string {
  const arg = c.arg.kind === 'words' ? `words:${words(c.arg.words)}` : c.arg.kind === 'none' ? '' : c.arg.kind;
  const values = valueCases('        ', c.values);
  const valueBlock = values ? `\n      case "$prev" in\n${values}\n      esac` : '';
  return `    ${c.name})
      flags="${words(c.flags)}"; arg="${arg}"${valueBlock} ;;`;
}

/** `--flag) COMPREPLY=(…); return 0 ;;` for each flag that takes a value (other than files). */
function valueCases(indent: string, values: Record<string, ValueKind>): string {
  return Object.entries(values)
    .filter(([flag]) => flag !== '--home' && flag !== '--settings-file')
    .map(([flag, kind]) => `${indent}${flag}) COMPREPLY=(${offer(kind)}); return 0 ;;`)
    .join('\n');
}

function offer(kind: ValueKind): string {
  if (kind === 'job') return '$(compgen -W "$(_djc_jobs)" -- "$cur")';
  return kind.length > 0 ? `$(compgen -W "${words(kind)}" -- "$cur")` : '';
}
