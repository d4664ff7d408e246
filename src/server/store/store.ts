import type { Awaitable } from '../awaitable';
import type { SharedLimits } from '../rateLimit';

/**
 * Everything the server keeps, behind one interface, implemented by the SQLite store (sqlite.ts, one
 * process) and the PostgreSQL store (postgres.ts, shared by several instances). Every method may answer
 * with a promise; the reads every request makes (token, user, friendship, version) are Awaitable: the
 * cache (cached.ts) and the SQLite store answer them at once.
 */

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  lastSeen: number | null;
}

export interface TokenRecord {
  userId: number;
  username: string;
  secretHash: Buffer;
}

export interface StoredMessage {
  id: number;
  senderId: number;
  recipientId: number;
  content: string;
  timestamp: number;
  delivered: boolean;
  clientId: string | null;
}

export interface FriendRecord {
  id: number;
  username: string;
  lastSeen: number | null;
  unread: number;
  lastMessageId: number | null;
}

export interface NewMessage {
  senderId: number;
  recipientId: number;
  content: string;
  clientId: string;
  timestamp: number;
  delivered: boolean;
}

export interface PageQuery {
  after?: number | undefined;
  before?: number | undefined;
  limit: number;
}

export interface ReadPage {
  messages: StoredMessage[];
  delivered: number[];
  version: string;
}

export interface Store {
  /**
   * How long the cache in front of the store (cached.ts) may go on trusting a token it read. Absent when
   * this process makes every change (SQLite); a store that other instances share sets it, since a logout
   * through another instance is not seen here.
   */
  readonly tokenTrustMs?: number;

  /**
   * Rate limits kept in the database for every instance on it (PostgreSQL). Absent when this process is
   * the only server (SQLite): the app keeps its limits in memory then.
   */
  readonly sharedLimits?: SharedLimits;

  /** Creates the user, or answers null when the (lower-case) name is taken. */
  createUser(username: string, passwordHash: string, now: number): Promise<UserRecord | null>;
  // The reads of every request may answer at once (Awaitable) when the value is in memory.
  findUserByName(username: string): Awaitable<UserRecord | null>;
  setLastSeen(userId: number, at: number): Promise<void>;

  createToken(tokenId: string, userId: number, secretHash: Buffer, now: number): Promise<void>;
  findToken(tokenId: string): Awaitable<TokenRecord | null>;
  revokeToken(tokenId: string): Promise<void>;

  /** Makes a and b friends both ways; false when they already were. */
  addFriendship(a: number, b: number, now: number): Promise<boolean>;
  areFriends(a: number, b: number): Awaitable<boolean>;
  friendIds(userId: number): Promise<number[]>;
  /** The user's friends, sorted by username, with unread counts and the last message of each conversation. */
  listFriends(userId: number): Promise<FriendRecord[]>;

  /** Stores a message once per (sender, clientId): `created` is false when that clientId was already used. */
  insertMessage(message: NewMessage): Promise<{ message: StoredMessage; created: boolean }>;
  /**
   * Reads a page of the conversation with `peerId` as `readerId` sees it, ascending by id, and marks what the
   * reader has now seen as read (and so delivered): the page, and with `after` everything up to the cursor.
   * One consistent step: `delivered` lists the ids whose flag changed (so their sender can be told), the
   * page already shows them delivered, and `version` is the conversation's version with the page.
   */
  readMessages(readerId: number, peerId: number, page: PageQuery): Promise<ReadPage>;
  /**
   * An opaque version of the conversation between two users (either order): it changes whenever one of its
   * messages is added or changes its `delivered` flag, and a restarted server never repeats an old one. Lets
   * a conditional poll be answered 304 without reading the messages.
   */
  conversationVersion(a: number, b: number): Awaitable<string>;

  close(): Promise<void>;
}
