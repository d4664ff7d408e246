import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PushEvent } from '../../machines/ports';
import { createNodeApiClient, type NodeApiClient } from '../../src/api/node';
import { createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';

let app: ParleyApp | undefined;
let client: NodeApiClient | undefined;
const streams: AbortController[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  await client?.close();
  await app?.close();
  client = undefined;
  app = undefined;
});

async function startServer() {
  app = await createApp({ store: openSqliteStore(':memory:'), hashing: { cost: 1024 }, presenceSweepMs: 0 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

describe('the Node client against the reference server', () => {
  it('registers, logs in, befriends, sends, polls with an ETag and receives the push', async () => {
    client = createNodeApiClient(await startServer());
    const api = client;
    const opts = { signal: new AbortController().signal };

    await api.register('Alice', 'correct horse', opts);
    const bobSession = await api.register('bob', 'battery staple', opts);
    const alice = await api.login('ALICE', 'correct horse', opts);
    expect(alice.username).toBe('alice');
    await expect(api.addFriend(alice.token, 'Bob', opts)).resolves.toBe('bob');
    await expect(api.status(alice.token, opts)).resolves.toMatchObject({ status: 'online', user: 'alice' });

    // Bob listens; the stream first reports its position, then the message pushed to it.
    const stream = new AbortController();
    streams.push(stream);
    const received: (PushEvent & { id: string | null })[] = [];
    const positions: string[] = [];
    let opened = false;
    const bobStream = api.events(
      bobSession.token,
      null,
      {
        onOpen: () => {
          opened = true;
        },
        onEvent: (event) => received.push(event),
        onPosition: (id) => positions.push(id),
      },
      { signal: stream.signal },
    );
    bobStream.catch(() => {});
    await vi.waitFor(() => expect(positions).toHaveLength(1));
    expect(opened).toBe(true);

    const sent = await api.send(alice.token, { to: 'bob', content: 'hi bob', clientId: 'c-1' }, opts);
    await vi.waitFor(() => expect(received.map((e) => e.type)).toContain('message'));
    const push = received.find((e) => e.type === 'message');
    expect(push).toMatchObject({
      type: 'message',
      data: { id: sent.id, direction: 'received', peer: 'alice', content: 'hi bob', clientId: 'c-1' },
    });
    expect(push?.id).toMatch(/\S/);

    const first = await api.messages(alice.token, { peer: 'bob' }, null, opts);
    if (first.notModified) throw new Error('the first read cannot be unchanged');
    expect(first.body.map((m) => [m.id, m.direction, m.content])).toEqual([[sent.id, 'sent', 'hi bob']]);
    expect(first.etag).toMatch(/^"/);
    await expect(api.messages(alice.token, { peer: 'bob' }, first.etag, opts)).resolves.toEqual({
      notModified: true,
    });

    stream.abort();
    await expect(bobStream).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('reuses kept-alive connections for successive calls instead of opening one per call', async () => {
    const url = await startServer();
    let connections = 0;
    app?.server.on('connection', () => {
      connections++;
    });
    client = createNodeApiClient(url);
    const opts = { signal: new AbortController().signal };
    for (let i = 0; i < 10; i++) await client.status(null, opts);
    // A call may start before undici has put the previous socket back in the pool, so a second one is
    // sometimes opened; after that the two are reused in turn.
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('reports an error answer of the real server with its status and code', async () => {
    client = createNodeApiClient(await startServer());
    const opts = { signal: new AbortController().signal };
    await expect(client.login('nobody', 'wrong password', opts)).rejects.toMatchObject({
      kind: 'http',
      status: 401,
      code: 'unauthorized',
    });
  });

  it('reports a server that is not there as a network failure', async () => {
    const url = await startServer();
    await app?.close();
    app = undefined;
    client = createNodeApiClient(url);
    await expect(client.status(null, { signal: new AbortController().signal })).rejects.toMatchObject({
      kind: 'network',
    });
  });
});
