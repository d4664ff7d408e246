/**
 * GET /api/events over a real socket: live delivery, replay with Last-Event-ID, reset, keep-alive,
 * teardown and presence, as API.md describes the stream. The contract tests drive the app with `inject`;
 * a stream never ends, so these listen on a port and read it with undici.
 */
import { Agent, request } from 'undici';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSchemas, SendMessageResponse } from '../../src/contract';
import type { AppDeps, ParleyApp } from '../../src/server/app';
import { createMemoryHub } from '../../src/server/hub';
import { bearer, befriend, eventually, listen, makeApp, register, testClock, userId } from './helpers';
import { openStream, type SseEvent, type SseStream, StreamRefused } from './sse';

let app: ParleyApp | undefined;
let agent: Agent | undefined;
let base = '';
const streams: SseStream[] = [];

async function start(overrides: Partial<AppDeps> = {}): Promise<ParleyApp> {
  app = await makeApp(overrides);
  base = await listen(app);
  agent = new Agent({ connections: 64 });
  return app;
}

afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  await app?.close();
  await agent?.destroy();
  app = undefined;
  agent = undefined;
});

async function stream(token: string | null, lastEventId?: string): Promise<SseStream> {
  const s = await openStream(base, token, {
    dispatcher: agent as Agent,
    ...(lastEventId === undefined ? {} : { lastEventId }),
  });
  streams.push(s);
  return s;
}

/** A JSON call over the socket. */
async function call(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = token ? bearer(token) : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher: agent as Agent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const sendOver = (token: string, to: string, content: string, clientId: string = crypto.randomUUID()) =>
  call('POST', '/api/messages', token, { to, content, clientId });

/** Asserts an event's data against the shared schema of its type and answers it typed. */
function dataOf<K extends keyof typeof EventSchemas>(ev: SseEvent, type: K) {
  expect(ev.event).toBe(type);
  expect(ev.id).toEqual(expect.any(String));
  return v.parse(EventSchemas[type], ev.data) as v.InferOutput<(typeof EventSchemas)[K]>;
}

/** Two friends, each with a token. */
async function friends(a = 'alice', b = 'bob') {
  const target = app as ParleyApp;
  const ta = await register(target, a);
  const tb = await register(target, b);
  await befriend(target, ta, b);
  return { [a]: ta, [b]: tb } as Record<string, string>;
}

describe('GET /api/events over a real socket', () => {
  it('opens with a retry hint and the position to resume from, as text/event-stream', async () => {
    await start();
    const { alice } = await friends();
    const s = await stream(alice!);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.first.retry).toBe(2000);
    expect(s.first.id).toMatch(/\S/);
    expect(s.first.event).toBeUndefined();
    expect(s.first.data).toBeUndefined();
  });

  it('refuses a stream without a valid token with a 401 error body', async () => {
    await start();
    const refused = await stream('not-a-token').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StreamRefused);
    expect((refused as StreamRefused).status).toBe(401);
    expect(JSON.parse((refused as StreamRefused).body)).toMatchObject({
      success: false,
      code: 'unauthorized',
    });
  });

  it('delivers a message live to the recipient as received and to the sender’s other device as sent, and the send answers delivered: true', async () => {
    await start();
    const { alice, bob } = await friends();
    const bobStream = await stream(bob!);
    const aliceDevice = await stream(alice!);

    const sent = await sendOver(alice!, 'bob', 'hello bob', 'c-1');
    expect(sent.status).toBe(201);
    const answer = v.parse(SendMessageResponse, sent.json);
    expect(answer.delivered).toBe(true);

    const received = dataOf(await bobStream.waitFor('message'), 'message');
    expect(received).toEqual({
      id: answer.id,
      direction: 'received',
      peer: 'alice',
      content: 'hello bob',
      timestamp: answer.timestamp,
      delivered: true,
      clientId: 'c-1',
    });
    const own = dataOf(await aliceDevice.waitFor('message'), 'message');
    expect(own).toEqual({ ...received, direction: 'sent', peer: 'bob' });
  });

  it('answers delivered: false to a send when the recipient holds no stream', async () => {
    await start();
    const { alice } = await friends();
    const sent = await sendOver(alice!, 'bob', 'are you there?');
    expect(sent.status).toBe(201);
    expect(sent.json.delivered).toBe(false);
  });

  it('tells the sender `delivered` when the recipient reads a message sent while they had no stream', async () => {
    await start();
    const { alice, bob } = await friends();
    const aliceStream = await stream(alice!);
    const sent = await sendOver(alice!, 'bob', 'read me later');
    expect(sent.json.delivered).toBe(false);
    dataOf(await aliceStream.waitFor('message'), 'message');

    const read = await call('GET', '/api/messages?peer=alice', bob!);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject([{ id: sent.json.id, direction: 'received', delivered: true }]);

    const delivered = dataOf(await aliceStream.nextEvent(), 'delivered');
    expect(delivered).toEqual({ id: sent.json.id, peer: 'bob' });
    // The sender's view now shows it delivered too.
    const mine = await call('GET', '/api/messages?peer=bob', alice!);
    expect(mine.json).toMatchObject([{ id: sent.json.id, direction: 'sent', delivered: true }]);
  });

  it('sends a `friend` event to both users when they become friends', async () => {
    await start();
    const target = app as ParleyApp;
    const carol = await register(target, 'carol');
    const dave = await register(target, 'dave');
    const carolStream = await stream(carol);
    const daveStream = await stream(dave);

    const added = await call('POST', '/api/friends', carol, { username: 'dave' });
    expect(added.status).toBe(201);
    expect(dataOf(await daveStream.waitFor('friend'), 'friend')).toEqual({ username: 'carol' });
    expect(dataOf(await carolStream.waitFor('friend'), 'friend')).toEqual({ username: 'dave' });
  });

  it('replays exactly the missed events, in order, to a reconnect with Last-Event-ID', async () => {
    await start();
    const { alice, bob } = await friends();
    await register(app as ParleyApp, 'carol');
    const bobId = await userId(app as ParleyApp, 'bob');

    const first = await stream(bob!);
    await sendOver(alice!, 'bob', 'one');
    const seen = await first.waitFor('message');
    expect(dataOf(seen, 'message').content).toBe('one');
    const resumeFrom = first.lastId();
    expect(resumeFrom).toBe(seen.id);
    first.abort();
    await eventually('bob’s stream is gone', () => app?.parley.hub.streamCount(bobId) === 0);

    // Missed while away: two messages and a new friend.
    const two = (await sendOver(alice!, 'bob', 'two')).json;
    const three = (await sendOver(alice!, 'bob', 'three')).json;
    expect(two.delivered).toBe(false);
    expect((await call('POST', '/api/friends', bob!, { username: 'carol' })).status).toBe(201);

    const again = await stream(bob!, resumeFrom);
    expect(again.first.retry).toBe(2000);
    const replayed = [await again.nextEvent(), await again.nextEvent(), await again.nextEvent()];
    expect(replayed.map((e) => e.event)).toEqual(['message', 'message', 'friend']);
    expect(dataOf(replayed[0]!, 'message')).toMatchObject({
      id: two.id,
      content: 'two',
      direction: 'received',
    });
    expect(dataOf(replayed[1]!, 'message')).toMatchObject({ id: three.id, content: 'three' });
    expect(dataOf(replayed[2]!, 'friend')).toEqual({ username: 'carol' });
    expect(new Set(replayed.map((e) => e.id)).size).toBe(3);
    expect(replayed.map((e) => e.id)).not.toContain(resumeFrom);

    // Nothing else was replayed: the next event on the stream is a new, live one.
    const four = (await sendOver(alice!, 'bob', 'four')).json;
    expect(four.delivered).toBe(true);
    expect(dataOf(await again.nextEvent(), 'message')).toMatchObject({ id: four.id, content: 'four' });
  });

  it('replays from the position of the first frame when the stream saw no event before it dropped', async () => {
    await start();
    const { alice, bob } = await friends();
    const bobId = await userId(app as ParleyApp, 'bob');
    const first = await stream(bob!);
    const position = first.first.id as string;
    first.abort();
    await eventually('bob’s stream is gone', () => app?.parley.hub.streamCount(bobId) === 0);

    const missed = (await sendOver(alice!, 'bob', 'while you were out')).json;
    const again = await stream(bob!, position);
    expect(dataOf(await again.nextEvent(), 'message')).toMatchObject({
      id: missed.id,
      content: 'while you were out',
    });
  });

  it('answers `reset` to a Last-Event-ID that is garbage', async () => {
    await start();
    const { bob } = await friends();
    const s = await stream(bob!, 'garbage');
    const ev = await s.nextEvent();
    expect(ev.event).toBe('reset');
    expect(v.parse(EventSchemas.reset, ev.data).reason).toMatch(/\S/);
    // The reset carries the position, so the client resumes from there after refetching.
    expect(ev.id).toBe(s.first.id);
  });

  it('answers `reset` to a Last-Event-ID from another server process', async () => {
    const other = await makeApp();
    try {
      const otherBase = await listen(other);
      const otherAgent = new Agent();
      try {
        const token = await register(other, 'bob');
        const foreign = await openStream(otherBase, token, { dispatcher: otherAgent });
        const foreignId = foreign.first.id as string;
        foreign.abort();

        await start();
        const { bob } = await friends();
        const s = await stream(bob!, foreignId);
        expect(dataOf(await s.nextEvent(), 'reset').reason).toMatch(/\S/);
      } finally {
        await otherAgent.destroy();
      }
    } finally {
      await other.close();
    }
  });

  it('answers `reset` once more events were missed than the server holds, and replays fully up to that', async () => {
    await start({ hub: createMemoryHub({ retainCount: 5, hardCap: 5 }) });
    const { alice, bob } = await friends();
    const bobId = await userId(app as ParleyApp, 'bob');

    const away = async () => {
      const s = await stream(bob!);
      const marker = (await sendOver(alice!, 'bob', 'marker')).json;
      const ev = await s.waitFor('message', (d) => (d as { id: number }).id === marker.id);
      s.abort();
      await eventually('bob’s stream is gone', () => app?.parley.hub.streamCount(bobId) === 0);
      return ev.id as string;
    };

    // Exactly as many missed events as are held: all of them come back.
    let resumeFrom = await away();
    const held: number[] = [];
    for (let i = 0; i < 5; i++) held.push((await sendOver(alice!, 'bob', `held ${i}`)).json.id);
    const full = await stream(bob!, resumeFrom);
    const replayed: number[] = [];
    for (let i = 0; i < 5; i++) replayed.push(dataOf(await full.nextEvent(), 'message').id);
    expect(replayed).toEqual(held);
    full.abort();
    await eventually('bob’s stream is gone', () => app?.parley.hub.streamCount(bobId) === 0);

    // One more than are held: the oldest missed one is gone, so the stream says reset.
    resumeFrom = await away();
    for (let i = 0; i < 6; i++) await sendOver(alice!, 'bob', `lost ${i}`);
    const lost = await stream(bob!, resumeFrom);
    const ev = await lost.nextEvent();
    expect(ev.event).toBe('reset');
    // After the reset the stream carries on live.
    const live = (await sendOver(alice!, 'bob', 'live')).json;
    expect(dataOf(await lost.nextEvent(), 'message').id).toBe(live.id);
  });

  it('hands each stream its frame at once during a fan-out, before the next stream is written', async () => {
    const started = await start();
    const serverSockets: import('node:net').Socket[] = [];
    started.server.on('connection', (socket) => serverSockets.push(socket));
    const alice = await register(started, 'alice');
    const bob = await register(started, 'bob');
    await befriend(started, alice, 'bob');
    const first = await stream(bob);
    await stream(bob);
    const bobId = await userId(started, 'bob');
    // A probe subscribed after bob's two streams runs after both were written in the same dispatch: by
    // then neither stream's socket may still hold the frame (Node's own write would keep it corked until
    // the next tick, so a fan-out to many streams sent nothing before the last one was written).
    const holding: number[] = [];
    const probe = started.parley.hub.subscribe(bobId, null, {
      send: () =>
        holding.push(serverSockets.filter((s) => s.writableCorked > 0 || s.writableLength > 0).length),
      end: () => {},
    });
    await sendOver(alice, 'bob', 'to both streams');
    probe.unsubscribe();
    expect(holding).toEqual([0]);
    expect((await first.waitFor('message')).data).toMatchObject({ content: 'to both streams' });
  });

  it('sends keep-alive comments while nothing happens', async () => {
    await start({ keepAliveMs: 50 });
    const { bob } = await friends();
    const s = await stream(bob!);
    const keepAlives = [await s.nextFrame(), await s.nextFrame()];
    for (const frame of keepAlives) {
      expect(frame.comments).toEqual(['keep-alive']);
      expect(frame.event).toBeUndefined();
      expect(frame.data).toBeUndefined();
      expect(frame.id).toBeUndefined();
    }
  });

  it('sends no keep-alive comment before the keep-alive interval', async () => {
    await start({ keepAliveMs: 60_000 });
    const { alice, bob } = await friends();
    const s = await stream(bob!);
    await sendOver(alice!, 'bob', 'first');
    // The frame after the opening one is the message, not a comment.
    const next = await s.nextFrame();
    expect(next.event).toBe('message');
    expect(next.comments).toEqual([]);
  });

  it('forgets a stream whose client aborted it', async () => {
    await start();
    const { alice, bob } = await friends();
    const bobId = await userId(app as ParleyApp, 'bob');
    const s = await stream(bob!);
    expect(app?.parley.hub.streamCount(bobId)).toBe(1);
    s.abort();
    expect(await s.closed).toBe('error');
    await eventually('the server dropped bob’s stream', () => app?.parley.hub.streamCount(bobId) === 0);
    // With the stream gone, a send to bob is no longer delivered at once.
    expect((await sendOver(alice!, 'bob', 'gone?')).json.delivered).toBe(false);
  });

  it('ends open streams when the app closes, so the client sees the end of the body', async () => {
    const target = await start();
    const { alice, bob } = await friends();
    const a = await stream(alice!);
    const b = await stream(bob!);
    await target.close();
    expect(await a.closed).toBe('end');
    expect(await b.closed).toBe('end');
    expect(target.parley.hub.streamCount()).toBe(0);
  });

  it('tells a friend’s stream `presence` online when the user opens a stream, and offline once it closed and the window passed', async () => {
    const clock = testClock();
    await start({ now: clock.now });
    const target = app as ParleyApp;
    const { alice, bob } = await friends();
    const bobId = await userId(target, 'bob');
    await register(target, 'carol');
    // Everybody goes offline first.
    clock.advance(25_000);
    await target.parley.presence.sweep();

    const aliceStream = await stream(alice!);
    const openedAt = clock.now();
    const bobStream = await stream(bob!);
    expect(dataOf(await aliceStream.nextEvent(), 'presence')).toEqual({
      username: 'bob',
      online: true,
      lastSeen: openedAt,
    });

    clock.advance(1000);
    bobStream.abort();
    await eventually('the server dropped bob’s stream', () => target.parley.hub.streamCount(bobId) === 0);
    const closedAt = clock.now();

    // Within the window bob stays online: the next event alice gets is a marker, not presence.
    clock.advance(24_000);
    await target.parley.presence.sweep();
    expect((await call('POST', '/api/friends', alice!, { username: 'carol' })).status).toBe(201);
    expect(dataOf(await aliceStream.nextEvent(), 'friend')).toEqual({ username: 'carol' });

    clock.advance(1000);
    await target.parley.presence.sweep();
    expect(dataOf(await aliceStream.nextEvent(), 'presence')).toEqual({
      username: 'bob',
      online: false,
      lastSeen: closedAt,
    });
  });

  it('stores one message for 20 concurrent sends of one clientId: one 201, the others 200 with the same id', async () => {
    await start();
    const { alice } = await friends();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => sendOver(alice!, 'bob', 'only once', 'same-client-id')),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const created = answers.find((a) => a.status === 201)!.json;
    for (const a of answers) {
      expect(a.json).toEqual({
        success: true,
        id: created.id,
        timestamp: created.timestamp,
        delivered: false,
      });
    }
    const list = await call('GET', '/api/messages?peer=bob', alice!);
    expect(list.json).toHaveLength(1);
    expect(list.json[0]).toMatchObject({ id: created.id, content: 'only once', clientId: 'same-client-id' });
  });
});
