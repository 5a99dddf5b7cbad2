import { loadSettingsFile } from './settings-file.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';
import { shutdownTracing } from '@djc/core/tracing';

const result = { code: 0, opts: {} as { json?: boolean; verbose?: boolean } };
const program = buildProgram(result);
try {
  await program.parseAsync(loadSettingsFile(process.argv));
} catch (e) {
  result.code = reportError(e, { json: result.opts.json ?? process.argv.includes('--json'), verbose: result.opts.verbose ?? process.argv.includes('--verbose') });
}
// Spans still queued (prepare, finalize, the job: OTEL_EXPORTER_OTLP_ENDPOINT set) are sent before exiting; a no-op otherwise.
await shutdownTracing().catch(() => {});
// Let stdout drain before exiting (pipes to jq, files).
process.stdout.write('', () => process.exit(result.code));
