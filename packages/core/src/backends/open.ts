/**
 * Builds the backend an entry point asks for. Only entry points (the CLI,
 * djc-worker, the daemon) import this; the rest of core never names a
 * backend. Settings come from flags, else the environment (DJC_BACKEND,
 * DJC_HOME; DJC_TABLE, DJC_BUCKET, DJC_QUEUE and AWS_* for aws), else
 * defaults (local; the home by the rule in home.ts).
 */
import { DjcError } from '../errors.js';
import type { Backend } from '../ports/backend.js';
import { resolveBackendSettings, type BackendSettings } from './home.js';
import { createLocalBackend } from './local/index.js';
import { explainOpenError } from './local/open-errors.js';

export { explainLockedWrite } from './local/open-errors.js';

export {
  describeHome, findUp, homeReason, resolveBackendSettings, resolveHome, userHome, HOME_DIR_NAME,
  type BackendSettings, type HomeSource, type ResolvedHome,
} from './home.js';

export interface OpenOptions {
  /**
   * Create the local home and its database when missing (default true:
   * run, submit, the daemon, workers). False for commands that only look
   * at existing jobs: a missing home then reads as an empty one and
   * nothing is written to disk.
   */
  create?: boolean;
}

export async function openBackend(s: BackendSettings = {}, env: NodeJS.ProcessEnv = process.env, o: OpenOptions = {}): Promise<Backend> {
  const { backend, home } = resolveBackendSettings(s, env);
  switch (backend) {
    case 'local':
      try {
        return createLocalBackend({ home, create: o.create });
      } catch (e) {
        throw explainOpenError(e, home);
      }
    case 'aws': {
      // Loaded on demand: the AWS SDK takes ~0.5-1 s to import, which every
      // local-backend process (each CLI call, each worker) would pay.
      const { createAwsBackend, resolveAwsSettings } = await import('./aws/index.js');
      return createAwsBackend(resolveAwsSettings(s, env));
    }
    default:
      throw new DjcError('USAGE', `unknown backend "${backend}"`, { hint: 'use --backend local or --backend aws (or DJC_BACKEND)' });
  }
}
