export { schedule } from './schedule.js';
export type * from './types.js';
