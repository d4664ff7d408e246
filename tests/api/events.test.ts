import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventStreamHandlers } from '../../machines/ports';
import { createApiClient } from '../../src/api/client';
import {
  controlledBody,
  expectFailure,
  fakeFetch,
  jsonResponse,
  never,
  pendingUntilAborted,
  textResponse,
} from './fake-fetch';

const message = {
  id: 42,
  direction: 'received',
  peer: 'bob',
  content: 'héllo 👋',
  timestamp: 1_764_000_000_000,
  delivered: true,
  clientId: 'c-9',
};
const frame = (id: string, type: string, data: unknown) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

function streamSetup(respond?: Parameters<typeof fakeFetch>[0]) {
  const body = controlledBody();
  const fake = fakeFetch(
    respond ??
      (() =>
        new Response(body.stream, {
          status: 200,
          headers: { 'content-type': 'text/event-stream; charset=utf-8' },
        })),
  );
  const api = createApiClient({ baseUrl: 'http://api.test', fetch: fake.fetch });
  const seen: unknown[] = [];
  const handlers: EventStreamHandlers = {
    onOpen: () => seen.push('open'),
    onEvent: (event) => seen.push(event),
    onPosition: (id) => seen.push({ position: id }),
  };
  return { ...fake, api, body, seen, handlers };
}

/** Lets the client read what was written so far. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

afterEach(() => {
  vi.useRealTimers();
});

describe('the event stream', () => {
  it('opens with the token, Accept and Last-Event-ID, and announces itself', async () => {
    const { api, last, body, seen, handlers } = streamSetup();
    const done = api.events('tok', '17', handlers, { signal: never() });
    await settle();
    expect([last().method, last().url, last().cache]).toEqual([
      'GET',
      'http://api.test/api/events',
      'no-store',
    ]);
    expect(last().headers.get('accept')).toBe('text/event-stream');
    expect(last().headers.get('authorization')).toBe('Bearer tok');
    expect(last().headers.get('last-event-id')).toBe('17');
    expect(seen).toEqual(['open']);
    body.end();
    await done;
  });

  it('sends no Last-Event-ID on a fresh stream', async () => {
    const { api, last, body, handlers } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    body.end();
    await done;
    expect(last().headers.has('last-event-id')).toBe(false);
  });

  it('delivers positions and decoded events in order, however the bytes were cut, and resolves at the end', async () => {
    const { api, body, seen, handlers } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    const wire = new TextEncoder().encode(
      `retry: 2000\nid: 5\n\n: keep-alive\n\n${frame('6', 'message', message)}${frame('7', 'delivered', { id: 43, peer: 'bob' })}` +
        `${frame('8', 'reset', { reason: 'gone' })}data: {"unfinished":`,
    );
    // One byte at a time: lines, fields and the multi-byte characters are all cut.
    for (const byte of wire) body.writeBytes(Uint8Array.of(byte));
    body.end();
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual([
      'open',
      { position: '5' },
      { type: 'message', data: message, id: '6' },
      { type: 'delivered', data: { id: 43, peer: 'bob' }, id: '7' },
      { type: 'reset', data: { reason: 'gone' }, id: '8' },
    ]);
  });

  it('ignores event types it does not know, including names of object properties', async () => {
    const { api, body, seen, handlers } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    body.write(
      frame('1', 'typing', { who: 'bob' }) + frame('2', 'constructor', {}) + frame('3', 'toString', {}),
    );
    body.write(frame('4', 'friend', { username: 'carol' }));
    body.end();
    await done;
    expect(seen).toEqual(['open', { type: 'friend', data: { username: 'carol' }, id: '4' }]);
  });

  it('rejects with a decode failure on an event of the wrong shape and closes the connection', async () => {
    const { api, body, seen, handlers, last } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    body.write(frame('1', 'presence', { username: 'bob', online: 'maybe', lastSeen: null }));
    const error = await expectFailure(done, { kind: 'decode' });
    expect(error.message).toMatch(/presence/);
    expect(seen).toEqual(['open']);
    expect(last().signal.aborted).toBe(true);
  });

  it('rejects with a decode failure on event data that is not JSON', async () => {
    const { api, body, handlers } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    body.write('event: friend\ndata: {"username": "car\n\n');
    await expectFailure(done, { kind: 'decode' });
  });

  it('rejects with a network failure when the stream breaks', async () => {
    const { api, body, seen, handlers } = streamSetup();
    const done = api.events('tok', null, handlers, { signal: never() });
    body.write(frame('1', 'friend', { username: 'carol' }));
    await settle();
    body.fail();
    await expectFailure(done, { kind: 'network' });
    expect(seen).toHaveLength(2);
  });

  it('rejects as aborted when the caller aborts mid-stream, and aborts the fetch', async () => {
    const { api, body, handlers, last } = streamSetup();
    const caller = new AbortController();
    const done = api.events('tok', null, handlers, { signal: caller.signal });
    body.write(': hello\n\n');
    await settle();
    caller.abort();
    await expectFailure(done, { kind: 'aborted' });
    expect(last().signal.aborted).toBe(true);
  });

  it('rejects with http 404 when the backend has no stream, without announcing one', async () => {
    const { api, seen, handlers } = streamSetup(() =>
      jsonResponse({ success: false, error: 'There is no GET /api/events here.', code: 'not_found' }, 404),
    );
    await expectFailure(api.events('tok', null, handlers, { signal: never() }), {
      kind: 'http',
      status: 404,
      code: 'not_found',
    });
    expect(seen).toEqual([]);
  });

  it('rejects with a decode failure when a 200 answer is a web page, not a stream', async () => {
    const { api, seen, handlers } = streamSetup(() => textResponse('<!doctype html>', 200, 'text/html'));
    await expectFailure(api.events('tok', null, handlers, { signal: never() }), { kind: 'decode' });
    expect(seen).toEqual([]);
  });
});

describe('the event stream’s deadlines', () => {
  it('times out at 10 000 ms when the stream does not open', async () => {
    vi.useFakeTimers();
    const { api, handlers } = streamSetup(pendingUntilAborted);
    const done = api.events('tok', null, handlers, { signal: never() });
    const failure = expectFailure(done, { kind: 'timeout' });
    await vi.advanceTimersByTimeAsync(10_000);
    await failure;
  });

  it('stays open while comments keep arriving, and times out after 45 s of silence', async () => {
    vi.useFakeTimers();
    const { api, body, handlers, last } = streamSetup();
    let outcome: unknown = 'pending';
    const done = api.events('tok', null, handlers, { signal: never() });
    done.catch((error: unknown) => {
      outcome = error;
    });
    await vi.advanceTimersByTimeAsync(44_999);
    body.write(': keep-alive\n\n');
    await vi.advanceTimersByTimeAsync(44_999);
    expect(outcome).toBe('pending');
    expect(last().signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expectFailure(done, { kind: 'timeout' });
    expect(last().signal.aborted).toBe(true);
  });
});
