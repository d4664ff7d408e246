/**
 * The mock backend's data, in memory: the same records as the reference server's SQLite store, kept in
 * plain maps so the module runs unchanged in Node and in the browser's service worker (no node:* here).
 */

export interface MockUser {
  id: number;
  username: string;
  /**
   * Kept as typed: this backend lives in a test process or a demo tab and never holds a real password;
   * the reference server stores only a salted scrypt hash.
   */
  password: string;
  lastSeen: number | null;
}

export interface MockMessage {
  id: number;
  senderId: number;
  recipientId: number;
  content: string;
  timestamp: number;
  delivered: boolean;
  /** Whether the recipient has read it; what the friends list's `unread` counts. */
  read: boolean;
  clientId: string | null;
}

export interface MockPage {
  after?: number | undefined;
  before?: number | undefined;
  limit: number;
}

export type MockStore = ReturnType<typeof createMockStore>;

/** `<16 chars>.<43 chars>` of base64url, 96 + 256 random bits: the reference server's token shape. */
function newToken(): string {
  const part = (bytes: number) => {
    const raw = crypto.getRandomValues(new Uint8Array(bytes));
    return btoa(String.fromCharCode(...raw))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '');
  };
  return `${part(12)}.${part(32)}`;
}

export function createMockStore() {
  const usersByName = new Map<string, MockUser>();
  const usersById = new Map<number, MockUser>();
  // Looked up by the whole token: a mock need not resist timing probes as the real server does.
  const tokens = new Map<string, number>();
  const friendships = new Map<number, Set<number>>();
  let messages: MockMessage[] = [];
  let nextUserId = 1;
  let nextMessageId = 1;

  const friendsOf = (userId: number): Set<number> => {
    let set = friendships.get(userId);
    if (!set) {
      set = new Set();
      friendships.set(userId, set);
    }
    return set;
  };
  const inConversation = (a: number, b: number) => (m: MockMessage) =>
    (m.senderId === a && m.recipientId === b) || (m.senderId === b && m.recipientId === a);

  return {
    /** Creates the user, or answers null when the (already lower-cased) name is taken. */
    createUser(username: string, password: string): MockUser | null {
      if (usersByName.has(username)) return null;
      const user: MockUser = { id: nextUserId++, username, password, lastSeen: null };
      usersByName.set(username, user);
      usersById.set(user.id, user);
      return user;
    },
    userByName: (username: string): MockUser | undefined => usersByName.get(username),
    userById(id: number): MockUser {
      const user = usersById.get(id);
      if (!user) throw new Error(`mock store: no user with id ${id}`);
      return user;
    },
    issueToken(userId: number): string {
      const token = newToken();
      tokens.set(token, userId);
      return token;
    },
    userForToken(token: string): MockUser | undefined {
      const id = tokens.get(token);
      return id === undefined ? undefined : usersById.get(id);
    },
    revokeToken(token: string) {
      tokens.delete(token);
    },
    revokeTokensOf(userId: number) {
      for (const [token, id] of tokens) if (id === userId) tokens.delete(token);
    },

    /** Makes a and b friends both ways; false when they already were. */
    addFriendship(a: number, b: number): boolean {
      if (friendsOf(a).has(b)) return false;
      friendsOf(a).add(b);
      friendsOf(b).add(a);
      return true;
    },
    areFriends: (a: number, b: number): boolean => friendsOf(a).has(b),
    friendIds: (userId: number): number[] => [...friendsOf(userId)],

    /** The whole conversation between two users, ascending by id. */
    conversation: (a: number, b: number): MockMessage[] => messages.filter(inConversation(a, b)),
    /** A page as the server's queries cut it: `after` oldest first, otherwise the newest `limit` before a point. */
    page(a: number, b: number, page: MockPage): MockMessage[] {
      const all = messages.filter(inConversation(a, b));
      if (page.after !== undefined) {
        const after = page.after;
        return all.filter((m) => m.id > after).slice(0, page.limit);
      }
      const before = page.before;
      const older = before === undefined ? all : all.filter((m) => m.id < before);
      return older.slice(-page.limit);
    },
    unread: (readerId: number, senderId: number): number =>
      messages.filter((m) => m.recipientId === readerId && m.senderId === senderId && !m.read).length,
    lastMessageId: (a: number, b: number): number | null =>
      messages.findLast(inConversation(a, b))?.id ?? null,
    byClientId: (senderId: number, clientId: string): MockMessage | undefined =>
      messages.find((m) => m.senderId === senderId && m.clientId === clientId),
    insertMessage(message: Omit<MockMessage, 'id' | 'read'>): MockMessage {
      const stored: MockMessage = { ...message, id: nextMessageId++, read: false };
      messages.push(stored);
      return stored;
    },
    /**
     * Marks what `senderId` sent to `readerId` up to `upToId` as read (and so delivered); answers the ids
     * whose `delivered` flag changed, so their sender can be told.
     */
    markRead(readerId: number, senderId: number, upToId: number): number[] {
      const changed: number[] = [];
      for (const m of messages) {
        if (m.recipientId !== readerId || m.senderId !== senderId || m.id > upToId) continue;
        m.read = true;
        if (!m.delivered) {
          m.delivered = true;
          changed.push(m.id);
        }
      }
      return changed;
    },

    reset() {
      usersByName.clear();
      usersById.clear();
      tokens.clear();
      friendships.clear();
      messages = [];
      nextUserId = 1;
      nextMessageId = 1;
    },
  };
}
