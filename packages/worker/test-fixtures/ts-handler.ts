// A TypeScript module handler: the interface and annotations need tsx to load.
interface Review {
  id: number;
  text: string;
}

interface Ctx {
  jobId: string;
  taskId: number;
  attempt: number;
  log: { info(...args: unknown[]): void; warn(...args: unknown[]): void };
}

type Counted = { id: number; words: number };

export async function countWords(records: Review[]): Promise<Counted[]> {
  return records.map((r): Counted => ({ id: r.id, words: r.text.split(/\s+/).filter(Boolean).length }));
}

export function summary(records: Review[]): { batch: number; ids: number[] } {
  return { batch: records.length, ids: records.map((r) => r.id) };
}

export function asText(records: Review[]): string {
  return records.map((r) => r.text).join('|');
}

export function ctxInfo(_records: Review[], ctx: Ctx): { jobId: string; taskId: number; attempt: number } {
  return { jobId: ctx.jobId, taskId: ctx.taskId, attempt: ctx.attempt };
}

export function logs(records: Review[], ctx: Ctx): void {
  ctx.log.info('processing %d records', records.length);
  ctx.log.warn('record', { id: records[0]?.id });
  console.log('from console.log');
}

export function noop(): void {}

export function bigint(): { n: bigint } {
  return { n: 1n };
}
