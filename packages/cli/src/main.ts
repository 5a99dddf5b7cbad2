import { loadSettingsFile } from './settings-file.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';
import { initTracing, shutdownTracing } from '@djc/core';

const result = { code: 0, opts: {} as { json?: boolean; verbose?: boolean } };
const program = buildProgram(result);
try {
  // Job spans (prepare, finalize, the job) when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing is loaded otherwise.
  await initTracing('djc');
  await program.parseAsync(loadSettingsFile(process.argv));
} catch (e) {
  result.code = reportError(e, { json: result.opts.json ?? process.argv.includes('--json'), verbose: result.opts.verbose ?? process.argv.includes('--verbose') });
}
// Spans still queued are sent before exiting (a no-op when tracing is off).
await shutdownTracing().catch(() => {});
// Let stdout drain before exiting (pipes to jq, files).
process.stdout.write('', () => process.exit(result.code));
