/**
 * A temp directory with a local backend in it, for unit tests: each call of
 * the returned function opens a fresh one, and every one opened in a test is
 * closed and removed after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Backend } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';

export interface LocalHome {
  /** The temp directory (the backend's home is `<dir>/.djc`). */
  dir: string;
  backend: Backend;
}

export function useLocalHomes(prefix: string): () => LocalHome {
  const opened: LocalHome[] = [];
  afterEach(async () => {
    for (const home of opened.splice(0)) {
      await home.backend.close();
      rmSync(home.dir, { recursive: true, force: true });
    }
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const home = { dir, backend: createLocalBackend({ home: join(dir, '.djc') }) };
    opened.push(home);
    return home;
  };
}
