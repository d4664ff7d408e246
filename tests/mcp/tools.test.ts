import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERAS, errorText, startWorld, structured, type World } from './support';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.stop();
});

describe.each(ERAS)('the tools (%s era)', (era) => {
  it('lists the six tools, each with an input and an output schema', async () => {
    const client = await world.connect(era);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'add_friend',
      'get_status',
      'list_friends',
      'read_messages',
      'send_message',
      'wait_for_messages',
    ]);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
  });

  it('get_status names the user, the connection and the server version', async () => {
    const client = await world.connect(era);
    await world.alice.until(() => world.alice.connection().live, 10_000, 'live');
    const status = structured<Record<string, unknown>>(
      await client.callTool({ name: 'get_status', arguments: {} }),
    );
    expect(status).toMatchObject({ username: 'alice', online: true, transport: 'live' });
    expect(typeof status.serverVersion).toBe('string');
  });

  it('list_friends lists bob with presence and unread', async () => {
    const client = await world.connect(era);
    const { friends } = structured<{ friends: { username: string; unread: number }[] }>(
      await client.callTool({ name: 'list_friends', arguments: {} }),
    );
    expect(friends).toEqual([expect.objectContaining({ username: 'bob', unread: 0 })]);
  });

  it('sends a message that bob receives, and reads it back', async () => {
    const client = await world.connect(era);
    const sent = structured<{ clientId: string; state: string; id: number }>(
      await client.callTool({
        name: 'send_message',
        arguments: { peer: 'bob', content: 'hello from an agent' },
      }),
    );
    expect(['sent', 'delivered']).toContain(sent.state);
    expect(sent.id).toBeGreaterThan(0);
    world.bob.select('alice');
    await world.bob.until(
      () => world.bob.messages().some((m) => m.content === 'hello from an agent'),
      10_000,
      'bob receives',
    );
    const read = structured<{ messages: { content: string; direction: string }[]; hasOlder: boolean }>(
      await client.callTool({ name: 'read_messages', arguments: { peer: 'bob' } }),
    );
    expect(read.messages.map((m) => [m.direction, m.content])).toEqual([['sent', 'hello from an agent']]);
    expect(read.hasOlder).toBe(false);
  });

  it('read_messages pages back through history with limit and before, oldest first', async () => {
    const client = await world.connect(era);
    for (let i = 1; i <= 70; i++) world.bob.send('alice', `line ${i}`);
    await world.alice.until(() => (world.alice.friends()[0]?.unread ?? 0) === 70, 20_000, 'all 70 to arrive');
    type Page = { messages: { id: number; content: string }[]; hasOlder: boolean };
    const newest = structured<Page>(
      await client.callTool({ name: 'read_messages', arguments: { peer: 'bob', limit: 10 } }),
    );
    expect(newest.messages.map((m) => m.content)).toEqual([...Array(10)].map((_, i) => `line ${61 + i}`));
    expect(newest.hasOlder).toBe(true);
    // Before line 61, 60 messages: more than the first page held, so history is loaded on the way.
    const before = newest.messages[0]!.id;
    const older = structured<Page>(
      await client.callTool({ name: 'read_messages', arguments: { peer: 'bob', limit: 55, before } }),
    );
    expect(older.messages.map((m) => m.content)).toEqual([...Array(55)].map((_, i) => `line ${6 + i}`));
    expect(older.hasOlder).toBe(true);
    const oldest = structured<Page>(
      await client.callTool({ name: 'read_messages', arguments: { peer: 'bob', limit: 200, before } }),
    );
    expect(oldest.messages).toHaveLength(60);
    expect(oldest.hasOlder).toBe(false);
  });

  it('gives the server’s sentence as a tool error for an unknown user, yourself and an existing friend', async () => {
    const client = await world.connect(era);
    expect(
      errorText(await client.callTool({ name: 'add_friend', arguments: { username: 'nobody' } })),
    ).toMatch(/nobody/i);
    expect(
      errorText(await client.callTool({ name: 'add_friend', arguments: { username: 'alice' } })),
    ).toMatch(/yourself/i);
    expect(errorText(await client.callTool({ name: 'add_friend', arguments: { username: 'bob' } }))).toMatch(
      /already/i,
    );
  });

  it('names the field in a schema error, and never crashes on bad input', async () => {
    const client = await world.connect(era);
    expect(
      errorText(await client.callTool({ name: 'read_messages', arguments: { peer: 'bob', limit: 500 } })),
    ).toMatch(/limit/);
    expect(
      errorText(await client.callTool({ name: 'send_message', arguments: { peer: 'bob', content: '   ' } })),
    ).toMatch(/content/);
    expect(errorText(await client.callTool({ name: 'send_message', arguments: { peer: 'bob' } }))).toMatch(
      /content/,
    );
    expect(errorText(await client.callTool({ name: 'read_messages', arguments: { peer: 'carol' } }))).toMatch(
      /carol is not one of your friends/,
    );
    // Still serving.
    structured(await client.callTool({ name: 'get_status', arguments: {} }));
  });
});
