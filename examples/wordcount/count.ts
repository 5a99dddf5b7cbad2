// A module handler and a reducer in TypeScript: djc loads .ts files itself,
// no build step needed. The types come from the djc package (`npm link djc`
// in your project after `npm link` in packages/cli; type-only, so nothing is
// loaded at run time).
import type { HandlerContext } from 'djc';

interface Review {
  id: number;
  stars: number;
  text: string;
}

/** Counts the words of one batch of reviews. */
export async function countWords(records: Review[], ctx: HandlerContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    for (const w of r.text.toLowerCase().split(/\s+/)) {
      if (w.length === 0) continue;
      counts[w] = (counts[w] ?? 0) + 1;
    }
  }
  ctx.log.info(`task ${ctx.taskId}: ${records.length} reviews, ${Object.keys(counts).length} distinct words`);
  return counts;
}

/** Folds the batch counts, in batch order, into one ranking: most frequent first. */
export async function merge(outputs: AsyncIterable<Record<string, number>>): Promise<{ word: string; count: number }[]> {
  const total = new Map<string, number>();
  for await (const counts of outputs) {
    for (const [w, c] of Object.entries(counts)) total.set(w, (total.get(w) ?? 0) + c);
  }
  return [...total]
    .map(([word, count]) => ({ word, count }))
    .sort((a, b) => b.count - a.count || (a.word < b.word ? -1 : 1));
}
