/** The pipeline sections of docs/benchmarks.md, from sweep-validate.mjs's JSON result. */
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const all = (xs) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');

export function renderSweepValidate(r, measured) {
  const head = [
    '## 8. Validating a 1,000-point sweep',
    '',
    'A pipeline of a module stage and a command stage with a 10 × 100 matrix',
    'reading it (1,001 stage runs). `djc validate sweep.yaml --json` end to end',
    '(Node start, the CLI, the handler checks: the module loaded in a child',
    'process, the command looked up), and `loadPipelineFile` in-process without',
    'the handler checks (parse, expansion, 1,000 configs substituted and',
    'validated as job configs). Aim: validate and submit under 2 s (the submit',
    'comes with the pipeline runtime).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  return [
    ...head,
    `| what | wall, median of ${r.cli.wallMsAll.length} (each run) |`,
    '| --- | --- |',
    `| \`djc validate\`, ${r.points} points, end to end | ${sec(r.cli.wallMs)}${all(r.cli.wallMsAll)} |`,
    `| \`loadPipelineFile\` in-process | ${sec(r.inProcess.wallMs)}${all(r.inProcess.wallMsAll)} |`,
    '',
    `Aim (2 s for validate + submit): validate alone ${r.cli.wallMs < r.aimMs ? 'within it' : 'over it'}.`,
    '',
  ];
}
