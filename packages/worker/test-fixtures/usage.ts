/** Handlers whose CPU time and heap differ widely: for the usage figures of module attempts. */

/** Keeps the thread busy for `ms` and returns the records. */
export async function burn(records: unknown[]): Promise<unknown[]> {
  const until = Date.now() + 600;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  return records.map((r) => ({ r, x: x > 0 }));
}

/** Holds ~64 MB of heap objects while it waits, then returns. */
export async function hoard(records: unknown[]): Promise<unknown[]> {
  const held = Array.from({ length: 64 }, () => new Float64Array(131_072).fill(1));
  await new Promise((r) => setTimeout(r, 600));
  return records.map((r) => ({ r, n: held.length }));
}

/** Waits without using CPU. */
export async function idle(records: unknown[]): Promise<unknown[]> {
  await new Promise((r) => setTimeout(r, 600));
  return records;
}
