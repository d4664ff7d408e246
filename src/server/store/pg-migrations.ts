import type { Sql } from 'postgres';

/**
 * The PostgreSQL schema, as numbered steps: step n is version n. `schema_migrations` records each step run;
 * a new step is appended (never edited). Every start runs the missing ones in one transaction that first
 * takes an advisory lock, so instances starting at once wait for each other and the steps run once.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     -- Byte order, as SQLite compares: the friends list is sorted by it, whatever the database's locale.
     username text COLLATE "C" NOT NULL UNIQUE,
     password_hash text NOT NULL,
     created_at bigint NOT NULL,
     last_seen bigint
   );
   CREATE TABLE tokens (
     id text PRIMARY KEY,
     user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     secret_hash bytea NOT NULL,
     created_at bigint NOT NULL
   );
   CREATE INDEX tokens_by_user ON tokens (user_id);
   CREATE TABLE friendships (
     user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     friend_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     created_at bigint NOT NULL,
     PRIMARY KEY (user_id, friend_id)
   );
   -- One row per conversation (lo < hi). A send locks it while it takes its message id and inserts, so
   -- within a conversation ids are given in commit order: a poll after=ID never skips a message that
   -- commits later with a smaller id. Its version (for ETags) is bumped by every change of the conversation.
   CREATE TABLE conversations (
     lo bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     hi bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     version bigint NOT NULL,
     PRIMARY KEY (lo, hi)
   );
   -- Message ids: unique and growing across the server; taken only under the conversation's lock.
   CREATE SEQUENCE message_ids AS bigint;
   CREATE TABLE messages (
     id bigint PRIMARY KEY,
     sender_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     recipient_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     conv_lo bigint NOT NULL,
     conv_hi bigint NOT NULL,
     -- Content and clientId as UTF-8 bytes: text cannot hold U+0000, which a message may contain.
     content bytea NOT NULL,
     timestamp bigint NOT NULL,
     delivered boolean NOT NULL DEFAULT false,
     read boolean NOT NULL DEFAULT false,
     client_id bytea,
     UNIQUE (sender_id, client_id)
   );
   -- The cursor queries (newest, after, before) walk one conversation by id.
   CREATE INDEX messages_by_conversation ON messages (conv_lo, conv_hi, id);
   -- Unread counts, read and delivered marking touch only the unread or undelivered part.
   CREATE INDEX messages_unread ON messages (recipient_id, sender_id, id) WHERE NOT read;
   CREATE INDEX messages_undelivered ON messages (recipient_id, sender_id, id) WHERE NOT delivered;
   -- Part of every version: a database made anew never repeats the ETags of an old one.
   CREATE TABLE parley_meta (epoch text NOT NULL);
   INSERT INTO parley_meta (epoch) VALUES (substr(md5(gen_random_uuid()::text), 1, 8));`,
  // The send and failed-login limits every instance shares (pg-limits.ts): rate-limiter-flexible's
  // RateLimiterPostgres table, as the library would create it. `expire` is in epoch milliseconds.
  `CREATE TABLE rate_limits (
     key varchar(255) PRIMARY KEY,
     points integer NOT NULL DEFAULT 0,
     expire bigint
   );`,
];

/** Any constant both instances agree on: the advisory lock that migrations run under. */
const MIGRATION_LOCK = 0x7061726c; // "parl"

/** Brings the database up to date: answers the versions this call applied (none when it was current). */
export async function migratePostgres(
  sql: Sql,
  migrations: readonly string[] = PG_MIGRATIONS,
): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY,
               applied_at timestamptz NOT NULL DEFAULT now()
             )`;
    const [row] = await tx<{ current: number }[]>`
      SELECT coalesce(max(version), 0)::integer AS current FROM schema_migrations`;
    const current = row?.current ?? 0;
    if (current > migrations.length) {
      throw new Error(
        `The database is at schema version ${current}, newer than this server (${migrations.length}); refusing to start.`,
      );
    }
    const applied: number[] = [];
    for (let version = current + 1; version <= migrations.length; version++) {
      await tx.unsafe(migrations[version - 1] as string);
      await tx`INSERT INTO schema_migrations (version) VALUES (${version})`;
      applied.push(version);
    }
    return applied;
  });
}
