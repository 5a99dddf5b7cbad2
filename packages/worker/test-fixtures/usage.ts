/** Handlers whose CPU time and heap differ widely: for the usage figures of module attempts. */

/**
 * Keeps the thread busy until it has used 600 ms of CPU (of its own thread
 * where Node can tell), whatever else the machine runs: a wall-clock loop got
 * a fraction of that on a loaded machine. Gives up after 30 s of wall time.
 */
export async function burn(records: unknown[]): Promise<unknown[]> {
  const usage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage ?? process.cpuUsage;
  const cpuMs = () => { const u = usage(); return (u.user + u.system) / 1000; };
  const from = cpuMs();
  const deadline = Date.now() + 30_000;
  let x = 0;
  while (cpuMs() - from < 600 && Date.now() < deadline) for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
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
