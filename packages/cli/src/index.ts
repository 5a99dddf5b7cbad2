/**
 * What the djc package offers to code: the types of handlers and reducers,
 * for TypeScript handlers (`import type { HandlerContext } from 'djc'`).
 * They come from a file with no imports, so type-checking a handler loads
 * nothing else of djc. (The command itself: `djc/cli`.)
 */
export type { Handler, HandlerContext, HandlerLog, Reducer, ReducerContext } from '@djc/core/handler';
