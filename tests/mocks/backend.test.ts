/**
 * The full mock's own surface: the `state` helpers tests seed it with, and the behaviour that the contract
 * table cannot show against a real server in a few milliseconds (presence over time, streams ending).
 */
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FriendsResponse, MessagesResponse, StatusResponse } from '../../src/contract';
import { createMockBackend } from '../../src/mocks/backend';
import { createMockServer } from '../../src/mocks/node';
import { caller, request, sseReader, type Target } from './support';

const BASE = 'http://parley.test';
let t = 1_764_000_000_000;
const { server, backend } = createMockServer({ variant: 'full', baseUrl: BASE, now: () => t });
const { state } = backend;
const target: Target = { name: 'mock', fetch: (url, init) => globalThis.fetch(url, init), base: BASE };
const call = caller(target);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  state.reset();
  server.resetHandlers();
});
afterAll(() => server.close());

function pair() {
  const alice = state.addUser('alice');
  const bob = state.addUser('bob');
  state.befriend('alice', 'bob');
  return { alice, bob };
}

async function openStream(token: string, lastEventId?: string) {
  const aborts = new AbortController();
  const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
  const res = await request(target, { path: '/api/events', token, headers, signal: aborts.signal });
  return { stream: sseReader(res.body as ReadableStream<Uint8Array>), close: () => aborts.abort() };
}

const friendsOf = async (token: string) =>
  v.parse(FriendsResponse, (await call({ path: '/api/friends', token })).json);

describe('the full mock backend', () => {
  it('hands out tokens from state.addUser that the API accepts, and lower-cases the name', async () => {
    const token = state.addUser('Alice');
    const reply = await call({ path: '/api/status', token });
    expect(v.parse(StatusResponse, reply.json).user).toBe('alice');
  });

  it('pushes a seeded message to an open stream, delivered, and counts it unread', async () => {
    const { alice } = pair();
    const { stream, close } = await openStream(alice);
    state.addMessage('bob', 'alice', 'seeded');
    const frame = await stream.nextEvent('message');
    close();
    expect(JSON.parse(frame.data ?? '')).toMatchObject({
      content: 'seeded',
      direction: 'received',
      delivered: true,
    });
    expect((await friendsOf(alice))[0]).toMatchObject({ username: 'bob', unread: 1 });
  });

  it('counts a stream from the request until it is aborted, and delivers only while it is open', async () => {
    const { bob } = pair();
    const { stream, close } = await openStream(bob);
    await stream.next();
    expect(state.streamCount('bob')).toBe(1);
    expect(state.addMessage('alice', 'bob', 'while open').delivered).toBe(true);
    close();
    expect(state.streamCount('bob')).toBe(0);
    expect(state.addMessage('alice', 'bob', 'after close').delivered).toBe(false);
  });

  it('treats a stream seeded with state.connectStream like a real one', () => {
    pair();
    const device = state.connectStream('bob');
    expect(state.addMessage('alice', 'bob', 'hi').delivered).toBe(true);
    expect(device.events.map((e) => e.event.type)).toEqual(['message']);
    device.close();
    expect(state.streamCount('bob')).toBe(0);
  });

  it('shows a friend online within 25 s of their last call, then offline, telling friends once', async () => {
    const { alice } = pair();
    const watcher = state.connectStream('alice');
    t += 30_000;
    state.sweepPresence();
    const wentOfflineAt = t - 30_000;
    expect(state.isOnline('bob')).toBe(false);
    await call({ path: '/api/status', token: state.signIn('bob') });
    const cameBackAt = t;
    t += 24_999;
    expect((await friendsOf(alice))[0]).toMatchObject({ online: true, lastSeen: cameBackAt });
    const presence = watcher.events.filter((e) => e.event.type === 'presence').map((e) => e.event.data);
    expect(presence).toEqual([
      { username: 'bob', online: false, lastSeen: wentOfflineAt },
      { username: 'bob', online: true, lastSeen: cameBackAt },
    ]);
  });

  it('keeps a user holding a stream online past the window', async () => {
    const { bob } = pair();
    const { stream, close } = await openStream(bob);
    await stream.next();
    t += 60_000;
    state.sweepPresence();
    expect(state.isOnline('bob')).toBe(true);
    close();
    t += 25_000;
    state.sweepPresence();
    expect(state.isOnline('bob')).toBe(false);
  });

  it('sends a keep-alive comment on an open stream every keepAliveMs', async () => {
    const chatty = createMockBackend({ variant: 'full', baseUrl: BASE, keepAliveMs: 40 });
    server.use(...chatty.handlers);
    const { stream, close } = await openStream(chatty.state.addUser('alice'));
    await stream.next();
    const frame = await stream.next(1000);
    close();
    expect(frame).toMatchObject({ comments: ['keep-alive'] });
  });

  it('refuses every token of a user after state.revokeTokens', async () => {
    const { alice } = pair();
    state.revokeTokens('alice');
    expect((await call({ path: '/api/friends', token: alice })).status).toBe(401);
  });

  it('answers a resume with reset after state.forgetEvents', async () => {
    const { bob } = pair();
    const position = state.connectStream('bob').position;
    state.addMessage('alice', 'bob', 'gone');
    state.forgetEvents('bob');
    const { stream, close } = await openStream(bob, position);
    const reset = await stream.nextEvent('reset');
    close();
    expect(JSON.parse(reset.data ?? '')).toHaveProperty('reason');
  });

  it('ends open streams cleanly on state.endStreams', async () => {
    const { bob } = pair();
    const { stream } = await openStream(bob);
    await stream.next();
    state.endStreams();
    expect(await stream.next()).toBe('end');
    expect(state.streamCount()).toBe(0);
  });

  it('forgets everything on state.reset, including the event ids it gave', async () => {
    const { bob } = pair();
    state.addMessage('alice', 'bob', 'before the reset');
    const position = state.connectStream('bob').position;
    state.reset();
    expect((await call({ path: '/api/friends', token: bob })).status).toBe(401);
    state.addUser('bob');
    const resumed = state.connectStream('bob', position);
    expect(resumed.events.map((e) => e.event.type)).toEqual(['reset']);
  });

  it('marks read everything up to an older page it reads, and nothing newer', async () => {
    const { alice } = pair();
    const ids = ['1', '2', '3'].map((text) => state.addMessage('bob', 'alice', text).id);
    await call({ path: `/api/messages?peer=bob&before=${ids[2]}&limit=1`, token: alice });
    expect((await friendsOf(alice))[0]?.unread).toBe(1);
    const all = v.parse(MessagesResponse, state.conversation('alice', 'bob'));
    expect(all.map((m) => m.delivered)).toEqual([true, true, false]);
  });
});
