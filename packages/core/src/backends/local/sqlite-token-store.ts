/**
 * API tokens (ports/token-store.ts) in the local SQLite file: one row per
 * token in `api_tokens` (migration 16); a partial unique index keeps live
 * names unique. Writes run inside the store's IMMEDIATE transaction, so the
 * checks before them hold until they commit.
 */
import { ConflictError } from '../../errors.js';
import type { NewToken, TokenRecord } from '../../ports/token-store.js';
import { storedToken, tokenOf } from '../token-parse.js';
import type { Db } from './db.js';
import type { Statement } from './sqlite-driver.js';

export class SqliteTokenStore {
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly liveByName: Statement;
  private readonly all: Statement;
  private readonly revoke: Statement;
  private readonly touch: Statement;

  constructor(db: Db) {
    this.insert = db.prepare(`INSERT INTO api_tokens (id, name, scope, secret_hash, created_at, token_expires_at)
      VALUES (@id, @name, @scope, @secret_hash, @created_at, @token_expires_at)`);
    this.byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
    this.liveByName = db.prepare('SELECT id FROM api_tokens WHERE name = ? AND revoked_at IS NULL');
    this.all = db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id');
    this.revoke = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.touch = db.prepare('UPDATE api_tokens SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)');
  }

  create(t: NewToken): TokenRecord {
    const row = storedToken(t);
    if (this.byId.get(t.id) !== undefined) throw new ConflictError(`an API token with id ${t.id} exists`, { details: { taken: 'id' } });
    if (this.liveByName.get(t.name) !== undefined) {
      throw new ConflictError(`an API token named "${t.name}" exists`, { hint: `choose another --name, or revoke it first: djc token revoke ${t.name}`, details: { taken: 'name' } });
    }
    this.insert.run(row);
    return this.get(t.id) as TokenRecord;
  }

  get(id: string): TokenRecord | null {
    const row = this.byId.get(id) as Record<string, unknown> | undefined;
    return row === undefined ? null : tokenOf(row);
  }

  list(): TokenRecord[] {
    return (this.all.all() as Record<string, unknown>[]).map(tokenOf);
  }

  revokeToken(id: string, at: string): TokenRecord | null {
    this.revoke.run(at, id);
    return this.get(id);
  }

  touchToken(id: string, at: string): void {
    this.touch.run({ id, at });
  }
}
