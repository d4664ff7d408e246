import postgres, { type Sql } from 'postgres';
import { createPgLimits } from './pg-limits';
import { migratePostgres } from './pg-migrations';
import type {
  FriendRecord,
  NewMessage,
  PageQuery,
  ReadPage,
  Store,
  StoredMessage,
  TokenRecord,
  UserRecord,
} from './store';

interface MessageRow {
  id: number;
  sender_id: number;
  recipient_id: number;
  content: Buffer;
  timestamp: number;
  delivered: boolean;
  client_id: Buffer | null;
}

const toMessage = (row: MessageRow): StoredMessage => ({
  id: row.id,
  senderId: row.sender_id,
  recipientId: row.recipient_id,
  content: row.content.toString('utf8'),
  timestamp: row.timestamp,
  delivered: row.delivered,
  clientId: row.client_id === null ? null : row.client_id.toString('utf8'),
});

/** A conversation is keyed by its two user ids in order, so one row and one index serve both directions. */
const pair = (a: number, b: number): [number, number] => (a < b ? [a, b] : [b, a]);

/** Thrown inside a send's transaction to undo its version bump when the clientId was already used. */
const REPEATED = Symbol('repeated clientId');

export interface PostgresOptions {
  /** Connections in this instance's pool (default 10). */
  max?: number;
  /**
   * How long the cache in front of the store may trust a token it read (default 500 ms): another instance
   * may revoke it, and a logout must be refused everywhere within a second.
   */
  tokenTrustMs?: number;
}

/**
 * Opens the PostgreSQL database at `url` (postgres://…) and migrates it. Several instances may share it:
 * nothing of the conversation state is kept in this process.
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const sql: Sql = postgres(url, {
    max: options.max ?? 10,
    prepare: true,
    onnotice: () => {},
    // Ids, timestamps and counts are int8: numbers here (ids and milliseconds stay far below 2^53).
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (n: number) => String(n),
        parse: (text: string) => Number(text),
      },
    },
    connection: { application_name: 'parley' },
  }) as unknown as Sql;
  let epoch: string;
  try {
    await migratePostgres(sql);
    const [meta] = await sql<{ epoch: string }[]>`SELECT epoch FROM parley_meta`;
    if (!meta) throw new Error('The database has no parley_meta row.');
    epoch = meta.epoch;
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }

  /** The version as it is answered: the database's epoch and the conversation's counter. */
  const versionText = (count: number) => `${epoch}.${count}`;

  const versionCount = async (lo: number, hi: number): Promise<number> => {
    const [row] = await sql<{ version: number }[]>`
      SELECT version FROM conversations WHERE lo = ${lo} AND hi = ${hi}`;
    return row?.version ?? 0;
  };

  const listPage = async (userId: number, peerId: number, page: PageQuery): Promise<StoredMessage[]> => {
    const [lo, hi] = pair(userId, peerId);
    if (page.after !== undefined) {
      const rows = await sql<MessageRow[]>`
        SELECT id, sender_id, recipient_id, content, timestamp, delivered, client_id FROM messages
        WHERE conv_lo = ${lo} AND conv_hi = ${hi} AND id > ${page.after} ORDER BY id ASC LIMIT ${page.limit}`;
      return rows.map(toMessage);
    }
    const rows =
      page.before !== undefined
        ? await sql<MessageRow[]>`
            SELECT id, sender_id, recipient_id, content, timestamp, delivered, client_id FROM messages
            WHERE conv_lo = ${lo} AND conv_hi = ${hi} AND id < ${page.before}
            ORDER BY id DESC LIMIT ${page.limit}`
        : await sql<MessageRow[]>`
            SELECT id, sender_id, recipient_id, content, timestamp, delivered, client_id FROM messages
            WHERE conv_lo = ${lo} AND conv_hi = ${hi} ORDER BY id DESC LIMIT ${page.limit}`;
    return rows.map(toMessage).reverse();
  };

  /**
   * Marks read (and delivered) what `senderId` sent `readerId` up to `upToId`, under the conversation's
   * lock; answers the newly delivered ids, and the version to answer with the page: the bumped one when
   * nothing else changed the conversation since `seen` (the version read before the page), else `seen`.
   */
  const markRead = async (readerId: number, senderId: number, upToId: number, seen: number) => {
    const [lo, hi] = pair(readerId, senderId);
    return sql.begin(async (tx) => {
      const [locked] = await tx<{ version: number }[]>`
        SELECT version FROM conversations WHERE lo = ${lo} AND hi = ${hi} FOR UPDATE`;
      const delivered = await tx<{ id: number }[]>`
        UPDATE messages SET delivered = true, read = true
        WHERE recipient_id = ${readerId} AND sender_id = ${senderId} AND NOT delivered AND id <= ${upToId}
        RETURNING id`;
      await tx`
        UPDATE messages SET read = true
        WHERE recipient_id = ${readerId} AND sender_id = ${senderId} AND NOT read AND id <= ${upToId}`;
      if (delivered.length === 0) return { delivered: [] as number[], version: seen };
      const [bumped] = await tx<{ version: number }[]>`
        UPDATE conversations SET version = version + 1 WHERE lo = ${lo} AND hi = ${hi} RETURNING version`;
      const version = locked?.version === seen && bumped ? bumped.version : seen;
      return { delivered: delivered.map((row) => row.id), version };
    });
  };

  const toUser = (row: {
    id: number;
    username: string;
    password_hash: string;
    last_seen: number | null;
  }) => ({
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    lastSeen: row.last_seen,
  });

  const limits = createPgLimits(sql);
  // Rows of windows that have ended are of no use to anyone: swept now and then (a failure is harmless).
  const sweeper = setInterval(() => void limits.sweep().catch(() => {}), 5 * 60_000);
  sweeper.unref();

  return {
    tokenTrustMs: options.tokenTrustMs ?? 500,
    sharedLimits: { sends: limits.sends, failedLogins: limits.failedLogins },
    async createUser(username, passwordHash, now): Promise<UserRecord | null> {
      const [row] = await sql<{ id: number; username: string; password_hash: string; last_seen: null }[]>`
        INSERT INTO users (username, password_hash, created_at) VALUES (${username}, ${passwordHash}, ${now})
        ON CONFLICT (username) DO NOTHING
        RETURNING id, username, password_hash, last_seen`;
      return row ? toUser(row) : null;
    },
    async findUserByName(username) {
      const [row] = await sql<
        { id: number; username: string; password_hash: string; last_seen: number | null }[]
      >`SELECT id, username, password_hash, last_seen FROM users WHERE username = ${username}`;
      return row ? toUser(row) : null;
    },
    async setLastSeen(userId, at) {
      await sql`UPDATE users SET last_seen = ${at} WHERE id = ${userId}`;
    },
    async createToken(tokenId, userId, secretHash, now) {
      await sql`INSERT INTO tokens (id, user_id, secret_hash, created_at)
                VALUES (${tokenId}, ${userId}, ${secretHash}, ${now})`;
    },
    async findToken(tokenId): Promise<TokenRecord | null> {
      const [row] = await sql<{ user_id: number; username: string; secret_hash: Buffer }[]>`
        SELECT t.user_id, u.username, t.secret_hash FROM tokens t JOIN users u ON u.id = t.user_id
        WHERE t.id = ${tokenId}`;
      return row ? { userId: row.user_id, username: row.username, secretHash: row.secret_hash } : null;
    },
    async revokeToken(tokenId) {
      await sql`DELETE FROM tokens WHERE id = ${tokenId}`;
    },
    async addFriendship(a, b, now) {
      // Both directions in one statement: either both rows exist afterwards or the statement failed.
      const rows = await sql<{ user_id: number }[]>`
        INSERT INTO friendships (user_id, friend_id, created_at) VALUES (${a}, ${b}, ${now}), (${b}, ${a}, ${now})
        ON CONFLICT DO NOTHING RETURNING user_id`;
      return rows.some((row) => row.user_id === a);
    },
    async areFriends(a, b) {
      const rows = await sql`SELECT 1 FROM friendships WHERE user_id = ${a} AND friend_id = ${b}`;
      return rows.length > 0;
    },
    async friendIds(userId) {
      const rows = await sql<{ friend_id: number }[]>`
        SELECT friend_id FROM friendships WHERE user_id = ${userId}`;
      return rows.map((row) => row.friend_id);
    },
    async listFriends(userId): Promise<FriendRecord[]> {
      const rows = await sql<
        { id: number; username: string; last_seen: number | null; unread: number; last_id: number | null }[]
      >`SELECT u.id, u.username, u.last_seen,
           (SELECT count(*) FROM messages m
             WHERE m.recipient_id = ${userId} AND m.sender_id = u.id AND NOT m.read) AS unread,
           (SELECT max(m.id) FROM messages m
             WHERE m.conv_lo = least(${userId}::bigint, u.id) AND m.conv_hi = greatest(${userId}::bigint, u.id)) AS last_id
         FROM friendships f JOIN users u ON u.id = f.friend_id
         WHERE f.user_id = ${userId}
         ORDER BY u.username`;
      return rows.map((row) => ({
        id: row.id,
        username: row.username,
        lastSeen: row.last_seen,
        unread: row.unread,
        lastMessageId: row.last_id,
      }));
    },
    async insertMessage(m: NewMessage) {
      const [lo, hi] = pair(m.senderId, m.recipientId);
      // A message imported without a clientId keeps NULL (never a conflict).
      const clientId = m.clientId == null ? null : Buffer.from(m.clientId, 'utf8');
      try {
        const row = await sql.begin(async (tx) => {
          // Creating or bumping the conversation's row locks it until this transaction ends, and the id is
          // taken only then: within a conversation, ids are given in commit order.
          await tx`
            INSERT INTO conversations (lo, hi, version) VALUES (${lo}, ${hi}, 1)
            ON CONFLICT (lo, hi) DO UPDATE SET version = conversations.version + 1`;
          const [inserted] = await tx<MessageRow[]>`
            INSERT INTO messages (id, sender_id, recipient_id, conv_lo, conv_hi, content, timestamp, delivered, client_id)
            VALUES (nextval('message_ids'), ${m.senderId}, ${m.recipientId}, ${lo}, ${hi},
                    ${Buffer.from(m.content, 'utf8')}, ${m.timestamp}, ${m.delivered}, ${clientId})
            ON CONFLICT (sender_id, client_id) DO NOTHING
            RETURNING id, sender_id, recipient_id, content, timestamp, delivered, client_id`;
          if (!inserted) throw REPEATED;
          return inserted;
        });
        return { message: toMessage(row), created: true };
      } catch (error) {
        if (error !== REPEATED) throw error;
      }
      const [first] = await sql<MessageRow[]>`
        SELECT id, sender_id, recipient_id, content, timestamp, delivered, client_id FROM messages
        WHERE sender_id = ${m.senderId} AND client_id = ${clientId}`;
      if (!first) throw new Error('an idempotent send found no first message');
      return { message: toMessage(first), created: false };
    },
    async readMessages(readerId, peerId, page): Promise<ReadPage> {
      const [lo, hi] = pair(readerId, peerId);
      // The version is read before the page, so the page holds at least what the version stands for: a
      // change committed in between makes the next conditional poll a 200, never a 304 that misses it.
      const seen = await versionCount(lo, hi);
      const messages = await listPage(readerId, peerId, page);
      const upTo = Math.max(page.after ?? 0, messages.at(-1)?.id ?? 0);
      let delivered: number[] = [];
      let version = seen;
      if (upTo > 0) {
        // Most reads (every empty poll) find nothing to mark: answer that without a transaction.
        const [unread] = await sql<{ any: boolean }[]>`
          SELECT EXISTS (SELECT 1 FROM messages
            WHERE recipient_id = ${readerId} AND sender_id = ${peerId} AND NOT read AND id <= ${upTo}) AS any`;
        if (unread?.any) ({ delivered, version } = await markRead(readerId, peerId, upTo, seen));
      }
      for (const m of messages) if (m.senderId === peerId && m.id <= upTo) m.delivered = true;
      return { messages, delivered, version: versionText(version) };
    },
    async conversationVersion(a, b) {
      const [lo, hi] = pair(a, b);
      return versionText(await versionCount(lo, hi));
    },
    async close() {
      clearInterval(sweeper);
      await sql.end({ timeout: 5 });
    },
  };
}
