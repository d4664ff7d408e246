/**
 * Concurrent tool calls: reads of two peers issued at once each get only their own peer's messages,
 * whatever the latencies (property-tested); sends issued back to back on one session reach the peer in
 * call order.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApi } from '../../machines/ports';
import { createNodeApiClient } from '../../src/api/node';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { startWorld, structured, type World } from './support';

let world: World;
let carol: ParleyClient;
/** The latency alice's next message fetches get, in ms (set by each property run). */
let delays: number[] = [];

function slowApi(baseUrl: string): ParleyApi & { close(): Promise<void> } {
  const api = createNodeApiClient(baseUrl);
  return {
    ...api,
    messages: async (...args) => {
      const wait = delays.shift() ?? 0;
      await new Promise((r) => setTimeout(r, wait));
      return api.messages(...args);
    },
  };
}

beforeAll(async () => {
  world = await startWorld({ aliceApi: slowApi });
  carol = createParleyClient({ baseUrl: world.baseUrl });
  await carol.register('carol', 'correct horse');
  carol.addFriend('alice');
  await world.alice.until(() => world.alice.friends().length === 2, 10_000, 'alice sees carol');
  await carol.until(() => carol.friends().length === 1, 10_000, 'carol sees alice');
  for (let i = 0; i < 3; i++) {
    world.bob.send('alice', `bob ${i}`);
    carol.send('alice', `carol ${i}`);
  }
  await world.alice.until(
    () => world.alice.friends().every((f) => f.unread === 3),
    10_000,
    'the messages to reach alice',
  );
}, 60_000);

afterAll(async () => {
  await carol?.stop();
  await world?.stop();
});

type Read = { peer: string; messages: { content: string }[] };

describe('concurrent calls', () => {
  it('two read_messages for different peers issued at once each get only their own peer', async () => {
    const client = await world.connect('legacy');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 4, maxLength: 4 }),
        async (ms) => {
          delays = [...ms];
          // A fresh read each run: close what the last run opened.
          world.alice.unwatch('bob');
          world.alice.unwatch('carol');
          const [forBob, forCarol] = await Promise.all([
            client.callTool({ name: 'read_messages', arguments: { peer: 'bob' } }),
            client.callTool({ name: 'read_messages', arguments: { peer: 'carol' } }),
          ]);
          const bob = structured<Read>(forBob);
          const carolRead = structured<Read>(forCarol);
          expect(bob.peer).toBe('bob');
          expect(bob.messages.map((m) => m.content)).toEqual(['bob 0', 'bob 1', 'bob 2']);
          expect(carolRead.peer).toBe('carol');
          expect(carolRead.messages.map((m) => m.content)).toEqual(['carol 0', 'carol 1', 'carol 2']);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('send_message calls issued back to back on one session reach the peer in call order', async () => {
    const client = await world.connect('legacy');
    const contents = [...Array(10)].map((_, i) => `in order ${i}`);
    const answers = await Promise.all(
      contents.map((content) =>
        client.callTool({ name: 'send_message', arguments: { peer: 'bob', content } }),
      ),
    );
    for (const answer of answers)
      expect(['sent', 'delivered']).toContain(structured<{ state: string }>(answer).state);
    world.bob.select('alice');
    await world.bob.until(
      () => world.bob.messages().filter((m) => m.content.startsWith('in order')).length === 10,
      10_000,
      'bob to have all ten',
    );
    const order = world.bob
      .messages()
      .filter((m) => m.content.startsWith('in order'))
      .map((m) => m.content);
    expect(order).toEqual(contents);
  });
});
