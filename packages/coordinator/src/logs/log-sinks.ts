/** How `djc logs` (and GET /v1/jobs/{job}/tasks/{task}/logs) prints attempt logs: in sections per attempt (one task), or line by line with the task id in front (all tasks). */
import type { LogSink } from './task-logs.js';

type Write = (text: string) => void;

/** Track whether output ends at a line's end, so headers start on a line of their own. */
function lineWriter(write: Write): { write: Write; endLine(): void } {
  let atLineStart = true;
  return {
    write(text) {
      if (text === '') return;
      write(text);
      atLineStart = text.endsWith('\n');
    },
    endLine() {
      if (!atLineStart) write('\n');
      atLineStart = true;
    },
  };
}

/** `=== task 3 attempt 1 ===`, then the log as it comes; `(no log output)` for an attempt that wrote none. */
export function sectionSink(write: Write): LogSink {
  const out = lineWriter(write);
  const silent = new Set<string>();
  return {
    begin(taskId, attempt) {
      out.endLine();
      out.write(`=== task ${taskId} attempt ${attempt} ===\n`);
      silent.add(`${taskId}.${attempt}`);
    },
    text(taskId, attempt, text) {
      silent.delete(`${taskId}.${attempt}`);
      out.write(text);
    },
    end(taskId, attempt, empty) {
      silent.delete(`${taskId}.${attempt}`);
      if (empty) out.write('(no log output)\n');
      else out.endLine();
    },
    close() {
      for (const _ of silent) out.write('(no log output yet: the attempt is running)\n');
      silent.clear();
      out.endLine();
    },
  };
}

/**
 * Every line as `task 3 | text`, like `docker compose logs`; a later
 * attempt starts with `task 3 | --- attempt 2 ---`. A line is printed once
 * it is complete (or its attempt ended), so tasks' lines never mix.
 */
export function prefixSink(write: Write, taskCount: number): LogSink {
  const width = `task ${Math.max(0, taskCount - 1)}`.length;
  const partial = new Map<string, string>();
  const prefix = (taskId: number) => `${`task ${taskId}`.padEnd(width)} | `;
  const flush = (id: string, taskId: number) => {
    const rest = partial.get(id);
    if (rest) write(`${prefix(taskId)}${rest}\n`);
    partial.delete(id);
  };
  return {
    begin(taskId, attempt) {
      if (attempt > 1) write(`${prefix(taskId)}--- attempt ${attempt} ---\n`);
    },
    text(taskId, attempt, text) {
      const id = `${taskId}.${attempt}`;
      const lines = `${partial.get(id) ?? ''}${text}`.split('\n');
      partial.set(id, lines.pop() ?? '');
      if (lines.length > 0) write(lines.map((l) => `${prefix(taskId)}${l}\n`).join(''));
    },
    end(taskId, attempt) {
      flush(`${taskId}.${attempt}`, taskId);
    },
    close() {
      for (const id of [...partial.keys()]) flush(id, Number(id.split('.')[0]));
    },
  };
}

/** Collects each attempt's text, for `--json`. */
export function jsonSink(): LogSink & { tasks(): { taskId: number; attempts: { attempt: number; text: string }[] }[] } {
  const byTask = new Map<number, { attempt: number; text: string }[]>();
  const find = (taskId: number, attempt: number) => byTask.get(taskId)?.find((a) => a.attempt === attempt);
  return {
    begin(taskId, attempt) {
      byTask.set(taskId, [...(byTask.get(taskId) ?? []), { attempt, text: '' }]);
    },
    text(taskId, attempt, text) {
      const a = find(taskId, attempt);
      if (a) a.text += text;
    },
    end: () => undefined,
    close: () => undefined,
    tasks: () => [...byTask].sort(([a], [b]) => a - b).map(([taskId, attempts]) => ({ taskId, attempts })),
  };
}
