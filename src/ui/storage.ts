/**
 * `ParleyStorage` on IndexedDB (through idb): the session and each user's unsent messages survive a
 * reload. One of the two DOM-touching adapters the provider hands to the actor core.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { OutgoingMessage, ParleyStorage, Session } from '../../machines/ports';

interface ParleyDB extends DBSchema {
  session: { key: 'current'; value: Session };
  outbox: {
    key: [string, string];
    value: OutgoingMessage & { username: string };
    indexes: { byUser: string };
  };
}

export const DEFAULT_DB_NAME = 'parley';

export function createIdbStorage(name: string = DEFAULT_DB_NAME): ParleyStorage {
  let db: Promise<IDBPDatabase<ParleyDB>> | null = null;
  // Opened on first use, so creating the storage touches nothing.
  const open = () => {
    db ??= openDB<ParleyDB>(name, 1, {
      upgrade(database) {
        database.createObjectStore('session');
        const outbox = database.createObjectStore('outbox', { keyPath: ['username', 'clientId'] });
        outbox.createIndex('byUser', 'username');
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
  };
}
