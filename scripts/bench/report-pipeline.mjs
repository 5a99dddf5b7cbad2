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
    `Aims: N to N ${r.nToN.ms < r.aimHandoffMs ? 'within' : 'over'} 100 ms (the downstream's workers start with it and`,
    'start their handler threads while they wait, so its first attempt pays',
    `no thread start). The whole-output hand-off is ${r.wholeOutput.ms < r.aimHandoffMs ? 'within' : 'over'} it: \`up\`'s`,
    'coordinator sees its last commit within ~20 ms (it looks at the job',
    'every 20 ms in its last stretch: no task queued, at most 32 left, or the rest ending before the next tick at the pace so far; local backend only), the pipeline',
    'starts `down` ~10 ms later, and `down`\'s workers were started during',
    '`up`\'s last round (no more tasks queued than workers). Here `up`\'s tasks',
    '(~225 ms) are shorter than a worker start (~400 ms on this loaded',
    'machine), so that head start hides only part of it (a rep whose worker',
    'was up in time: ~30 ms); with upstream tasks of 2 s the worker is up',
    'before `up` ends (packages/cli/test/pipeline-handoff.test.ts).',
    `Submit ${r.submit.cliMs < r.aimSubmitMs ? 'within' : 'over'} 2 s.`,
    '',
  ];
}
