/**
 * `ParleyStorage` on IndexedDB (through idb): the session, each user's unsent messages, last friends
 * list and open conversation survive a reload. One of the two DOM-touching adapters the provider hands to the actor core.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { FriendBody, KeptView, OutgoingMessage, ParleyStorage, Session } from '../../machines/ports';

interface ParleyDB extends DBSchema {
  session: { key: 'current'; value: Session };
  outbox: {
    key: [string, string];
    value: OutgoingMessage & { username: string };
    indexes: { byUser: string };
  };
  /** Since version 2: each user's last fetched friends list, by username. */
  friends: { key: string; value: FriendBody[] };
  /** Since version 3: what each user had open, by username. */
  views: { key: string; value: KeptView };
}

export const DEFAULT_DB_NAME = 'parley';
/**
 * 1: session and outbox. 2: adds `friends`. 3: adds `views`. Each step only adds, so a browser's unsent
 * messages survive.
 */
export const DB_VERSION = 3;

export function createIdbStorage(name: string = DEFAULT_DB_NAME): ParleyStorage {
  let db: Promise<IDBPDatabase<ParleyDB>> | null = null;
  // Opened on first use, so creating the storage touches nothing.
  const open = () => {
    db ??= openDB<ParleyDB>(name, DB_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('session');
          const outbox = database.createObjectStore('outbox', { keyPath: ['username', 'clientId'] });
          outbox.createIndex('byUser', 'username');
        }
        if (oldVersion < 2) database.createObjectStore('friends');
        if (oldVersion < 3) database.createObjectStore('views');
      },
      // A newer version opened in another tab: let it upgrade rather than wait for this tab to close.
      blocking(_, __, event) {
        (event.target as IDBDatabase).close();
        db = null;
      },
    });
    return db;
  };
  return {
    async loadSession() {
      return (await (await open()).get('session', 'current')) ?? null;
    },
    async saveSession(session) {
      const database = await open();
      if (session) await database.put('session', session, 'current');
      else await database.delete('session', 'current');
    },
    async loadOutbox(username) {
      const rows = await (await open()).getAllFromIndex('outbox', 'byUser', username);
      return rows.map(({ username: _, ...message }) => message).sort((a, b) => a.createdAt - b.createdAt);
    },
    async putOutgoing(username, message) {
      await (await open()).put('outbox', { ...message, username });
    },
    async removeOutgoing(username, clientId) {
      await (await open()).delete('outbox', [username, clientId]);
    },
    async loadFriends(username) {
      return (await (await open()).get('friends', username)) ?? null;
    },
    async saveFriends(username, friends) {
      await (await open()).put('friends', friends, username);
    },
    async forgetFriends(username) {
      await (await open()).delete('friends', username);
    },
    async loadView(username) {
      return (await (await open()).get('views', username)) ?? null;
    },
    async saveView(username, view) {
      const database = await open();
      if (view) await database.put('views', view, username);
      else await database.delete('views', username);
    },
  };
}
