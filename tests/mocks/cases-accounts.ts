/** Rows of the contract table for status, accounts, tokens, friends and unknown routes. */
import { expect } from 'vitest';
import { AddFriendResponse, AuthResponse, FriendsResponse, StatusResponse } from '../../src/contract';
import { type ContractCase, empty, etagOf, get, ok, PASSWORD, post, refused } from './contract-table';
import { befriend, send } from './support';

export const accountCases: ContractCase[] = [
  {
    name: 'status answers everyone, naming no user without a token',
    request: () => get('/api/status'),
    expect: ok(200, StatusResponse)((s) => expect(s.user).toBeNull()),
  },
  {
    name: 'status names the user of a valid token',
    request: (w) => get('/api/status', w.token.a),
    expect: ok(200, StatusResponse)((s, w) => expect(s.user).toBe(w.a)),
  },
  {
    name: 'status ignores an unknown token instead of refusing it',
    request: () => get('/api/status', 'not-a-token'),
    expect: ok(200, StatusResponse)((s) => expect(s.user).toBeNull()),
  },
  {
    name: 'register lower-cases the username and answers a token',
    request: (w) => post('/api/register', { username: `${w.a}_NEW`.toUpperCase(), password: PASSWORD }),
    expect: ok(201, AuthResponse)((r, w) => expect(r.username).toBe(`${w.a}_new`)),
  },
  {
    name: 'register refuses a taken name whatever its case',
    request: (w) => post('/api/register', { username: w.a.toUpperCase(), password: PASSWORD }),
    expect: refused(409, 'conflict'),
  },
  {
    name: 'register refuses a two-letter username',
    request: () => post('/api/register', { username: 'ab', password: PASSWORD }),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'register refuses a seven-character password',
    request: (w) => post('/api/register', { username: `${w.a}_x`, password: '1234567' }),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'register refuses an unknown field',
    request: (w) => post('/api/register', { username: `${w.a}_x`, password: PASSWORD, admin: true }),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'register refuses a body sent as text/plain',
    request: (w) => ({ path: '/api/register', raw: JSON.stringify({ username: w.a }), type: 'text/plain' }),
    expect: refused(415, 'unsupported_media_type'),
  },
  {
    name: 'register refuses a body with no Content-Type',
    request: (w) => ({ path: '/api/register', raw: JSON.stringify({ username: w.a }), type: null }),
    expect: refused(415, 'unsupported_media_type'),
  },
  {
    name: 'register refuses malformed JSON',
    request: () => ({ path: '/api/register', raw: '{"username": ' }),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'register refuses an empty JSON body',
    request: () => ({ path: '/api/register', raw: '' }),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'register refuses a body over 64 KiB',
    request: () => post('/api/register', { username: 'x'.repeat(70_000), password: PASSWORD }),
    expect: refused(413, 'payload_too_large'),
  },
  {
    name: 'login answers a fresh token for the right password',
    request: (w) => post('/api/login', { username: w.a, password: PASSWORD }),
    expect: ok(200, AuthResponse)((r, w) => expect(r.token).not.toBe(w.token.a)),
  },
  {
    name: 'login refuses a wrong password',
    request: (w) => post('/api/login', { username: w.a, password: `${PASSWORD}!` }),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'login refuses an unknown user with the same status',
    request: (w) => post('/api/login', { username: `${w.a}_ghost`, password: PASSWORD }),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'logout answers 204 with no body',
    request: (w) => ({ method: 'POST', path: '/api/logout', token: w.token.a }),
    expect: empty(204),
  },
  {
    name: 'logout answers 204 when a JSON content type comes with no body',
    request: (w) => ({
      method: 'POST',
      path: '/api/logout',
      token: w.token.a,
      headers: { 'content-type': 'application/json' },
    }),
    expect: empty(204),
  },
  {
    name: 'a token is refused once logged out',
    given: async (w) => {
      expect((await w.call({ method: 'POST', path: '/api/logout', token: w.token.a })).status).toBe(204);
    },
    request: (w) => get('/api/friends', w.token.a),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'logout without a token is refused',
    request: () => ({ method: 'POST', path: '/api/logout' }),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'friends without a token is refused',
    request: () => get('/api/friends'),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'a token under the Basic scheme is refused',
    request: (w) => get('/api/friends', undefined, { authorization: `Basic ${w.token.a}` }),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'the Bearer scheme is matched case-insensitively',
    request: (w) => get('/api/friends', undefined, { authorization: `bearer ${w.token.a}` }),
    expect: ok(200, FriendsResponse)(),
  },
  {
    name: 'the event stream refuses a missing token',
    request: () => get('/api/events'),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'a call without a token is refused before its body is looked at',
    request: () => ({ path: '/api/friends', raw: 'hello', type: 'text/plain' }),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'friends lists each friend by name with unread counts, the last message id and an ETag',
    exchange: 3,
    given: (w) => befriend(w.call, w.token.a, w.c),
    request: (w) => get('/api/friends', w.token.a),
    expect: ok(
      200,
      FriendsResponse,
      true,
    )((list, w) => {
      expect(list.map((f) => [f.username, f.unread, f.lastMessageId])).toEqual([
        [w.b, 1, w.ids[2]],
        [w.c, 0, null],
      ]);
      expect(list.every((f) => f.online)).toBe(true);
    }),
  },
  {
    name: 'friends answers 304 with no body to a matching If-None-Match',
    given: async (w) => {
      w.extra.etag = etagOf(await w.call(get('/api/friends', w.token.a)));
    },
    request: (w) => get('/api/friends', w.token.a, { 'if-none-match': w.extra.etag as string }),
    expect: empty(304, true),
  },
  {
    name: 'friends answers 200 again once the list changed',
    given: async (w) => {
      w.extra.etag = etagOf(await w.call(get('/api/friends', w.token.a)));
      await send(w.call, w.token.b, w.a, 'news', 'changed-1');
    },
    request: (w) => get('/api/friends', w.token.a, { 'if-none-match': w.extra.etag as string }),
    expect: ok(200, FriendsResponse, true)((list) => expect(list[0]?.unread).toBe(1)),
  },
  {
    name: 'adding a friend answers 201 with the friend lower-cased',
    request: (w) => post('/api/friends', { username: w.c.toUpperCase() }, w.token.a),
    expect: ok(201, AddFriendResponse)((r, w) => expect(r.username).toBe(w.c)),
  },
  {
    name: 'a friendship is mutual: the added user lists the adder',
    given: (w) => befriend(w.call, w.token.a, w.c),
    request: (w) => get('/api/friends', w.token.c),
    expect: ok(200, FriendsResponse, true)((list, w) => expect(list.map((f) => f.username)).toEqual([w.a])),
  },
  {
    name: 'adding an existing friend is a conflict, from either side',
    request: (w) => post('/api/friends', { username: w.a }, w.token.b),
    expect: refused(409, 'conflict'),
  },
  {
    name: 'adding an unknown user is not found',
    request: (w) => post('/api/friends', { username: `${w.a}_ghost` }, w.token.a),
    expect: refused(404, 'not_found'),
  },
  {
    name: 'adding yourself is refused',
    request: (w) => post('/api/friends', { username: w.a }, w.token.a),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'adding an invalid name is refused',
    request: (w) => post('/api/friends', { username: 'no spaces' }, w.token.a),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'adding a friend refuses a text/plain body',
    request: (w) => ({ path: '/api/friends', raw: 'bob', type: 'text/plain', token: w.token.a }),
    expect: refused(415, 'unsupported_media_type'),
  },
  {
    name: 'an unknown route answers 404 with the error body',
    request: (w) => get('/api/nope', w.token.a),
    expect: refused(404, 'not_found'),
  },
  {
    name: 'a trailing slash is another route',
    request: (w) => get('/api/friends/', w.token.a),
    expect: refused(404, 'not_found'),
  },
  {
    name: 'a known path under another method answers 404',
    request: (w) => ({ method: 'DELETE', path: '/api/friends', token: w.token.a }),
    expect: refused(404, 'not_found'),
  },
];
