/** Rows of the contract table for reading and sending messages. */
import { expect } from 'vitest';
import { MessagesResponse, SendMessageResponse } from '../../src/contract';
import {
  type CaseWorld,
  type ContractCase,
  empty,
  etagOf,
  get,
  messagesOf,
  ok,
  post,
  refused,
  sendTo,
} from './contract-table';
import { send } from './support';

const ids = (list: { id: number }[]) => list.map((m) => m.id);
const read = (w: CaseWorld, query = '') => get(messagesOf(w, query), w.token.a);
const sendAs = (w: CaseWorld, body: unknown) => post('/api/messages', body, w.token.a);

export const messageCases: ContractCase[] = [
  {
    name: 'messages without a cursor answer the newest page, oldest first, with an ETag',
    exchange: 5,
    request: (w) => read(w, '&limit=3'),
    expect: ok(200, MessagesResponse, true)((list, w) => expect(ids(list)).toEqual(w.ids.slice(2))),
  },
  {
    name: 'messages after an id answer the newer ones, oldest first, up to the limit',
    exchange: 5,
    request: (w) => read(w, `&after=${w.ids[1]}&limit=2`),
    expect: ok(200, MessagesResponse, true)((list, w) => expect(ids(list)).toEqual(w.ids.slice(2, 4))),
  },
  {
    name: 'messages before an id answer the ones just older, oldest first',
    exchange: 5,
    request: (w) => read(w, `&before=${w.ids[4]}&limit=2`),
    expect: ok(200, MessagesResponse, true)((list, w) => expect(ids(list)).toEqual(w.ids.slice(2, 4))),
  },
  {
    name: 'messages after the newest id answer an empty list',
    exchange: 2,
    request: (w) => read(w, `&after=${w.ids[1]}`),
    expect: ok(200, MessagesResponse, true)((list) => expect(list).toEqual([])),
  },
  {
    name: 'messages carry each side’s direction, the peer and the sender’s clientId',
    exchange: 2,
    request: (w) => read(w),
    expect: ok(
      200,
      MessagesResponse,
      true,
    )((list, w) => {
      expect(list.map((m) => [m.direction, m.peer, m.clientId])).toEqual([
        ['sent', w.b, `${w.a}-m0`],
        ['received', w.b, `${w.a}-m1`],
      ]);
    }),
  },
  {
    name: 'reading a conversation marks the received messages delivered, not the sent ones',
    exchange: 2,
    request: (w) => read(w),
    expect: ok(
      200,
      MessagesResponse,
      true,
    )((list) => expect(list.map((m) => m.delivered)).toEqual([false, true])),
  },
  {
    name: 'messages answer 304 with no body to a matching If-None-Match',
    exchange: 1,
    given: async (w) => {
      w.extra.etag = etagOf(await w.call(read(w)));
    },
    request: (w) => get(messagesOf(w), w.token.a, { 'if-none-match': w.extra.etag as string }),
    expect: empty(304, true),
  },
  {
    name: 'messages refuse a limit over 500',
    request: (w) => read(w, '&limit=501'),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse a limit of 0',
    request: (w) => read(w, '&limit=0'),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse after and before together',
    request: (w) => read(w, '&after=1&before=9'),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse a cursor that is not a whole number',
    request: (w) => read(w, '&after=1.5'),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse an unknown query parameter',
    request: (w) => read(w, '&since=1'),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse a repeated peer',
    request: (w) => read(w, `&peer=${w.b}`),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse a missing peer',
    request: (w) => get('/api/messages', w.token.a),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'messages refuse a peer who is not a friend',
    request: (w) => get(`/api/messages?peer=${w.c}`, w.token.a),
    expect: refused(403, 'forbidden'),
  },
  {
    name: 'messages refuse an unknown peer',
    request: (w) => get(`/api/messages?peer=${w.c}_ghost`, w.token.a),
    expect: refused(404, 'not_found'),
  },
  {
    name: 'messages without a token are refused',
    request: (w) => get(messagesOf(w)),
    expect: refused(401, 'unauthorized'),
  },
  {
    name: 'a send answers 201 with the new id, undelivered while the recipient holds no stream',
    request: (w) => sendAs(w, sendTo(w.b, 'hello', 'first')),
    expect: ok(201, SendMessageResponse)((r) => expect(r.delivered).toBe(false)),
  },
  {
    name: 'a repeated clientId answers 200 with the first id and stores nothing new',
    given: async (w) => {
      w.extra.id = String((await send(w.call, w.token.a, w.b, 'once', 'retry-me')).id);
    },
    request: (w) => sendAs(w, sendTo(w.b, 'once, again', 'retry-me')),
    expect: ok(
      200,
      SendMessageResponse,
    )(async (r, w) => {
      expect(r.id).toBe(Number(w.extra.id));
      const list = (await w.call(read(w))).json;
      expect(list).toEqual([expect.objectContaining({ id: r.id, content: 'once' })]);
    }),
  },
  {
    name: 'a send without a clientId is refused',
    request: (w) => sendAs(w, sendTo(w.b, 'hello')),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'a send with a 65-character clientId is refused',
    request: (w) => sendAs(w, sendTo(w.b, 'hello', 'x'.repeat(65))),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'a send of only white space is refused',
    request: (w) => sendAs(w, sendTo(w.b, ' \n\t ', 'blank')),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'a send of 4,001 characters is refused',
    request: (w) => sendAs(w, sendTo(w.b, 'x'.repeat(4001), 'long')),
    expect: refused(400, 'bad_request'),
  },
  {
    name: 'a send of 4,000 emoji is accepted, counted as characters, not UTF-16 units',
    request: (w) => sendAs(w, sendTo(w.b, '😀'.repeat(4000), 'emoji')),
    expect: ok(201, SendMessageResponse)(),
  },
  {
    name: 'a message is kept verbatim, spaces and markup included',
    given: async (w) => {
      await send(w.call, w.token.a, w.b, '  <b>hi</b> &amp; ', 'verbatim');
    },
    request: (w) => read(w),
    expect: ok(200, MessagesResponse, true)((list) => expect(list[0]?.content).toBe('  <b>hi</b> &amp; ')),
  },
  {
    name: 'a send to a user who is not a friend is refused',
    request: (w) => sendAs(w, sendTo(w.c, 'hello', 'stranger')),
    expect: refused(403, 'forbidden'),
  },
  {
    name: 'a send to an unknown user is not found',
    request: (w) => sendAs(w, sendTo(`${w.c}_ghost`, 'hello', 'ghost')),
    expect: refused(404, 'not_found'),
  },
  {
    name: 'a send to yourself is refused as to a non-friend',
    request: (w) => sendAs(w, sendTo(w.a, 'hello', 'self')),
    expect: refused(403, 'forbidden'),
  },
  {
    name: 'a send without a token is refused',
    request: (w) => post('/api/messages', sendTo(w.b, 'hello', 'anon')),
    expect: refused(401, 'unauthorized'),
  },
];
