/**
 * The basic mock: a "degraded backend" of API.md, like the original desktop one. Each test shows one
 * degradation the client must survive, next to what the full mock does, so it fails if the two converge.
 */
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponse, FriendsResponse, MessagesResponse, SendMessageResponse } from '../../src/contract';
import { createMockBackend } from '../../src/mocks/backend';
import { createMockServer } from '../../src/mocks/node';
import { caller, type Target } from './support';

const BASE = 'http://parley.test';
let t = 1_764_000_000_000;
const { server, backend } = createMockServer({ variant: 'basic', baseUrl: BASE, now: () => t });
const { state } = backend;
const target: Target = { name: 'mock', fetch: (url, init) => globalThis.fetch(url, init), base: BASE };
const call = caller(target);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => state.reset());
afterAll(() => server.close());

/** alice and bob, friends, with tokens. */
function pair() {
  const alice = state.addUser('alice');
  const bob = state.addUser('bob');
  state.befriend('alice', 'bob');
  return { alice, bob };
}

const sendAs = (token: string, content: string, clientId: string) =>
  call({ path: '/api/messages', token, body: { to: 'bob', content, clientId } });

describe('the basic mock backend', () => {
  it('has no event stream: /api/events answers 404 with the error body, with a token or without', async () => {
    const { alice } = pair();
    for (const token of [alice, undefined]) {
      const reply = await call({ path: '/api/events', token });
      expect(reply.status).toBe(404);
      expect(v.parse(ErrorResponse, reply.json).code).toBe('not_found');
    }
  });

  it('sends no ETag and never answers 304, even to If-None-Match: *', async () => {
    const { alice } = pair();
    for (const path of ['/api/friends', '/api/messages?peer=bob']) {
      const reply = await call({ path, token: alice, headers: { 'if-none-match': '*' } });
      expect(reply.status).toBe(200);
      expect(reply.headers.has('etag')).toBe(false);
    }
  });

  it('ignores after, before and limit: every read answers the whole conversation', async () => {
    const { alice } = pair();
    const ids = ['one', 'two', 'three'].map((text) => state.addMessage('alice', 'bob', text).id);
    for (const query of [`&after=${ids[1]}`, `&before=${ids[1]}`, '&limit=1', '&after=nonsense']) {
      const reply = await call({ path: `/api/messages?peer=bob${query}`, token: alice });
      expect(reply.status, query).toBe(200);
      expect(v.parse(MessagesResponse, reply.json).map((m) => m.id)).toEqual(ids);
    }
  });

  it('stores a repeated send again under a new id, answering 201 both times', async () => {
    const { alice } = pair();
    const first = await sendAs(alice, 'hello', 'same-id');
    const again = await sendAs(alice, 'hello', 'same-id');
    expect([first.status, again.status]).toEqual([201, 201]);
    const [a, b] = [first.json, again.json].map((json) => v.parse(SendMessageResponse, json));
    expect(b?.id).toBeGreaterThan(a?.id ?? Infinity);
    expect(state.conversation('alice', 'bob').map((m) => m.content)).toEqual(['hello', 'hello']);
  });

  it('keeps no clientId: messages carry clientId null', async () => {
    const { alice } = pair();
    await sendAs(alice, 'hello', 'mine');
    const reply = await call({ path: '/api/messages?peer=bob', token: alice });
    expect(v.parse(MessagesResponse, reply.json).map((m) => m.clientId)).toEqual([null]);
  });

  it('accepts a send without a clientId, which the full backend refuses', async () => {
    const { alice } = pair();
    const reply = await call({ path: '/api/messages', token: alice, body: { to: 'bob', content: 'hi' } });
    expect(reply.status).toBe(201);
  });

  it('still refuses calls without a token, and sends with empty content', async () => {
    const { alice } = pair();
    expect((await call({ path: '/api/friends' })).status).toBe(401);
    expect((await sendAs(alice, '   ', 'blank')).status).toBe(400);
  });

  it('marks a message delivered only once the recipient reads the conversation', async () => {
    const { alice, bob } = pair();
    const sent = v.parse(SendMessageResponse, (await sendAs(alice, 'hi', 'c1')).json);
    expect(sent.delivered).toBe(false);
    await call({ path: '/api/messages?peer=alice', token: bob });
    const reply = await call({ path: '/api/messages?peer=bob', token: alice });
    expect(v.parse(MessagesResponse, reply.json)[0]?.delivered).toBe(true);
  });

  it('shows a friend online for 25 s after their last call, then offline since that call', async () => {
    const { alice, bob } = pair();
    const calledAt = t;
    await call({ path: '/api/status', token: bob });
    t += 24_999;
    const before = v.parse(FriendsResponse, (await call({ path: '/api/friends', token: alice })).json);
    t += 1;
    const after = v.parse(FriendsResponse, (await call({ path: '/api/friends', token: alice })).json);
    expect(before[0]).toMatchObject({ username: 'bob', online: true });
    expect(after[0]).toMatchObject({ username: 'bob', online: false, lastSeen: calledAt });
  });

  it('refuses to seed an event stream, having none', () => {
    pair();
    expect(() => state.connectStream('alice')).toThrow(/no event streams/);
  });

  it('differs from the full mock, which de-duplicates the same send', async () => {
    const full = createMockBackend({ variant: 'full' });
    full.state.addUser('alice');
    full.state.addUser('bob');
    full.state.befriend('alice', 'bob');
    full.state.addMessage('alice', 'bob', 'hello', { clientId: 'same' });
    full.state.addMessage('alice', 'bob', 'hello', { clientId: 'same' });
    expect(full.state.conversation('alice', 'bob')).toHaveLength(1);
  });
});
