/**
 * The clients of one process share one machine (src/client/index.ts), its ports routing each call to the
 * client whose actor made it. Each client's own API and storage must see its calls, and only its calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../machines';
import type { ParleyApi, PushEvent } from '../../machines/ports';
import { createParleyClient, type ParleyClient } from '../../src/client';

let clients: ParleyClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  clients = [];
});

/** An in-memory API for one person, befriended with `peer`, recording every call with the token it carried. */
function fakeApi(name: string, peer: string) {
  const calls: string[] = [];
  const token = `token-of-${name}`;
  let push: ((event: PushEvent & { id: string | null }) => void) | null = null;
  const api: ParleyApi = {
    status: async (t) => {
      calls.push(`status ${t}`);
      return { status: 'online', version: '1.0.0', time: Date.now(), user: name };
    },
    register: async (username) => {
      calls.push(`register ${username}`);
      return { username, token };
    },
    login: async (username) => ({ username, token }),
    logout: async () => {},
    friends: async (t) => {
      calls.push(`friends ${t}`);
      return {
        notModified: false,
        body: [{ username: peer, online: true, lastSeen: null, unread: 0, lastMessageId: null }],
        etag: null,
      };
    },
    addFriend: async (_t, username) => username,
    messages: async (t) => {
      calls.push(`messages ${t}`);
      return { notModified: false, body: [], etag: null };
    },
    send: async (t, message) => {
      calls.push(`send ${t} ${message.to}`);
      const body = {
        id: 1,
        direction: 'sent' as const,
        peer: message.to,
        content: message.content,
        timestamp: Date.now(),
        delivered: false,
        clientId: message.clientId,
      };
      push?.({ type: 'message', data: body, id: '1' });
      return { success: true, id: 1, timestamp: body.timestamp, delivered: false };
    },
    events: (t, _last, handlers, { signal }) => {
      calls.push(`events ${t}`);
      push = handlers.onEvent;
      handlers.onOpen();
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { kind: 'aborted' })),
        );
      });
    },
  };
  return { api, calls, token };
}

describe('clients sharing one machine', () => {
  it("route every call to the client's own API and storage", async () => {
    const alice = fakeApi('alice', 'bob');
    const bob = fakeApi('bob', 'alice');
    const aliceStorage = createMemoryStorage();
    const bobStorage = createMemoryStorage();
    const a = createParleyClient({ baseUrl: 'http://unused', api: alice.api, storage: aliceStorage });
    const b = createParleyClient({ baseUrl: 'http://unused', api: bob.api, storage: bobStorage });
    // Another batching delay gets a machine of its own; its calls are routed the same way.
    const carol = fakeApi('carol', 'dave');
    const c = createParleyClient({ baseUrl: 'http://unused', api: carol.api, batchMs: 5 });
    clients = [a, b, c];
    expect(a.actor.logic).toBe(b.actor.logic);
    expect(c.actor.logic).not.toBe(a.actor.logic);

    await Promise.all([
      a.register('alice', 'password'),
      b.register('bob', 'password'),
      c.register('carol', 'p'),
    ]);
    a.select('bob');
    b.select('alice');
    await a.until(() => a.peer() === 'bob' && a.connection().live);
    await b.until(() => b.peer() === 'alice' && b.connection().live);
    a.send('bob', 'hello');
    await a.until(() => a.messages().some((m) => m.content === 'hello'));

    for (const { calls, token } of [alice, bob, carol])
      for (const call of calls) if (!call.startsWith('register')) expect(call).toContain(token);
    expect(alice.calls).toContain('register alice');
    expect(alice.calls).toContain('send token-of-alice bob');
    expect(bob.calls).toEqual(expect.arrayContaining(['register bob', 'events token-of-bob']));
    expect(bob.calls.some((call) => call.startsWith('send'))).toBe(false);
    expect(carol.calls).toEqual(expect.arrayContaining(['register carol', 'events token-of-carol']));
    await expect(aliceStorage.loadSession()).resolves.toMatchObject({ username: 'alice' });
    await expect(bobStorage.loadSession()).resolves.toMatchObject({ username: 'bob' });
  });
});
