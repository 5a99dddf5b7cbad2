import { loadSettingsFile } from './settings-file.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

const result = { code: 0, opts: {} as { json?: boolean; verbose?: boolean } };
const program = buildProgram(result);
try {
  await program.parseAsync(loadSettingsFile(process.argv));
} catch (e) {
  result.code = reportError(e, { json: result.opts.json ?? process.argv.includes('--json'), verbose: result.opts.verbose ?? process.argv.includes('--verbose') });
}
// Let stdout drain before exiting (pipes to jq, files).
process.stdout.write('', () => process.exit(result.code));
