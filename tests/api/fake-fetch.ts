/**
 * A hand-written fetch for the client tests: it records what was sent and answers with real `Response`
 * objects, so status, headers and body streams behave as the platform's do.
 */
import { expect } from 'vitest';
import { ApiError, type ApiFailure } from '../../machines/ports';
import type { FetchLike } from '../../src/api/client';

export interface SentRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
  cache: RequestCache | undefined;
  signal: AbortSignal;
}

export function fakeFetch(answer: (request: SentRequest) => Response | Promise<Response>) {
  const sent: SentRequest[] = [];
  const fetch: FetchLike = async (url, init) => {
    const request: SentRequest = {
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? init.body : null,
      cache: init.cache,
      signal: init.signal as AbortSignal,
    };
    sent.push(request);
    return answer(request);
  };
  /** The one request the test expects to have been sent. */
  const last = () => {
    const request = sent.at(-1);
    if (!request) throw new Error('no request was sent');
    return request;
  };
  return { fetch, sent, last };
}

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

export const textResponse = (text: string, status = 200, contentType = 'text/plain') =>
  new Response(text, { status, headers: { 'content-type': contentType } });

/** Like a real fetch that gets no answer: it settles only by rejecting when its signal aborts. */
export const pendingUntilAborted = (request: SentRequest) =>
  new Promise<Response>((_, reject) => {
    request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });

/** A body stream the test writes to chunk by chunk, closes, or breaks. */
export function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    stream,
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    writeBytes: (bytes: Uint8Array) => controller.enqueue(bytes),
    end: () => controller.close(),
    fail: () => controller.error(new TypeError('terminated')),
  };
}

/** Awaits a rejection and checks it is an ApiError with these fields. */
export async function expectFailure(
  promise: Promise<unknown>,
  expected: Partial<ApiFailure>,
): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail, but it succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject(expected);
  const apiError = error as ApiError;
  expect(apiError.message.length).toBeGreaterThan(10);
  return apiError;
}

export const never = () => new AbortController().signal;
