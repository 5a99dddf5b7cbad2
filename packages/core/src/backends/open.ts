/**
 * Builds the backend an entry point asks for. Only entry points (the CLI,
 * djc-worker, the daemon) import this; the rest of core never names a
 * backend. Settings come from flags, else the environment (DJC_BACKEND,
 * DJC_HOME; DJC_TABLE, DJC_BUCKET, DJC_QUEUE and AWS_* for aws), else
 * defaults (local, ./.djc).
 */
import { resolve } from 'node:path';
import { DjcError } from '../errors.js';
import type { Backend } from '../ports/backend.js';
import { createLocalBackend } from './local/index.js';
import { explainOpenError } from './local/open-errors.js';

export interface BackendSettings {
  backend?: string;
  home?: string;
  /** aws backend names (else DJC_TABLE, DJC_BUCKET, DJC_QUEUE). */
  table?: string;
  bucket?: string;
  queue?: string;
}

export function resolveBackendSettings(s: BackendSettings, env: NodeJS.ProcessEnv = process.env): { backend: string; home: string } {
  return {
    backend: s.backend ?? env.DJC_BACKEND ?? 'local',
    home: resolve(s.home ?? env.DJC_HOME ?? '.djc'),
  };
}

export async function openBackend(s: BackendSettings = {}, env: NodeJS.ProcessEnv = process.env): Promise<Backend> {
  const { backend, home } = resolveBackendSettings(s, env);
  switch (backend) {
    case 'local':
      try {
        return createLocalBackend({ home });
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
