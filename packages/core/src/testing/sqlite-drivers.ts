/**
 * Test support: the SQLite drivers the local-backend suites run on. Both by
 * default (better-sqlite3 is an optional dependency with prebuilt binaries
 * for Linux, macOS and Windows on x64 and arm64); DJC_TEST_SQLITE_DRIVERS
 * (e.g. `node`) narrows the list on a platform without better-sqlite3. A
 * listed driver that cannot open fails its tests: it is never left out
 * silently.
 */
import { SQLITE_DRIVERS, type SqliteDriverName } from '../backends/local/sqlite-driver.js';

export function sqliteDriversUnderTest(env: NodeJS.ProcessEnv = process.env): readonly SqliteDriverName[] {
  const listed = env.DJC_TEST_SQLITE_DRIVERS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!listed || listed.length === 0) return SQLITE_DRIVERS;
  const unknown = listed.filter((d) => !(SQLITE_DRIVERS as readonly string[]).includes(d));
  if (unknown.length > 0) throw new Error(`DJC_TEST_SQLITE_DRIVERS: unknown driver(s) ${unknown.join(', ')} (known: ${SQLITE_DRIVERS.join(', ')})`);
  return listed as SqliteDriverName[];
}
