/**
 * Assertions and shortcuts shared by the in-process contract suite (status-auth, friends, messages,
 * presence, errors). Kept apart from helpers.ts so that file's existing signatures stay untouched.
 */
import type { LightMyRequestResponse } from 'fastify';
import * as v from 'valibot';
import { expect } from 'vitest';
import {
  type ErrorCode,
  ErrorResponse,
  FriendsResponse,
  MessagesResponse,
  SendMessageResponse,
} from '../../src/contract';
import type { ParleyApp } from '../../src/server/app';
import { bearer } from './helpers';

/** What a leaked stack trace looks like in a body: "    at fn (/path/file.ts:1:2)" or a `stack` field. */
const STACK_TRACE = /\n\s+at |\bat .+:\d+:\d+|"stack"/;

/**
 * The error shape of API.md: the status, exactly `{success: false, error, code}` as JSON, a sentence
 * for a person, no stack trace, and (as every API answer) `Cache-Control: no-store`.
 */
export function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = v.parse(ErrorResponse, res.json());
  expect(Object.keys(res.json()).sort()).toEqual(['code', 'error', 'success']);
  expect(body.code).toBe(code);
  expect(body.error.trim().length).toBeGreaterThan(0);
  expect(res.body).not.toMatch(STACK_TRACE);
  return body;
}

export const postJson = (app: ParleyApp, url: string, payload: unknown, token?: string) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
    payload: JSON.stringify(payload),
  });

export const getAuthed = (app: ParleyApp, url: string, token: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...bearer(token), ...headers } });

/** GET /api/friends, checked against the shared schema. */
export async function friendsOf(app: ParleyApp, token: string) {
  const res = await getAuthed(app, '/api/friends', token);
  expect(res.statusCode, res.body).toBe(200);
  return v.parse(FriendsResponse, res.json());
}

/** GET /api/messages with the given query string, checked against the shared schema. */
export async function messagesWith(app: ParleyApp, token: string, query: string) {
  const res = await getAuthed(app, `/api/messages?${query}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return v.parse(MessagesResponse, res.json());
}

/** Checks a send's answer (status and shape) and hands back its body. */
export function expectSent(res: LightMyRequestResponse, status: 200 | 201 = 201) {
  expect(res.statusCode, res.body).toBe(status);
  return v.parse(SendMessageResponse, res.json());
}

export async function userIdOf(app: ParleyApp, username: string): Promise<number> {
  const user = await app.parley.store.findUserByName(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

/**
 * Stores `count` messages from one user to another straight through the store (no rate limit), a second
 * apart from `at`; answers their ids in order.
 */
export async function seedMessages(
  app: ParleyApp,
  from: string,
  to: string,
  count: number,
  at = 1_764_000_000_000,
): Promise<number[]> {
  const senderId = await userIdOf(app, from);
  const recipientId = await userIdOf(app, to);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const { message } = await app.parley.store.insertMessage({
      senderId,
      recipientId,
      content: `seed ${i}`,
      clientId: `seed-${from}-${to}-${at}-${i}`,
      timestamp: at + i * 1000,
      delivered: false,
    });
    ids.push(message.id);
  }
  return ids;
}

/** A sink standing in for an open event stream, recording what the hub hands it. */
export function recordingSink() {
  const events: { id: string; type: string; data: unknown }[] = [];
  return {
    events,
    sink: {
      send: ({ id, event }: { id: string; event: { type: string; data: unknown } }) =>
        void events.push({ id, type: event.type, data: event.data }),
      end: () => {},
    },
  };
}
