/**
 * wait_for_messages in both eras: at once when there is something, woken by a peer's send, timing out,
 * progress while it waits, and a cancelled call that stops its wait at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './eventually';
import { ERAS, startWorld, structured, type World } from './support';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.stop();
});

type Waited = {
  messages: { peer: string; content: string; id: number; direction: string }[];
  timedOut: boolean;
};

const until = eventually;

describe.each(ERAS)('wait_for_messages (%s era)', (era) => {
  it('answers at once with received messages above afterId', async () => {
    const client = await world.connect(era);
    world.bob.send('alice', 'already here');
    await world.alice.until(() => (world.alice.friends()[0]?.unread ?? 0) > 0, 10_000, 'alice gets it');
    const waited = structured<Waited>(
      await client.callTool({ name: 'wait_for_messages', arguments: { afterId: 0, timeoutSeconds: 5 } }),
    );
    expect(waited.timedOut).toBe(false);
    expect(waited.messages.map((m) => [m.peer, m.direction, m.content])).toEqual([
      ['bob', 'received', 'already here'],
    ]);
  });

  it('waits for a message that arrives after the call, and returns only that one', async () => {
    const client = await world.connect(era);
    world.bob.send('alice', 'before the call');
    await world.alice.until(() => (world.alice.friends()[0]?.unread ?? 0) > 0, 10_000, 'alice gets it');
    const call = client.callTool({
      name: 'wait_for_messages',
      arguments: { peer: 'bob', timeoutSeconds: 20 },
    });
    await until(() => world.agent.waiting() === 1, 'the wait to start');
    world.bob.send('alice', 'after the call');
    const waited = structured<Waited>(await call);
    expect(waited.messages.map((m) => m.content)).toEqual(['after the call']);
    expect(world.agent.waiting()).toBe(0);
  });

  it('times out with timedOut and no messages', async () => {
    const client = await world.connect(era);
    const waited = structured<Waited>(
      await client.callTool({ name: 'wait_for_messages', arguments: { timeoutSeconds: 1 } }),
    );
    expect(waited).toEqual({ messages: [], timedOut: true });
  });

  it('reports progress every 5 s to a client that asked for it', async () => {
    const client = await world.connect(era);
    const progress: number[] = [];
    const waited = structured<Waited>(
      await client.callTool(
        { name: 'wait_for_messages', arguments: { timeoutSeconds: 6 } },
        { onprogress: (p) => progress.push(p.progress), timeout: 30_000 },
      ),
    );
    expect(waited.timedOut).toBe(true);
    expect(progress).toEqual([1]);
  });

  it('stops waiting at once when the request is cancelled', async () => {
    const client = await world.connect(era);
    const abort = new AbortController();
    const call = client.callTool(
      { name: 'wait_for_messages', arguments: { timeoutSeconds: 55 } },
      { signal: abort.signal },
    );
    call.catch(() => {});
    await until(() => world.agent.waiting() === 1, 'the wait to start');
    abort.abort();
    await expect(call).rejects.toThrow();
    await until(() => world.agent.waiting() === 0, 'the wait to stop', 2000);
  });
});
