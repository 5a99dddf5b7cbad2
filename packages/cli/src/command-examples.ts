import type { Command } from 'commander';

/** One example per command, shown at the end of `djc <command> --help`. */
const EXAMPLES: Record<string, string> = {
  run: 'djc run examples/wordcount/job.yaml --set compute.workers=8',
  submit: 'id=$(djc submit job.yaml --json | jq -r .jobId) && djc wait "$id"',
  validate: 'djc validate job.yaml --set params.min_length=4',
  plan: 'djc plan pipeline.yaml        # per stage: run or reuse JOB, why, batches; --json for scripts',
  status: 'djc status            # the newest job; or: djc status wordcount, djc status last, djc status wordcount-2026',
  list: 'djc list --status failed --limit 10',
  queue: 'djc queue --json | jq -r \'.queue.jobs[] | select(.reason) | "\\(.jobId): \\(.reason.message)"\'',
  tasks: 'djc tasks last --status failed',
  logs: 'djc logs wordcount --task 3',
  wait: 'djc wait wordcount --interval 5s && echo done',
  cancel: 'djc cancel last',
  pause: 'djc pause wordcount      # later: djc resume wordcount',
  resume: 'djc resume wordcount',
  retry: 'djc retry wordcount --task 3,7-9 --set compute.timeout=20m',
  failures: 'djc failures last',
  report: 'djc report last -o report.html     # one HTML file, no network needed to open it',
  results: 'djc results last > result.jsonl',
  coordinator: 'nohup djc coordinator >> coordinator.log 2>&1 &',
  worker: 'djc worker --job wordcount-20261122001530-1a2b3c --concurrency 4 --grace 2m',
  prune: 'djc prune --older-than 30d --status succeeded --dry-run     # then without --dry-run',
  setup: 'DJC_BUCKET=my-djc djc setup aws',
  token: 'DJC_TOKEN=$(djc token create --scope submit --name ci --expires 90d)     # later: djc token list; djc token revoke ci',
  completion: 'source <(djc completion bash)     # or, in ~/.zshrc: source <(djc completion zsh)',
};

/** Adds its example to each subcommand's help; a command without one gets none. */
export function addExamples(program: Command): void {
  for (const cmd of program.commands) {
    const example = EXAMPLES[cmd.name()];
    if (example) cmd.addHelpText('after', `\nExample:\n  $ ${example}`);
  }
}
