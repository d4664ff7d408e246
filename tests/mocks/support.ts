/**
 * Shared by the mock suites: a backend reached through a given `fetch` (the global one, which msw
 * intercepts, or undici's, which reaches the real server), an SSE reader, and body normalisation.
 */
import { expect } from 'vitest';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface Target {
  name: 'server' | 'mock';
  fetch: FetchLike;
  base: string;
}

export interface CallSpec {
  method?: string;
  path: string;
  token?: string | undefined;
  /** Sent as JSON with `Content-Type: application/json` (unless `type` says otherwise). */
  body?: unknown;
  /** Sent as is; `type` null sends no Content-Type (fetch then says text/plain for a string). */
  raw?: string;
  type?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

export type Call = (spec: CallSpec) => Promise<Reply>;

export function request(target: Target, spec: CallSpec): Promise<Response> {
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  let body: string | undefined;
  if (spec.raw !== undefined || spec.body !== undefined) {
    body = spec.raw ?? JSON.stringify(spec.body);
    if (spec.type !== null) headers['content-type'] = spec.type ?? 'application/json';
  }
  return target.fetch(target.base + spec.path, {
    method: spec.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: spec.signal,
  });
}

export const caller =
  (target: Target): Call =>
  async (spec) => {
    const res = await request(target, spec);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

/** Registers a user (password "correct horse") and answers their token. */
export async function register(call: Call, username: string): Promise<string> {
  const reply = await call({ path: '/api/register', body: { username, password: 'correct horse' } });
  expect(reply.status, reply.text).toBe(201);
  return (reply.json as { token: string }).token;
}

export async function befriend(call: Call, token: string, username: string): Promise<void> {
  const reply = await call({ path: '/api/friends', token, body: { username } });
  expect(reply.status, reply.text).toBe(201);
}

export async function send(call: Call, token: string, to: string, content: string, clientId: string) {
  const reply = await call({ path: '/api/messages', token, body: { to, content, clientId } });
  expect(reply.status, reply.text).toBe(201);
  return reply.json as { id: number; delivered: boolean };
}

/**
 * Replaces what legitimately differs between two backends given the same calls so the rest can be
 * compared exactly: times, tokens, sentences for a person, and message ids (they only grow, but the
 * server's SQLite skips one when an idempotent send finds its first message; each row checks its own ids).
 */
export function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  }
  if (['time', 'timestamp', 'lastSeen'].includes(key)) return typeof value === 'number' ? '<time>' : value;
  if (['id', 'lastMessageId'].includes(key)) return typeof value === 'number' ? '<id>' : value;
  if (['token', 'error', 'reason'].includes(key)) return typeof value === 'string' ? `<${key}>` : value;
  return value;
}

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comments: string[];
}

/** Reads `text/event-stream` frames from a fetch body, one blank-line-separated block at a time. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';

  const parseBlock = (block: string): SseFrame => {
    const frame: SseFrame = { comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
      const match = /^(id|event|data|retry): ?(.*)$/.exec(line);
      if (!match) continue;
      const [, field, value = ''] = match;
      if (field === 'retry') frame.retry = Number(value);
      else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
      else if (field === 'id' || field === 'event') frame[field] = value;
    }
    return frame;
  };

  /** The next frame, or 'end' when the stream ends; rejects after `timeoutMs` without one. */
  async function next(timeoutMs = 3000): Promise<SseFrame | 'end'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cut = buffer.indexOf('\n\n');
      if (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        return parseBlock(block);
      }
      const wait = deadline - Date.now();
      if (wait <= 0) throw new Error(`no event-stream frame within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), wait);
      });
      const chunk = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      if (chunk.done) return 'end';
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next frame of the given event type, skipping others (presence, keep-alives). */
  async function nextEvent(type: string, timeoutMs = 3000): Promise<SseFrame> {
    for (;;) {
      const frame = await next(timeoutMs);
      if (frame === 'end') throw new Error(`the stream ended before a "${type}" event`);
      if (frame.event === type) return frame;
    }
  }

  return { next, nextEvent };
}
