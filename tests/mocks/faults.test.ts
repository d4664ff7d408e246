/** Each fault of the mock backend, as a client using `fetch` meets it. */
import { HttpResponse, http } from 'msw';
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponse, FriendsResponse, SendMessageResponse, StatusResponse } from '../../src/contract';
import { createMockServer } from '../../src/mocks/node';
import { caller, request, sseReader, type Target } from './support';

const BASE = 'http://parley.test';
const { server, backend } = createMockServer({ variant: 'full', baseUrl: BASE, slowMs: 150 });
const { state, faults } = backend;
const target: Target = { name: 'mock', fetch: (url, init) => globalThis.fetch(url, init), base: BASE };
const call = caller(target);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  faults.clear();
  state.reset();
  server.resetHandlers();
});
afterAll(() => server.close());

/** Whether a promise settles within `ms` (real time: the faults under test use real timers). */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

const status = () => call({ path: '/api/status' });

describe('mock backend faults', () => {
  it('makes fetch reject with a TypeError when a route is down', async () => {
    faults.set('status', 'down');
    await expect(status()).rejects.toThrow(TypeError);
  });

  it('fails only the next request with a once fault', async () => {
    faults.set('status', 'down', { once: true });
    await expect(status()).rejects.toThrow(TypeError);
    expect((await status()).status).toBe(200);
  });

  it('answers 500 with the internal error body', async () => {
    faults.set('status', '500');
    const reply = await status();
    expect(reply.status).toBe(500);
    expect(v.parse(ErrorResponse, reply.json).code).toBe('internal');
  });

  it('answers malformed 200s whose bodies do not parse with the schema', async () => {
    faults.set('status', 'malformed');
    const html = await status();
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(v.safeParse(StatusResponse, html.json).success).toBe(false);
    faults.set('status', 'malformed', { body: 'truncated' });
    const truncated = await status();
    expect(truncated.headers.get('content-type')).toMatch(/^application\/json/);
    expect(() => JSON.parse(truncated.text)).toThrow(SyntaxError);
  });

  it('leaves a hanging request unanswered until it is aborted', async () => {
    faults.set('friends', 'hang');
    const aborts = new AbortController();
    const pending = request(target, { path: '/api/friends', signal: aborts.signal });
    expect(await settlesWithin(pending, 300)).toBe(false);
    aborts.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });

  it('answers a slow route only after its delay', async () => {
    faults.set('status', 'slow');
    const pending = status();
    expect(await settlesWithin(pending, 50)).toBe(false);
    expect(await settlesWithin(pending, 500)).toBe(true);
    expect((await pending).status).toBe(200);
  });

  it('drops a send after storing it, so a retry with the same clientId answers 200 with the first id', async () => {
    const alice = state.addUser('alice');
    state.addUser('bob');
    state.befriend('alice', 'bob');
    const body = { to: 'bob', content: 'lost answer', clientId: 'c-1' };
    faults.set('send', 'drop', { once: true });
    const dropped = await request(target, { path: '/api/messages', token: alice, body });
    expect(dropped.status).toBe(201);
    await expect(dropped.json()).rejects.toThrow(TypeError);
    const retry = await call({ path: '/api/messages', token: alice, body });
    expect(retry.status).toBe(200);
    expect(v.parse(SendMessageResponse, retry.json).id).toBe(state.conversation('alice', 'bob')[0]?.id);
  });

  it('drops an event stream after its opening lines, freeing it', async () => {
    const alice = state.addUser('alice');
    faults.set('events', 'drop');
    const res = await request(target, { path: '/api/events', token: alice });
    expect(res.status).toBe(200);
    const stream = sseReader(res.body as ReadableStream<Uint8Array>);
    expect(await stream.next()).toMatchObject({ retry: 2000, id: expect.any(String) });
    expect(await stream.next()).toBe('end');
    expect(state.streamCount('alice')).toBe(0);
  });

  it('drops a bodiless answer before it arrives, though the call took effect', async () => {
    const alice = state.addUser('alice');
    faults.set('auth', 'drop', { once: true });
    await expect(request(target, { method: 'POST', path: '/api/logout', token: alice })).rejects.toThrow(
      TypeError,
    );
    expect((await call({ path: '/api/friends', token: alice })).status).toBe(401);
  });

  it('fails every route with the all route, before any token is checked', async () => {
    faults.set('all', '500');
    for (const path of ['/api/status', '/api/friends', '/api/messages?peer=bob', '/api/nope']) {
      expect((await call({ path })).status, path).toBe(500);
    }
  });

  it('leaves other routes alone, and prefers a route’s own fault to the all route’s', async () => {
    const alice = state.addUser('alice');
    faults.set('friends', '500');
    faults.set('all', 'malformed');
    expect((await call({ path: '/api/friends', token: alice })).status).toBe(500);
    faults.clear('all');
    expect((await status()).status).toBe(200);
    expect(faults.get('friends')?.kind).toBe('500');
  });

  it('answers normally again after faults.clear', async () => {
    const alice = state.addUser('alice');
    faults.set('friends', 'down');
    faults.clear();
    const reply = await call({ path: '/api/friends', token: alice });
    expect(v.parse(FriendsResponse, reply.json)).toEqual([]);
  });

  it('lets a one-shot server.use override answer before the mock', async () => {
    server.use(
      http.get(`${BASE}/api/status`, () => HttpResponse.json({ overridden: true }, { status: 503 }), {
        once: true,
      }),
    );
    expect((await status()).status).toBe(503);
    expect((await status()).status).toBe(200);
  });
});
