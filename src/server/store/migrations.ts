import type { Database } from 'better-sqlite3';

/**
 * The schema, as numbered steps. `PRAGMA user_version` records how many have run; each new step is
 * appended (never edited), and runs inside a transaction at start-up.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_seen INTEGER
   );
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     secret_hash BLOB NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX tokens_by_user ON tokens (user_id);
   CREATE TABLE friendships (
     user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     friend_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (user_id, friend_id)
   ) WITHOUT ROWID;
   -- AUTOINCREMENT: ids only ever grow, even after the newest message is deleted.
   CREATE TABLE messages (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     sender_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     conv_lo INTEGER NOT NULL,
     conv_hi INTEGER NOT NULL,
     content TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     delivered INTEGER NOT NULL DEFAULT 0,
     read INTEGER NOT NULL DEFAULT 0,
     client_id TEXT,
     UNIQUE (sender_id, client_id)
   );
   -- The cursor queries (newest, after, before) walk one conversation by id.
   CREATE INDEX messages_by_conversation ON messages (conv_lo, conv_hi, id);
   -- Unread counts and read marking touch only the unread part.
   CREATE INDEX messages_unread ON messages (recipient_id, sender_id, id) WHERE read = 0;`,
  // Marking delivered looks only at what is not yet delivered (without it, at every message of the sender).
  `CREATE INDEX messages_undelivered ON messages (recipient_id, sender_id, id) WHERE delivered = 0;`,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this server (${MIGRATIONS.length}); refusing to start.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
