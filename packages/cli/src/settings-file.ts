import { accessSync, constants } from 'node:fs';
import { DjcError } from '@djc/core/errors';

/**
 * Loads `--settings-file FILE` (or DJC_SETTINGS_FILE), lines of KEY=value,
 * into the environment before
 * anything reads it, so backend settings (DJC_BACKEND, DJC_TABLE,
 * DJC_BUCKET, DJC_QUEUE, AWS_*) can live in a file next to the jobs.
 * Variables already set in the environment win. (Not named --env-file:
 * Node 20 itself grabs that flag anywhere on the command line.) Returns argv
 * without the flag.
 */
export function loadSettingsFile(argv: string[]): string[] {
  const out: string[] = [];
  let file = process.env.DJC_SETTINGS_FILE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--settings-file') {
      file = argv[++i];
      if (!file) throw new DjcError('USAGE', '--settings-file needs a file name', { hint: 'djc --settings-file djc.env status JOB' });
    } else if (a.startsWith('--settings-file=')) file = a.slice('--settings-file='.length);
    else out.push(a);
  }
  if (file) {
    try {
      // Node 20's loadEnvFile exits the process on a missing file instead of throwing.
      accessSync(file, constants.R_OK);
      process.loadEnvFile(file);
    } catch (e) {
      throw new DjcError('USAGE', `cannot read the settings file ${file}: ${(e as Error).message}`, {
        hint: 'lines of KEY=value, e.g. DJC_BACKEND=aws',
      });
    }
  }
  return out;
}
