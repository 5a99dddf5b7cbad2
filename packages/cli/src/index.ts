export { buildProgram } from './program.js';
export { reportError } from './report-error.js';
// For TypeScript handlers and reducers: import type { HandlerContext } from 'djc'.
export type { Handler, HandlerContext, HandlerLog, Reducer, ReducerContext } from '@djc/core';
