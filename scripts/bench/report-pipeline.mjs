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

const ms = (x) => `${Math.round(x)} ms`;
const list = (xs) => xs.map((x) => Math.round(x)).join(', ');

export function renderStageHandoff(r, measured) {
  const head = [
    '## 9. Pipelines: stage hand-off and submitting a sweep',
    '',
    'Two stages by `djc run` on the local backend, one worker each: `up` (4',
    'batches of 200 ms) and `down` reading it. Hand-off latency: for the whole',
    'output (`input: { from: up }`), from the end of `up`\'s last task to the',
    'start of `down`\'s first attempt; for N to N (`each: batch`), from the',
    'end of `up`\'s task i to the start of `down`\'s task i, each i. And the',
    'submit of a 1,000-point sweep (1,001 stage runs): `djc submit` end to end',
    '(Node start, validation with the handler checks, the write) and',
    '`submitPipeline` in-process (the records written in one SQLite',
    'transaction). Aim: hand-off under 100 ms; validate + submit under 2 s.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  return [
    ...head,
    '| what | median (each) |',
    '| --- | --- |',
    `| hand-off, whole output | ${ms(r.wholeOutput.ms)} (${list(r.wholeOutput.msAll)}) |`,
    `| hand-off, N to N, per task | ${ms(r.nToN.ms)} (${list(r.nToN.msAll)}) |`,
    `| \`djc submit\`, ${r.submit.points} points, end to end | ${ms(r.submit.cliMs)} (${list(r.submit.cliMsAll)}) |`,
    `| \`submitPipeline\` in-process (${r.submit.runs + 1} records) | ${ms(r.submit.inProcessMs)} (${list(r.submit.inProcessMsAll)}) |`,
    '',
    `Aims: N to N ${r.nToN.ms < r.aimHandoffMs ? 'within' : 'over'} 100 ms (its first task pays the downstream`,
    'workers\' start, hence the outliers); the whole-output hand-off is',
    `${r.wholeOutput.ms < r.aimHandoffMs ? 'within' : 'over'} it: the pipeline reacts within ~20 ms of \`up\` ending, but \`up\``,
    'is seen ended at the next monitor tick of its coordinator (up to 200 ms',
    'after its last commit), and `down`\'s first attempt waits for its worker',
    'process to start (~500 ms, Node start and imports). Starting the',
    'downstream\'s workers while the upstream\'s last tasks run would hide the',
    `latter (NOTES.md). Submit ${r.submit.cliMs < r.aimSubmitMs ? 'within' : 'over'} 2 s.`,
    '',
  ];
}
