/** The `djc` command as a library: build its commander program, report an error as the command does. */
export { buildProgram } from './program.js';
export { reportError } from './report-error.js';
