// A handler that fails on purpose, to show retries: every third task fails
// its first two attempts and succeeds on the third.

interface Ctx {
  taskId: number;
  attempt: number;
}

export async function double(records: number[], ctx: Ctx): Promise<number[]> {
  if (ctx.taskId % 3 === 0 && ctx.attempt < 3) {
    throw new Error(`simulated failure of task ${ctx.taskId}, attempt ${ctx.attempt}`);
  }
  return records.map((x) => x * 2);
}
