import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client';
import { fakeFetch, jsonResponse, never } from './fake-fetch';

const message = {
  id: 42,
  direction: 'received',
  peer: 'bob',
  content: 'hi',
  timestamp: 1_764_000_000_000,
  delivered: true,
  clientId: null,
};
const friend = { username: 'bob', online: true, lastSeen: null, unread: 2, lastMessageId: 41 };

const setup = (answer: Parameters<typeof fakeFetch>[0], baseUrl = 'http://api.test/') => {
  const fake = fakeFetch(answer);
  return { ...fake, api: createApiClient({ baseUrl, fetch: fake.fetch }) };
};
const opts = () => ({ signal: never() });

describe('the API client builds requests', () => {
  it('sends the status check without a token when there is none, and with one when there is', async () => {
    const { api, sent } = setup(() =>
      jsonResponse({ status: 'online', version: '1.2.3', time: 5, user: null, extra: 'ignored' }),
    );
    await expect(api.status(null, opts())).resolves.toEqual({
      status: 'online',
      version: '1.2.3',
      time: 5,
      user: null,
    });
    await api.status('tok', opts());
    expect(sent.map((r) => [r.method, r.url, r.headers.get('authorization')])).toEqual([
      ['GET', 'http://api.test/api/status', null],
      ['GET', 'http://api.test/api/status', 'Bearer tok'],
    ]);
    expect(sent[0]?.cache).toBe('no-store');
    expect(sent[0]?.headers.get('content-type')).toBeNull();
  });

  it('posts credentials as JSON to register and login and answers the session', async () => {
    const { api, sent } = setup((r) =>
      jsonResponse(
        { success: true, username: 'alice', token: 't-1' },
        r.url.endsWith('register') ? 201 : 200,
      ),
    );
    await expect(api.register('Alice', 'correct horse', opts())).resolves.toEqual({
      username: 'alice',
      token: 't-1',
    });
    await expect(api.login('alice', 'correct horse', opts())).resolves.toEqual({
      username: 'alice',
      token: 't-1',
    });
    expect(sent.map((r) => [r.method, r.url])).toEqual([
      ['POST', 'http://api.test/api/register'],
      ['POST', 'http://api.test/api/login'],
    ]);
    for (const request of sent) {
      expect(request.headers.get('content-type')).toBe('application/json');
      expect(request.headers.get('authorization')).toBeNull();
      expect(request.cache).toBe('no-store');
    }
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual({ username: 'Alice', password: 'correct horse' });
  });

  it('logs out with the token and accepts the empty 204', async () => {
    const { api, last } = setup(() => new Response(null, { status: 204 }));
    await expect(api.logout('tok', opts())).resolves.toBeUndefined();
    expect([last().method, last().url, last().headers.get('authorization')]).toEqual([
      'POST',
      'http://api.test/api/logout',
      'Bearer tok',
    ]);
    expect(last().body).toBeNull();
  });

  it('adds a friend and answers the name the server returned', async () => {
    const { api, last } = setup(() => jsonResponse({ success: true, username: 'bob' }, 201));
    await expect(api.addFriend('tok', 'Bob', opts())).resolves.toBe('bob');
    expect(last().url).toBe('http://api.test/api/friends');
    expect(JSON.parse(last().body ?? '')).toEqual({ username: 'Bob' });
  });

  it('sends a message with its client id and answers the stored id and timestamp', async () => {
    const { api, last } = setup(() =>
      jsonResponse({ success: true, id: 43, timestamp: 9, delivered: false }, 201),
    );
    const out = { to: 'bob', content: 'hi & <b>bye</b>', clientId: 'c-1' };
    await expect(api.send('tok', out, opts())).resolves.toEqual({
      success: true,
      id: 43,
      timestamp: 9,
      delivered: false,
    });
    expect([last().method, last().url]).toEqual(['POST', 'http://api.test/api/messages']);
    expect(JSON.parse(last().body ?? '')).toEqual(out);
    expect(last().headers.get('authorization')).toBe('Bearer tok');
  });

  it('encodes the messages query and leaves out cursors it was not given', async () => {
    const { api, sent } = setup(() => jsonResponse([message], 200, { etag: '"m1"' }));
    await api.messages('tok', { peer: 'bob' }, null, opts());
    await api.messages('tok', { peer: 'a&b=c', after: 41, limit: 500 }, null, opts());
    await api.messages('tok', { peer: 'bob', before: 0 }, null, opts());
    expect(sent.map((r) => r.url)).toEqual([
      'http://api.test/api/messages?peer=bob',
      'http://api.test/api/messages?peer=a%26b%3Dc&after=41&limit=500',
      'http://api.test/api/messages?peer=bob&before=0',
    ]);
  });

  it('keeps a path prefix of the base URL and works with the page’s own origin', async () => {
    const prefixed = setup(() => jsonResponse([]), 'https://example.test/chat/');
    await prefixed.api.friends('tok', null, opts());
    expect(prefixed.last().url).toBe('https://example.test/chat/api/friends');
    const sameOrigin = setup(() => jsonResponse([]), '');
    await sameOrigin.api.friends('tok', null, opts());
    expect(sameOrigin.last().url).toBe('/api/friends');
  });
});

describe('the API client makes conditional requests', () => {
  it('answers a new body with its ETag, and sends no If-None-Match without one', async () => {
    const { api, last } = setup(() => jsonResponse([friend], 200, { etag: '"f1"' }));
    await expect(api.friends('tok', null, opts())).resolves.toEqual({
      notModified: false,
      body: [friend],
      etag: '"f1"',
    });
    expect(last().headers.get('if-none-match')).toBeNull();
  });

  it('answers a null ETag when the backend sends none', async () => {
    const { api } = setup(() => jsonResponse([message]));
    await expect(api.messages('tok', { peer: 'bob' }, null, opts())).resolves.toEqual({
      notModified: false,
      body: [message],
      etag: null,
    });
  });

  it('sends If-None-Match with the ETag it holds and answers notModified on a 304', async () => {
    const { api, sent } = setup(() => new Response(null, { status: 304, headers: { etag: '"f1"' } }));
    await expect(api.friends('tok', '"f1"', opts())).resolves.toEqual({ notModified: true });
    await expect(api.messages('tok', { peer: 'bob' }, '"m1"', opts())).resolves.toEqual({
      notModified: true,
    });
    expect(sent.map((r) => r.headers.get('if-none-match'))).toEqual(['"f1"', '"m1"']);
  });
});
