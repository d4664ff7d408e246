/**
 * Against a backend like the original one (no event stream: the client polls), the tools work the same:
 * sends go out, reads read, and a wait is woken by the next poll.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withoutStream } from '../client/withoutStream';
import { startWorld, structured, type World } from './support';

let world: World;
beforeEach(async () => {
  world = await startWorld({ aliceApi: withoutStream });
});
afterEach(async () => {
  await world.stop();
});

describe('the tools on a polling backend', () => {
  it('report polling, send, and wake a wait at the next poll', async () => {
    const client = await world.connect('modern');
    await world.alice.until(() => world.alice.connection().online, 10_000, 'online');
    const status = structured<{ transport: string }>(
      await client.callTool({ name: 'get_status', arguments: {} }),
    );
    expect(status.transport).toBe('polling');
    const sent = structured<{ state: string }>(
      await client.callTool({ name: 'send_message', arguments: { peer: 'bob', content: 'polled hello' } }),
    );
    expect(['sent', 'delivered']).toContain(sent.state);
    const waiting = client.callTool(
      { name: 'wait_for_messages', arguments: { peer: 'bob', timeoutSeconds: 40 } },
      { timeout: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 200));
    world.bob.send('alice', 'polled reply');
    const waited = structured<{ messages: { content: string }[]; timedOut: boolean }>(await waiting);
    expect(waited.timedOut).toBe(false);
    expect(waited.messages.map((m) => m.content)).toEqual(['polled reply']);
  });
});
