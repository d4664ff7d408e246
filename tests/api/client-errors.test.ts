import { describe, expect, it } from 'vitest';
import { isTransient } from '../../machines/ports';
import { createApiClient } from '../../src/api/client';
import { parseRetryAfter } from '../../src/api/decode';
import { expectFailure, fakeFetch, jsonResponse, never, textResponse } from './fake-fetch';

const NOW = Date.UTC(2025, 10, 24, 12, 0, 0);
const setup = (answer: Parameters<typeof fakeFetch>[0]) => {
  const fake = fakeFetch(answer);
  return createApiClient({ baseUrl: 'http://api.test', fetch: fake.fetch, now: () => NOW });
};
const opts = () => ({ signal: never() });
const errorBody = (code: string, error: string) => ({ success: false, error, code });

describe('the API client reports failures as ApiErrors', () => {
  it('reports a fetch that rejects as a network failure', async () => {
    const api = setup(() => Promise.reject(new TypeError('fetch failed')));
    const error = await expectFailure(api.status(null, opts()), { kind: 'network' });
    expect(error.message).toBe('The server could not be reached.');
  });

  it('reports a body cut off by the connection as a network failure', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('[{"username":'));
        c.error(new TypeError('terminated'));
      },
    });
    const api = setup(() => new Response(body, { status: 200 }));
    await expectFailure(api.friends('tok', null, opts()), { kind: 'network' });
  });

  it('carries the server’s sentence, code and status for an error answer of the contract', async () => {
    const api = setup(() => jsonResponse(errorBody('forbidden', 'You can only write to friends.'), 403));
    await expectFailure(api.send('tok', { to: 'bob', content: 'x', clientId: 'c' }, opts()), {
      kind: 'http',
      status: 403,
      code: 'forbidden',
      message: 'You can only write to friends.',
    });
  });

  it('makes a sentence from the status when the error body is not the contract’s', async () => {
    const api = setup(() => textResponse('<html><h1>502 Bad Gateway</h1></html>', 502, 'text/html'));
    const error = await expectFailure(api.status(null, opts()), { kind: 'http', status: 502 });
    expect(error.code).toBeUndefined();
    expect(error.message).toMatch(/server ran into a problem/);
    expect(isTransient(error)).toBe(true);
  });

  it('takes Retry-After in seconds from a rate-limited answer', async () => {
    const api = setup(() =>
      jsonResponse(errorBody('rate_limited', 'You are sending too fast; wait a moment.'), 429, {
        'retry-after': '3',
      }),
    );
    await expectFailure(api.send('tok', { to: 'bob', content: 'x', clientId: 'c' }, opts()), {
      kind: 'http',
      status: 429,
      code: 'rate_limited',
      retryAfter: 3,
    });
  });

  it('takes Retry-After as an HTTP date, counted from now', async () => {
    const later = new Date(NOW + 120_000).toUTCString();
    const api = setup(() => new Response('busy', { status: 503, headers: { 'retry-after': later } }));
    await expectFailure(api.status(null, opts()), { kind: 'http', status: 503, retryAfter: 120 });
  });

  it('leaves retryAfter unset when the answer has no Retry-After', async () => {
    const api = setup(() => textResponse('Service Unavailable', 503));
    const error = await expectFailure(api.status(null, opts()), { kind: 'http', status: 503 });
    expect(error.retryAfter).toBeUndefined();
  });
});

describe('Retry-After parsing', () => {
  it.each([
    ['0', 0],
    [' 17 ', 17],
    [new Date(NOW + 1500).toUTCString(), 1],
    [new Date(NOW - 60_000).toUTCString(), 0],
  ])('reads %j as %d seconds', (header, seconds) => {
    expect(parseRetryAfter(header, NOW)).toBe(seconds);
  });

  it.each([null, '', '-5', '1.5', 'soon', 'Mon, 99 Foo 2025'])('treats %j as absent', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

describe('the API client refuses answers that are not the contract', () => {
  it('reports an HTML page with a 200 as a decode failure that says so', async () => {
    const api = setup(() => textResponse('<!doctype html><title>Sign in</title>', 200, 'text/html'));
    const error = await expectFailure(api.friends('tok', null, opts()), { kind: 'decode', status: 200 });
    expect(error.message).toMatch(/web page/);
  });

  it('reports truncated JSON as a decode failure', async () => {
    const api = setup(() => textResponse('[{"username":"bob","onl', 200, 'application/json'));
    await expectFailure(api.friends('tok', null, opts()), { kind: 'decode' });
  });

  it('reports an empty body where JSON is expected as a decode failure', async () => {
    const api = setup(() => new Response('', { status: 200 }));
    const error = await expectFailure(api.login('alice', 'correct horse', opts()), { kind: 'decode' });
    expect(error.message).toMatch(/empty/);
  });

  it('reports fields of the wrong type as a decode failure naming the field', async () => {
    const api = setup(() =>
      jsonResponse([{ username: 'bob', online: 'yes', lastSeen: null, unread: 0, lastMessageId: null }]),
    );
    const error = await expectFailure(api.friends('tok', null, opts()), { kind: 'decode' });
    expect(error.message).toMatch(/online/);
  });

  it('reports an error body sent with a 200 as a decode failure', async () => {
    const api = setup(() => jsonResponse(errorBody('internal', 'Something went wrong.'), 200));
    await expectFailure(api.send('tok', { to: 'bob', content: 'x', clientId: 'c' }, opts()), {
      kind: 'decode',
    });
  });

  it('reports a 304 to a request that held no ETag as an error, not as "unchanged"', async () => {
    const api = setup(() => new Response(null, { status: 304 }));
    await expectFailure(api.friends('tok', null, opts()), { kind: 'http', status: 304 });
  });

  it('reports valid JSON of another shape (a number, null) as a decode failure', async () => {
    for (const body of ['42', 'null', '{"status":"online"}']) {
      const api = setup(() => textResponse(body, 200, 'application/json'));
      await expectFailure(api.status(null, opts()), { kind: 'decode' });
    }
  });
});
