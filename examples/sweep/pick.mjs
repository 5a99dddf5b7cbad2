/** Every point's per-batch scores in; the accuracy of each threshold and the best one out. */
export function pass(records) {
  return records;
}

export async function best(outputs) {
  const by = new Map();
  for await (const batch of outputs) {
    for (const s of batch) {
      const t = by.get(s.threshold) ?? { threshold: s.threshold, correct: 0, total: 0 };
      t.correct += s.correct;
      t.total += s.total;
      by.set(s.threshold, t);
    }
  }
  const all = [...by.values()].sort((a, b) => a.threshold - b.threshold).map((t) => ({ ...t, accuracy: t.correct / t.total }));
  const top = all.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return { best: top, all };
}
