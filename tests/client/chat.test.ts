import { afterEach, describe, expect, it } from 'vitest';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { withoutStream } from './withoutStream';

let app: ParleyApp;
let clients: ParleyClient[] = [];

async function startServer() {
  app = await createApp({ store: openSqliteStore(':memory:'), hashing: { cost: 1024 }, presenceSweepMs: 0 });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

afterEach(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  clients = [];
  await app?.close();
});

async function pair(baseUrl: string, polling: boolean) {
  const make = () => createParleyClient({ baseUrl, ...(polling && { api: withoutStream(baseUrl) }) });
  const alice = make();
  const bob = make();
  clients.push(alice, bob);
  await alice.register('alice', 'correct horse');
  await bob.register('bob', 'correct horse');
  alice.addFriend('bob');
  await alice.until(() => alice.friends().some((f) => f.username === 'bob'), 5000, 'alice sees bob');
  await bob.until(
    () => bob.friends().some((f) => f.username === 'alice'),
    polling ? 15_000 : 5000,
    'bob sees alice',
  );
  alice.select('bob');
  bob.select('alice');
  await alice.until(() => alice.peer() === 'bob');
  await bob.until(() => bob.peer() === 'alice');
  return { alice, bob };
}

describe.each([
  ['live', false],
  ['polling', true],
])('two headless clients chatting through the real server (%s)', (mode, polling) => {
  it('deliver messages both ways, each once and in order', async () => {
    const baseUrl = await startServer();
    const { alice, bob } = await pair(baseUrl, polling);
    await alice.until(() => alice.connection().online, 5000, 'alice online');
    if (!polling) await alice.until(() => alice.connection().live, 5000, 'the live stream');
    await bob.until(() => bob.connection().live === !polling, 5000, 'bob on the expected transport');

    alice.send('bob', 'hi bob');
    alice.send('bob', 'how are you?');
    await bob.until(() => bob.messages().length === 2, 10_000, `bob receives (${mode})`);
    expect(bob.messages().map((m) => [m.direction, m.content])).toEqual([
      ['received', 'hi bob'],
      ['received', 'how are you?'],
    ]);

    // What bob's open conversation showed counts as read on the server too (a reload shows no unread).
    const bobId = (await app.parley.store.findUserByName('bob'))?.id ?? -1;
    const deadline = Date.now() + 10_000;
    let unread = -1;
    while (Date.now() < deadline) {
      unread = (await app.parley.store.listFriends(bobId))[0]?.unread ?? -1;
      if (unread === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(unread).toBe(0);

    bob.send('alice', 'fine, thanks');
    await alice.until(
      () => alice.messages().some((m) => m.content === 'fine, thanks'),
      10_000,
      'alice receives',
    );
    expect(alice.messages().map((m) => m.content)).toEqual(['hi bob', 'how are you?', 'fine, thanks']);
    const ids = alice.messages().map((m) => m.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  }, 30_000);
});
