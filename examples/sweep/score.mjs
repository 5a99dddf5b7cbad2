// One batch of samples (JSON lines on stdin) -> one JSON line: how many the threshold classifies right.
const threshold = Number(process.argv[2]);
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { text += c; });
process.stdin.on('end', () => {
  let correct = 0;
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const { x, label } = JSON.parse(line);
    if ((x > threshold ? 1 : 0) === label) correct++;
    total++;
  }
  process.stdout.write(`${JSON.stringify({ threshold, correct, total })}\n`);
});
