/** Query strings are validated once per raw text: a poll repeats its query, and must not pay for it again. */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { MessagesQuery } from '../../src/contract';
import { queryParser } from '../../src/server/http';

const runs = vi.hoisted(() => ({ count: 0 }));
vi.mock('valibot', async (importOriginal) => {
  const real = await importOriginal<typeof import('valibot')>();
  return {
    ...real,
    safeParse: (...args: Parameters<typeof real.safeParse>) => {
      runs.count += 1;
      return real.safeParse(...args);
    },
  };
});

/** A request as Fastify hands it over: the raw URL, and the query it parsed from it. */
const request = (url: string) =>
  ({ url, query: Object.fromEntries(new URL(url, 'http://x').searchParams) }) as unknown as FastifyRequest;

describe('queryParser', () => {
  it('validates a query string once, and answers the same frozen result after that', () => {
    const parse = queryParser(MessagesQuery);
    const before = runs.count;
    const first = parse(request('/api/messages?peer=bob&after=20'));
    expect(first).toEqual({ peer: 'bob', after: 20 });
    expect(Object.isFrozen(first)).toBe(true);
    for (let i = 0; i < 5; i++) expect(parse(request('/api/messages?peer=bob&after=20'))).toBe(first);
    expect(runs.count - before).toBe(1);
    expect(parse(request('/api/messages?peer=bob&after=21'))).toEqual({ peer: 'bob', after: 21 });
    expect(runs.count - before).toBe(2);
  });

  it('refuses a bad query every time, with the sentence of a 400', () => {
    const parse = queryParser(MessagesQuery);
    for (let i = 0; i < 2; i++) {
      expect(() => parse(request('/api/messages?peer=bob&after=x'))).toThrow(
        expect.objectContaining({ status: 400, code: 'bad_request' }),
      );
    }
    expect(() => parse(request('/api/messages'))).toThrow(
      expect.objectContaining({ message: 'peer is required.' }),
    );
  });

  it('remembers at most maxEntries query strings, and still parses the forgotten ones', () => {
    const parse = queryParser(MessagesQuery, 2);
    const urls = [1, 2, 3].map((n) => `/api/messages?peer=bob&after=${n}`);
    const first = urls.map((u) => parse(request(u)));
    const before = runs.count;
    expect(parse(request(urls[2] as string))).toBe(first[2]);
    expect(parse(request(urls[1] as string))).toBe(first[1]);
    expect(runs.count - before).toBe(0);
    expect(parse(request(urls[0] as string))).toEqual(first[0]);
    expect(runs.count - before).toBe(1);
  });
});
