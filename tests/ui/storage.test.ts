/**
 * The IndexedDB storage (on fake-indexeddb): a browser that ran an earlier version keeps its session and
 * unsent messages through the upgrade, and the friends list kept since version 2 and the open
 * conversation kept since version 3 are per user.
 */
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import type { FriendBody, OutgoingMessage } from '../../machines/ports';
import { createIdbStorage, DB_VERSION } from '../../src/ui/storage';

let databases = 0;
const newName = () => `parley-storage-test-${++databases}`;

const outgoing = (clientId: string, createdAt: number): OutgoingMessage => ({
  clientId,
  to: 'bob',
  content: `written offline ${clientId}`,
  createdAt,
});
const bob: FriendBody = { username: 'bob', online: true, lastSeen: 5, unread: 1, lastMessageId: 9 };

/** A database as version 1 of the app left it: the session and two unsent messages of alice's. */
async function versionOne(name: string) {
  const db = await openDB(name, 1, {
    upgrade(database) {
      database.createObjectStore('session');
      const outbox = database.createObjectStore('outbox', { keyPath: ['username', 'clientId'] });
      outbox.createIndex('byUser', 'username');
    },
  });
  await db.put('session', { username: 'alice', token: 'tok' }, 'current');
  await db.put('outbox', { ...outgoing('c2', 2), username: 'alice' });
  await db.put('outbox', { ...outgoing('c1', 1), username: 'alice' });
  await db.put('outbox', { ...outgoing('c3', 3), username: 'carol' });
  db.close();
}

describe('IndexedDB storage', () => {
  it('upgrades a version 1 database with its session and unsent messages intact, adding the friends and views stores', async () => {
    const name = newName();
    await versionOne(name);
    const storage = createIdbStorage(name);
    expect(await storage.loadOutbox('alice')).toEqual([outgoing('c1', 1), outgoing('c2', 2)]);
    expect(await storage.loadOutbox('carol')).toEqual([outgoing('c3', 3)]);
    expect(await storage.loadSession()).toEqual({ username: 'alice', token: 'tok' });
    expect(await storage.loadFriends('alice')).toBeNull();
    await storage.saveFriends('alice', [bob]);
    expect(await storage.loadFriends('alice')).toEqual([bob]);
    expect(await storage.loadView('alice')).toBeNull();

    const raw = await openDB(name);
    expect(raw.version).toBe(DB_VERSION);
    expect([...raw.objectStoreNames].sort()).toEqual(['friends', 'outbox', 'session', 'views']);
    raw.close();
  });

  it('upgrades a version 2 database with its kept friends list intact, adding the views store', async () => {
    const name = newName();
    await versionOne(name);
    const two = await openDB(name, 2, {
      upgrade(database) {
        database.createObjectStore('friends');
      },
    });
    await two.put('friends', [bob], 'alice');
    two.close();
    const storage = createIdbStorage(name);
    expect(await storage.loadFriends('alice')).toEqual([bob]);
    expect(await storage.loadSession()).toEqual({ username: 'alice', token: 'tok' });
    await storage.saveView('alice', { peer: 'bob' });
    expect(await storage.loadView('alice')).toEqual({ peer: 'bob' });
  });

  it('keeps the unsent messages when the upgraded database is opened again', async () => {
    const name = newName();
    await versionOne(name);
    await createIdbStorage(name).loadSession();
    const reloaded = createIdbStorage(name);
    expect((await reloaded.loadOutbox('alice')).map((m) => m.clientId)).toEqual(['c1', 'c2']);
  });

  it("keeps each user's friends list apart, and forgets one user's without touching the rest", async () => {
    const storage = createIdbStorage(newName());
    const carol: FriendBody = { ...bob, username: 'carol' };
    await storage.saveFriends('alice', [bob]);
    await storage.saveFriends('dave', [carol]);
    await storage.putOutgoing('alice', outgoing('c1', 1));
    expect(await storage.loadFriends('alice')).toEqual([bob]);
    expect(await storage.loadFriends('dave')).toEqual([carol]);
    await storage.forgetFriends('alice');
    expect(await storage.loadFriends('alice')).toBeNull();
    expect(await storage.loadFriends('dave')).toEqual([carol]);
    expect(await storage.loadOutbox('alice')).toEqual([outgoing('c1', 1)]);
  });

  it("keeps each user's open conversation apart, and forgets one user's without touching the rest", async () => {
    const name = newName();
    const storage = createIdbStorage(name);
    await storage.saveView('alice', { peer: 'bob' });
    await storage.saveView('dave', { peer: 'carol' });
    await storage.saveView('alice', { peer: 'carol' });
    const reloaded = createIdbStorage(name);
    expect(await reloaded.loadView('alice')).toEqual({ peer: 'carol' });
    expect(await reloaded.loadView('dave')).toEqual({ peer: 'carol' });
    expect(await reloaded.loadView('erin')).toBeNull();
    await reloaded.saveView('alice', null);
    expect(await reloaded.loadView('alice')).toBeNull();
    expect(await reloaded.loadView('dave')).toEqual({ peer: 'carol' });
  });
});
