/**
 * Who may read a local home: the modes djc gives the directories and files
 * it creates there (and the result files it writes), whatever the umask.
 *
 * - `DJC_HOME_SHARING` unset or `private` (the default): directories 0700,
 *   files 0600 — on a shared login node no other user reads a job's data.
 * - `DJC_HOME_SHARING=group`: directories 0750, files 0640 — the group of
 *   the home reads (never writes) it.
 *
 * A stricter umask still applies on top (the modes are asked of open/mkdir).
 * An existing home whose directory mode differs is changed once, by a
 * command that writes (run, submit, the daemon), which says so on stderr:
 * the directory's mode guards everything in it, even files made before.
 */
import { chmodSync, statSync } from 'node:fs';
import { DjcError } from '../errors.js';

export type HomeSharing = 'private' | 'group';

export interface HomeModes {
  sharing: HomeSharing;
  /** Mode of directories djc creates in the home. */
  dir: number;
  /** Mode of files djc creates in the home (SQLite's -wal and -shm follow the database's). */
  file: number;
}

const MODES: Record<HomeSharing, HomeModes> = {
  private: { sharing: 'private', dir: 0o700, file: 0o600 },
  group: { sharing: 'group', dir: 0o750, file: 0o640 },
};

/** The modes DJC_HOME_SHARING asks for; another value is a USAGE error (exit 2). */
export function homeModes(env: NodeJS.ProcessEnv = process.env): HomeModes {
  const v = env.DJC_HOME_SHARING?.trim();
  if (!v || v === 'private') return MODES.private;
  if (v === 'group') return MODES.group;
  throw new DjcError('USAGE', `DJC_HOME_SHARING is "${v}"`, {
    hint: 'set DJC_HOME_SHARING to private (the default: only you read the home) or group (the home\'s group reads it too), or unset it',
  });
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Brings the home directory's mode to `modes.dir` when it is this user's
 * and differs; returns the note to show (null when nothing changed).
 * A home this user does not own, or cannot chmod, is left as it is.
 */
export function settleHomeMode(home: string, modes: HomeModes): string | null {
  let st;
  try {
    st = statSync(home);
  } catch {
    return null;
  }
  if (!st.isDirectory() || (st.mode & 0o777) === modes.dir) return null;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return null;
  try {
    chmodSync(home, modes.dir);
  } catch {
    return null;
  }
  const other = modes.sharing === 'private' ? 'DJC_HOME_SHARING=group lets the home\'s group read it' : 'unset DJC_HOME_SHARING to keep it private';
  return `djc: changed the mode of the home ${home} from ${octal(st.mode)} to ${octal(modes.dir)} (DJC_HOME_SHARING=${modes.sharing}; ${other})`;
}
