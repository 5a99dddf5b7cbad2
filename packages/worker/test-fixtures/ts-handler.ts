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

/**
 * A barrier: says it started (a file named after ctx.attempt in a directory
 * named after ctx.jobId under the temp dir), then waits until 3 attempts of
 * that job have started, 60 s at most. True when they all met: they ran at once.
 */
export async function meetThree(_records: Review[], ctx: Ctx): Promise<{ met: boolean }> {
  const { mkdirSync, readdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = join(tmpdir(), `djc-meet-${ctx.jobId}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, String(ctx.attempt)), '');
  for (let waited = 0; waited < 60_000; waited += 20) {
    if (readdirSync(dir).length >= 3) return { met: true };
    await new Promise((r) => setTimeout(r, 20));
  }
  return { met: false };
}
