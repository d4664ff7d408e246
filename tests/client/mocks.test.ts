/**
 * The headless client (the real actor system) against the MSW backends. API.md: "the client must work
 * against both" the full backend and a degraded one, and through the faults networks and servers have.
 * Real timers throughout (polls every 2 s, friends every 10 s, back-off from 1 s): every wait is for a
 * condition with a generous deadline, never a fixed sleep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { type OutboxContext, pendingFor } from '../../machines/outboxMachine';
import type { ApiFailure, MessageBody, ParleyApi } from '../../machines/ports';
import { createApiClient } from '../../src/api/client';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { DEFAULT_PASSWORD, type MockBackend, type MockVariant } from '../../src/mocks/backend';
import { createMockServer } from '../../src/mocks/node';

const BASE_URL = 'http://parley.test';

let stopServer: (() => void) | null = null;
let clients: ParleyClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  clients = [];
  stopServer?.();
  stopServer = null;
});

function startBackend(variant: MockVariant): MockBackend {
  const { server, backend } = createMockServer({ variant, baseUrl: BASE_URL });
  server.listen({ onUnhandledRequest: 'error' });
  stopServer = () => server.close();
  return backend;
}

/** What one client's API saw: the clientId of each POST, each failed call, how many message fetches. */
interface Calls {
  posts: string[];
  failures: { call: 'friends' | 'messages' | 'send'; failure: ApiFailure }[];
  messageFetches: number;
}

/** The fetch-based API on the global fetch (the one msw/node intercepts), recording what the tests check. */
function recordingApi(calls: Calls): ParleyApi {
  const api = createApiClient({ baseUrl: BASE_URL, fetch: (url, init) => globalThis.fetch(url, init) });
  const noted =
    <A extends unknown[], R>(call: Calls['failures'][number]['call'], run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (error) {
        const failure = error as ApiFailure;
        // A fetch restarted by newer news is aborted on purpose: no failure of the backend.
        if (failure.kind !== 'aborted') calls.failures.push({ call, failure });
        throw error;
      }
    };
  return {
    ...api,
    friends: noted('friends', api.friends),
    messages: noted('messages', (...args: Parameters<ParleyApi['messages']>) => {
      calls.messageFetches += 1;
      return api.messages(...args);
    }),
    send: noted('send', (...args: Parameters<ParleyApi['send']>) => {
      calls.posts.push(args[1].clientId);
      return api.send(...args);
    }),
  };
}

function makeClient() {
  const calls: Calls = { posts: [], failures: [], messageFetches: 0 };
  // Pushed events are batched for a frame, as in the browser.
  const client = createParleyClient({ baseUrl: BASE_URL, api: recordingApi(calls), batchMs: 16 });
  clients.push(client);
  return { client, calls };
}

const child = (client: ParleyClient, id: string) =>
  (client.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];

/** The outbox's send actors for messages to `peer` (each ref's snapshot has the tags the UI shows). */
const sendsTo = (client: ParleyClient, peer: string) => {
  const outbox = child(client, 'outbox')?.getSnapshot() as { context: OutboxContext } | undefined;
  return outbox ? pendingFor(outbox, peer) : [];
};

const conversationError = (client: ParleyClient) =>
  (child(client, 'conversation')?.getSnapshot().context as { lastError: ApiFailure | null } | undefined)
    ?.lastError;

/** No friends fetch in flight: nothing started earlier can meet a fault set now. */
const friendsAtRest = (client: ParleyClient) => {
  const friends = child(client, 'friends')?.getSnapshot();
  return friends?.matches({ list: 'idle' }) === true || friends?.matches({ list: 'polling' }) === true;
};

/** Messages as [direction, content] pairs. */
const lines = (messages: MessageBody[]) => messages.map((m) => [m.direction, m.content]);

const count = (messages: MessageBody[], content: string) =>
  messages.filter((m) => m.content === content).length;

const hasFriend = (client: ParleyClient, name: string) => client.friends().some((f) => f.username === name);

/** Whether the client's connection was offline at any moment between this call and the returned one. */
function watchOffline(client: ParleyClient): () => boolean {
  const connection = child(client, 'connection');
  let seen = connection?.getSnapshot().hasTag('offline') === true;
  const subscription = connection?.subscribe((snapshot) => {
    if (snapshot.hasTag('offline')) seen = true;
  });
  return () => {
    subscription?.unsubscribe();
    return seen;
  };
}

interface PairOptions {
  /** 'api': register and befriend through the clients; 'seed': through the mock's state, then log in. */
  via: 'api' | 'seed';
  /** The transport both clients must end up on. */
  transport: 'live' | 'polling';
  /** Open each other's conversation (the default). */
  open?: boolean;
}

/** Alice and bob signed in, friends, online on the expected transport, and (unless `open` is false) chatting. */
async function pair(backend: MockBackend, options: PairOptions) {
  const polling = options.transport === 'polling';
  const a = makeClient();
  const b = makeClient();
  if (options.via === 'api') {
    await a.client.register('alice', DEFAULT_PASSWORD);
    await b.client.register('bob', DEFAULT_PASSWORD);
    a.client.addFriend('bob');
  } else {
    backend.state.addUser('alice');
    backend.state.addUser('bob');
    backend.state.befriend('alice', 'bob');
    await a.client.login('alice', DEFAULT_PASSWORD);
    await b.client.login('bob', DEFAULT_PASSWORD);
  }
  await a.client.until(() => hasFriend(a.client, 'bob'), 5000, 'alice sees bob');
  // Polling, bob learns of a friendship made after his first load at his next friends poll (up to 10 s
  // later): the callers that need his list wait for it later, while other things happen.
  if (!(polling && options.via === 'api')) {
    await b.client.until(() => hasFriend(b.client, 'alice'), 5000, 'bob sees alice');
  }
  for (const { client } of [a, b]) {
    // A stream that is there but broken is given up after three openings, 1 s and 2 s apart.
    await client.until(
      () => client.connection().online && client.connection().live === !polling,
      15_000,
      `the ${options.transport} transport`,
    );
  }
  if (options.open !== false) {
    await open(a.client, 'bob');
    await open(b.client, 'alice');
  }
  return { alice: a.client, bob: b.client, aliceCalls: a.calls, bobCalls: b.calls };
}

/** Selects `peer` and waits for the conversation's first load to end (well or not). */
async function open(client: ParleyClient, peer: string) {
  client.select(peer);
  await client.until(() => client.peer() === peer, 5000, `the conversation with ${peer} opens`);
  await client.until(
    () => child(client, 'conversation')?.getSnapshot().hasTag('loading') === false,
    10_000,
    `the conversation with ${peer} loads`,
  );
}

describe.each(['full', 'basic'] as const)('two headless clients on the %s mock backend', (variant) => {
  const transport = variant === 'full' ? 'live' : 'polling';
  it(variant === 'full'
    ? 'chat live both ways, each message once and in order on both sides'
    : 'fall back to polling (no stream, ETag, cursor or clientId) and still show each message once and in order', async () => {
    const backend = startBackend(variant);
    const { alice, bob, aliceCalls, bobCalls } = await pair(backend, { via: 'api', transport });
    expect(alice.connection()).toEqual({ online: true, live: variant === 'full' });
    expect(bob.connection()).toEqual({ online: true, live: variant === 'full' });

    const first = alice.send('bob', 'hi bob');
    const second = alice.send('bob', 'how are you?');
    await bob.until(() => bob.messages().length === 2, 10_000, 'bob receives both');
    expect(lines(bob.messages())).toEqual([
      ['received', 'hi bob'],
      ['received', 'how are you?'],
    ]);

    const reply = bob.send('alice', 'fine, thanks');
    await alice.until(() => count(alice.messages(), 'fine, thanks') > 0, 10_000, 'alice receives');
    await bob.until(() => count(bob.messages(), 'fine, thanks') > 0, 10_000, 'bob shows his reply');

    const stored = backend.state.conversation('alice', 'bob');
    expect(lines(stored)).toEqual([
      ['sent', 'hi bob'],
      ['sent', 'how are you?'],
      ['received', 'fine, thanks'],
    ]);
    // The full backend keeps each clientId; the basic one keeps none.
    expect(stored.map((m) => m.clientId)).toEqual(
      variant === 'full' ? [first, second, reply] : [null, null, null],
    );
    if (variant === 'basic') {
      // Every poll brings the whole conversation again (cursors ignored): merging it must add nothing.
      const [a0, b0] = [aliceCalls.messageFetches, bobCalls.messageFetches];
      await bob.until(
        () => aliceCalls.messageFetches > a0 && bobCalls.messageFetches > b0,
        10_000,
        'one more poll on each side',
      );
    }
    const ids = stored.map((m) => m.id);
    expect(alice.messages().map((m) => m.id)).toEqual(ids);
    expect(bob.messages().map((m) => m.id)).toEqual(ids);
    expect(lines(alice.messages())).toEqual(lines(stored));
    expect(lines(bob.messages())).toEqual([
      ['received', 'hi bob'],
      ['received', 'how are you?'],
      ['sent', 'fine, thanks'],
    ]);
    // Each posted once: the basic backend would have stored a repeat twice.
    expect(aliceCalls.posts).toEqual([first, second]);
    expect(bobCalls.posts).toEqual([reply]);
    await bob.until(() => hasFriend(bob, 'alice'), 15_000, "alice in bob's list");
    expect(alice.connection()).toEqual({ online: true, live: variant === 'full' });
    expect(bob.connection()).toEqual({ online: true, live: variant === 'full' });
  }, 60_000);
});

describe('the headless client through faults of the full mock backend', () => {
  it('keeps a message written while the server is down pending, then delivers it once with the same clientId', async () => {
    const backend = startBackend('full');
    const { alice, bob, aliceCalls } = await pair(backend, { via: 'seed', transport: 'live' });

    backend.faults.set('all', 'down');
    const clientId = alice.send('bob', 'are you there?');
    await alice.until(() => !alice.connection().online, 5000, 'alice goes offline');
    const [entry, ...others] = sendsTo(alice, 'bob');
    expect(others).toEqual([]);
    expect(entry?.clientId).toBe(clientId);
    const send = entry?.ref;
    await alice.until(
      () => send?.getSnapshot().matches('waitingForConnection') === true,
      5000,
      'the send waits for the connection',
    );
    // It stays pending while the connection keeps failing: a further status check fails, nothing is re-posted.
    const connection = child(alice, 'connection');
    await alice.until(
      () => ((connection?.getSnapshot().context as { failures: number } | undefined)?.failures ?? 0) >= 2,
      10_000,
      'another failed status check',
    );
    expect(send?.getSnapshot().hasTag('pending')).toBe(true);
    expect(send?.getSnapshot().matches('waitingForConnection')).toBe(true);
    expect(aliceCalls.posts.length).toBeLessThanOrEqual(1);
    expect(backend.state.conversation('alice', 'bob')).toEqual([]);

    backend.faults.clear();
    await bob.until(() => count(bob.messages(), 'are you there?') > 0, 20_000, 'bob receives it');
    // Bob's side received it: the send actor is done and leaves the outbox.
    await alice.until(() => sendsTo(alice, 'bob').length === 0, 20_000, 'the send settles as delivered');
    await alice.until(
      () => alice.messages().some((m) => m.content === 'are you there?' && m.delivered),
      20_000,
      'alice shows it delivered',
    );

    const stored = backend.state.conversation('alice', 'bob');
    expect(stored.map((m) => [m.content, m.clientId])).toEqual([['are you there?', clientId]]);
    expect(aliceCalls.posts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(aliceCalls.posts)).toEqual(new Set([clientId]));
    expect(bob.messages().map((m) => m.id)).toEqual([stored[0]?.id]);
    expect(alice.messages().map((m) => m.id)).toEqual([stored[0]?.id]);
  }, 60_000);

  it('posts again with the same clientId when the answer to a send is lost, and the server stores it once', async () => {
    const backend = startBackend('full');
    const { alice, bob, aliceCalls } = await pair(backend, { via: 'seed', transport: 'live' });

    backend.faults.set('send', 'drop', { once: true });
    const clientId = alice.send('bob', 'did this arrive?');
    await bob.until(() => count(bob.messages(), 'did this arrive?') > 0, 10_000, 'bob receives it');
    await alice.until(() => sendsTo(alice, 'bob').length === 0, 20_000, 'the send settles');
    await alice.until(() => alice.connection().online, 20_000, 'alice online');
    await alice.until(() => count(alice.messages(), 'did this arrive?') > 0, 10_000, 'alice shows it');

    expect(backend.faults.get('send')).toBeUndefined();
    // The lost answer reads as a broken connection; the retry carries the same clientId.
    expect(aliceCalls.failures.map((f) => [f.call, f.failure.kind])).toEqual([['send', 'network']]);
    expect(aliceCalls.posts).toEqual([clientId, clientId]);
    const stored = backend.state.conversation('alice', 'bob');
    expect(stored.map((m) => [m.content, m.clientId])).toEqual([['did this arrive?', clientId]]);
    expect(bob.messages().map((m) => m.id)).toEqual([stored[0]?.id]);
    expect(alice.messages().map((m) => m.id)).toEqual([stored[0]?.id]);
  }, 60_000);

  describe.each(['live', 'polling'] as const)('with the %s transport', (transport) => {
    it('shows a conversation whose load got a 500 at the next poll, without going offline', async () => {
      const backend = startBackend('full');
      // A stream that is there but keeps failing makes the client poll the full backend.
      if (transport === 'polling') backend.faults.set('events', '500');
      const { alice, bob, aliceCalls, bobCalls } = await pair(backend, {
        via: 'seed',
        transport,
        open: false,
      });
      const everOffline = [watchOffline(alice), watchOffline(bob)];
      backend.state.addMessage('alice', 'bob', 'written before bob looked');

      // Only bob's conversation fetches messages, so the fault meets its first load.
      backend.faults.set('messages', '500', { once: true });
      await open(bob, 'alice');
      expect(backend.faults.get('messages')).toBeUndefined();
      expect(bobCalls.failures.map((f) => [f.call, f.failure.status])).toEqual([['messages', 500]]);
      expect(bob.messages()).toEqual([]);
      expect(conversationError(bob)?.status).toBe(500);

      await bob.until(() => bob.messages().length === 1, 10_000, 'the next poll brings the history');
      expect(conversationError(bob)).toBeNull();
      alice.send('bob', 'and one after');
      await bob.until(() => bob.messages().length === 2, 10_000, 'the new message');
      expect(lines(bob.messages())).toEqual([
        ['received', 'written before bob looked'],
        ['received', 'and one after'],
      ]);
      expect(everOffline.map((ever) => ever())).toEqual([false, false]);
      expect(aliceCalls.failures).toEqual([]);
      expect(bob.connection()).toEqual({ online: true, live: transport === 'live' });
    }, 60_000);
  });

  it('survives a malformed friends answer, keeps the list, and shows the new friend at the next fetch', async () => {
    const backend = startBackend('full');
    const { alice, bob, aliceCalls } = await pair(backend, { via: 'seed', transport: 'live', open: false });
    backend.state.addUser('carol');
    await alice.until(() => friendsAtRest(alice) && friendsAtRest(bob), 5000, 'no friends fetch in flight');

    backend.faults.set('friends', 'malformed', { once: true });
    // The pushed `friend` event makes alice refetch her list; the answer is an HTML page.
    backend.state.befriend('carol', 'alice');
    await alice.until(() => aliceCalls.failures.length > 0, 10_000, 'the malformed answer');
    expect(aliceCalls.failures.map((f) => [f.call, f.failure.kind])).toEqual([['friends', 'decode']]);
    expect(alice.actor.getSnapshot().status).toBe('active');
    expect(alice.friends().map((f) => f.username)).toEqual(['bob']);

    await alice.until(() => hasFriend(alice, 'carol'), 20_000, 'alice sees carol');
    expect(alice.friends().map((f) => f.username)).toEqual(['bob', 'carol']);
    expect(aliceCalls.failures).toHaveLength(1);
    expect(alice.connection()).toEqual({ online: true, live: true });
    expect(alice.actor.getSnapshot().status).toBe('active');
  }, 60_000);
});
