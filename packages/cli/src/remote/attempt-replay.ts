/**
 * Hands a log sink what is new in attempt logs read over the API, as
 * TaskLogReader (@djc/coordinator) does with logs read from the blob
 * store: the same begin/text/end calls, so the same text.
 */
import { TERMINAL_TASK, type TaskDocument, type TaskStatus } from '@djc/core';
import type { LogSink } from '@djc/coordinator';
import { logDelta } from '@djc/worker/log-delta';

export interface TaskLogs {
  taskId: number;
  attempts: { attempt: number; text: string }[];
}

/** Statuses in which the task's latest attempt is over (as TaskLogReader). */
const ATTEMPT_OVER: ReadonlySet<string> = new Set<TaskStatus>(['PENDING', 'RETRY_WAIT', ...TERMINAL_TASK]);

export function attemptReplay(sink: LogSink) {
  const seen = new Map<string, { shown: string; ended: boolean }>();
  return {
    /** `tasks` read before `logs`; `jobEnded`: every attempt is over. */
    read(tasks: readonly TaskDocument[], logs: ReadonlyMap<number, TaskLogs>, jobEnded: boolean): void {
      for (const task of tasks) {
        for (let attempt = 1; attempt <= task.attempts; attempt++) {
          const id = `${task.taskId}.${attempt}`;
          const known = seen.get(id);
          const state = known ?? { shown: '', ended: false };
          if (!known) seen.set(id, state);
          if (state.ended) continue;
          if (!known) sink.begin(task.taskId, attempt);
          const next = logs.get(task.taskId)?.attempts.find((a) => a.attempt === attempt)?.text ?? '';
          const delta = logDelta(state.shown, next);
          if (delta !== '') {
            sink.text(task.taskId, attempt, delta);
            state.shown = next;
          }
          if (jobEnded || attempt < task.attempts || ATTEMPT_OVER.has(task.status)) {
            state.ended = true;
            sink.end(task.taskId, attempt, state.shown === '');
          }
        }
      }
    },
  };
}
