import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations';
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
  content: string;
  timestamp: number;
  delivered: number;
  client_id: string | null;
}

const toMessage = (row: MessageRow): StoredMessage => ({
  id: row.id,
  senderId: row.sender_id,
  recipientId: row.recipient_id,
  content: row.content,
  timestamp: row.timestamp,
  delivered: row.delivered === 1,
  clientId: row.client_id,
});

/** A conversation is keyed by its two user ids in order, so one index serves both directions. */
const pair = (a: number, b: number): [number, number] => (a < b ? [a, b] : [b, a]);

const MESSAGE_COLUMNS = 'id, sender_id, recipient_id, content, timestamp, delivered, client_id';

export interface SqliteOptions {
  /**
   * Let other connections open the file while this store has it (a test counting rows, the sqlite3 shell).
   * Off by default: a server is its file's only user (several instances share PostgreSQL, not a file), and
   * holding the lock for good lets every statement skip SQLite's file locking and WAL shared memory, about
   * 4 µs of each read here. A second server on the same file then fails at start instead of sharing it.
   */
  shared?: boolean;
}

/** Opens (creating if missing) the SQLite database at `path` (`:memory:` works) and migrates it. */
export function openSqliteStore(path: string, options: SqliteOptions = {}): Store {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // Before WAL is entered, so that the WAL index lives in this process's heap, not in shared memory.
    if (!options.shared) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 64 MiB of page cache (the default is 2 MiB): a busy conversation's indexes stay in memory.
    db.pragma('cache_size = -65536');
    migrate(db);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(
        `The database ${path} is in use by another process (is another Parley server running?).`,
      );
    }
    throw error;
  }

  const q = {
    insertUser: db.prepare<[string, string, number]>(
      'INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (username) DO NOTHING',
    ),
    userByName: db.prepare<
      [string],
      { id: number; username: string; password_hash: string; last_seen: number | null }
    >('SELECT id, username, password_hash, last_seen FROM users WHERE username = ?'),
    setLastSeen: db.prepare<[number, number]>('UPDATE users SET last_seen = ? WHERE id = ?'),
    insertToken: db.prepare<[string, number, Buffer, number]>(
      'INSERT INTO tokens (id, user_id, secret_hash, created_at) VALUES (?, ?, ?, ?)',
    ),
    tokenById: db.prepare<[string], { user_id: number; username: string; secret_hash: Buffer }>(
      'SELECT t.user_id, u.username, t.secret_hash FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?',
    ),
    deleteToken: db.prepare<[string]>('DELETE FROM tokens WHERE id = ?'),
    insertFriendship: db.prepare<[number, number, number]>(
      'INSERT INTO friendships (user_id, friend_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    friendship: db.prepare<[number, number], { one: number }>(
      'SELECT 1 AS one FROM friendships WHERE user_id = ? AND friend_id = ?',
    ),
    friendIds: db.prepare<[number], { friend_id: number }>(
      'SELECT friend_id FROM friendships WHERE user_id = ?',
    ),
    friends: db.prepare<
      { me: number },
      { id: number; username: string; last_seen: number | null; unread: number; last_id: number | null }
    >(`SELECT u.id, u.username, u.last_seen,
         (SELECT COUNT(*) FROM messages m
           WHERE m.recipient_id = @me AND m.sender_id = u.id AND m.read = 0) AS unread,
         (SELECT MAX(m.id) FROM messages m
           WHERE m.conv_lo = MIN(@me, u.id) AND m.conv_hi = MAX(@me, u.id)) AS last_id
       FROM friendships f JOIN users u ON u.id = f.friend_id
       WHERE f.user_id = @me
       ORDER BY u.username`),
    // Answers the stored row (one statement, not an insert and a read back), or nothing on a repeated clientId.
    insertMessage: db.prepare<[number, number, number, number, string, number, number, string], MessageRow>(
      `INSERT INTO messages (sender_id, recipient_id, conv_lo, conv_hi, content, timestamp, delivered, client_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender_id, client_id) DO NOTHING
       RETURNING ${MESSAGE_COLUMNS}`,
    ),
    messageByClientId: db.prepare<[number, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND client_id = ?`,
    ),
    // `LIMIT (? + 0)`, not `LIMIT ?`: with STAT4 (which better-sqlite3 builds in) the planner reads a bare
    // bound LIMIT, so every new binding expires the statement and each call re-prepares it (~20 µs).
    newest: db.prepare<[number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conv_lo = ? AND conv_hi = ? ORDER BY id DESC LIMIT (? + 0)`,
    ),
    after: db.prepare<[number, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conv_lo = ? AND conv_hi = ? AND id > ? ORDER BY id ASC LIMIT (? + 0)`,
    ),
    before: db.prepare<[number, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conv_lo = ? AND conv_hi = ? AND id < ? ORDER BY id DESC LIMIT (? + 0)`,
    ),
    anyUnread: db.prepare<[number, number, number], { one: number }>(
      'SELECT 1 AS one FROM messages WHERE recipient_id = ? AND sender_id = ? AND read = 0 AND id <= ? LIMIT 1',
    ),
    markRead: db.prepare<[number, number, number]>(
      'UPDATE messages SET read = 1 WHERE recipient_id = ? AND sender_id = ? AND read = 0 AND id <= ?',
    ),
    markDelivered: db.prepare<[number, number, number], { id: number }>(
      `UPDATE messages SET delivered = 1
       WHERE recipient_id = ? AND sender_id = ? AND delivered = 0 AND id <= ? RETURNING id`,
    ),
  };

  const addFriendship = db.transaction((a: number, b: number, now: number) => {
    const added = q.insertFriendship.run(a, b, now).changes > 0;
    q.insertFriendship.run(b, a, now);
    return added;
  });

  // Conversation versions live in memory: every write to the file goes through this store (it holds the file
  // exclusively; a shared one lets others read, never write), so it sees every change. The epoch makes a
  // version from before a restart never match one after it. Each is kept as the string it is answered as, so
  // a poll builds no string to learn it.
  const epoch = randomBytes(6).toString('base64url');
  const versions = new Map<string, { count: number; text: string }>();
  const unchanged = `${epoch}.0`;
  const conversationKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  const bump = (a: number, b: number) => {
    const key = conversationKey(a, b);
    const count = (versions.get(key)?.count ?? 0) + 1;
    versions.set(key, { count, text: `${epoch}.${count}` });
  };
  const versionOf = (a: number, b: number) => versions.get(conversationKey(a, b))?.text ?? unchanged;

  const listPage = (userId: number, peerId: number, page: PageQuery): StoredMessage[] => {
    const [lo, hi] = pair(userId, peerId);
    if (page.after !== undefined) return q.after.all(lo, hi, page.after, page.limit).map(toMessage);
    const rows =
      page.before !== undefined
        ? q.before.all(lo, hi, page.before, page.limit)
        : q.newest.all(lo, hi, page.limit);
    return rows.reverse().map(toMessage);
  };

  /** Marks read (and delivered) what `senderId` sent `readerId` up to `upToId`; answers the newly delivered ids. */
  const markRead = (readerId: number, senderId: number, upToId: number): number[] => {
    // Most reads (every empty poll) find nothing to mark: answer that from the unread index. Only this sets
    // `read`, and it sets `delivered` with it, so a message that is not unread is already delivered.
    if (q.anyUnread.get(readerId, senderId, upToId) === undefined) return [];
    q.markRead.run(readerId, senderId, upToId);
    const delivered = q.markDelivered.all(readerId, senderId, upToId).map((row) => row.id);
    if (delivered.length > 0) bump(readerId, senderId);
    return delivered;
  };

  const readPage = db.transaction((readerId: number, peerId: number, page: PageQuery): ReadPage => {
    const messages = listPage(readerId, peerId, page);
    const upTo = Math.max(page.after ?? 0, messages.at(-1)?.id ?? 0);
    const delivered = upTo > 0 ? markRead(readerId, peerId, upTo) : [];
    for (const m of messages) if (m.senderId === peerId && m.id <= upTo) m.delivered = true;
    return { messages, delivered, version: versionOf(readerId, peerId) };
  });

  const findUser = (username: string): UserRecord | null => {
    const row = q.userByName.get(username);
    return row
      ? { id: row.id, username: row.username, passwordHash: row.password_hash, lastSeen: row.last_seen }
      : null;
  };

  return {
    async createUser(username, passwordHash, now) {
      if (q.insertUser.run(username, passwordHash, now).changes === 0) return null;
      return findUser(username);
    },
    findUserByName: (username) => findUser(username),
    async setLastSeen(userId, at) {
      q.setLastSeen.run(at, userId);
    },
    async createToken(tokenId, userId, secretHash, now) {
      q.insertToken.run(tokenId, userId, secretHash, now);
    },
    findToken(tokenId): TokenRecord | null {
      const row = q.tokenById.get(tokenId);
      return row ? { userId: row.user_id, username: row.username, secretHash: row.secret_hash } : null;
    },
    async revokeToken(tokenId) {
      q.deleteToken.run(tokenId);
    },
    async addFriendship(a, b, now) {
      return addFriendship(a, b, now);
    },
    areFriends: (a, b) => q.friendship.get(a, b) !== undefined,
    async friendIds(userId) {
      return q.friendIds.all(userId).map((row) => row.friend_id);
    },
    async listFriends(userId): Promise<FriendRecord[]> {
      return q.friends.all({ me: userId }).map((row) => ({
        id: row.id,
        username: row.username,
        lastSeen: row.last_seen,
        unread: row.unread,
        lastMessageId: row.last_id,
      }));
    },
    async insertMessage(m: NewMessage) {
      const [lo, hi] = pair(m.senderId, m.recipientId);
      const inserted = q.insertMessage.get(
        m.senderId,
        m.recipientId,
        lo,
        hi,
        m.content,
        m.timestamp,
        m.delivered ? 1 : 0,
        m.clientId,
      );
      if (inserted) {
        bump(m.senderId, m.recipientId);
        return { message: toMessage(inserted), created: true };
      }
      const row = q.messageByClientId.get(m.senderId, m.clientId);
      if (!row) throw new Error('an idempotent send found no first message');
      return { message: toMessage(row), created: false };
    },
    async readMessages(readerId, peerId, page: PageQuery) {
      return readPage(readerId, peerId, page);
    },
    conversationVersion: (a, b) => versionOf(a, b),
    async close() {
      if (db.open) db.close();
    },
  };
}
