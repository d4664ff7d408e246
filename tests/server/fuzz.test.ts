/**
 * Malformed requests, thousands of them: whatever arrives, the server answers below 500 with the error body
 * of API.md (or a 2xx that the route legitimately gives), stays up, and stores nothing but what a
 * successful call created. The database is a file so that a second, read-only connection can count rows
 * around every request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddFriendResponse,
  AuthResponse,
  ErrorResponse,
  FriendsResponse,
  MessagesResponse,
  SendMessageResponse,
  StatusResponse,
} from '../../src/contract';
import type { ParleyApp } from '../../src/server/app';
import { newToken } from '../../src/server/credentials';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { bearer, befriend, listen, makeApp, register, userId } from './helpers';

const PASSWORD = 'correct horse';
const NAMES = ['alice', 'bob', 'carol'] as const;
type Name = (typeof NAMES)[number];

let dir: string;
let app: ParleyApp;
let db: Database.Database;
const tokens = {} as Record<Name, string>;
let revokedToken: string;
/** A token of the right shape that was never issued. */
const unknownToken = newToken().token;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-fuzz-'));
  const path = join(dir, 'fuzz.db');
  // Generous send limits: this is about malformed input, and valid sends should get through to be counted.
  app = await makeApp({
    store: openSqliteStore(path, { shared: true }),
    sendRate: { capacity: 100_000, perSecond: 100_000 },
  });
  for (const name of NAMES) tokens[name] = await register(app, name, PASSWORD);
  await befriend(app, tokens.alice, 'bob');
  revokedToken = await register(app, 'dave', PASSWORD);
  const out = await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(revokedToken) });
  expect(out.statusCode).toBe(204);
  // A few messages, so reads and cursors have something to page through.
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/messages',
      headers: bearer(i % 2 ? tokens.bob : tokens.alice),
      payload: { to: i % 2 ? 'alice' : 'bob', content: `seed ${i}`, clientId: `seed-${i}` },
    });
    expect(res.statusCode).toBe(201);
  }
  db = new Database(path, { readonly: true, fileMustExist: true });
});

afterAll(async () => {
  db?.close();
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- counting what is stored

interface Counts {
  users: number;
  tokens: number;
  friendships: number;
  messages: number;
}

const counts = (): Counts => {
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    users: count('users'),
    tokens: count('tokens'),
    friendships: count('friendships'),
    messages: count('messages'),
  };
};

// ---- what a request may legitimately get

const ROUTES = [
  '/api/status',
  '/api/register',
  '/api/login',
  '/api/logout',
  '/api/friends',
  '/api/messages',
  '/api/events',
] as const;

/** The route a URL reaches, with dot segments resolved and decoded as the router decodes it; else null. */
function routeOf(url: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return null;
  }
  return (ROUTES as readonly string[]).includes(decoded) ? decoded : null;
}

/** The successful answers each route may give, with the schema of their bodies. */
function legitimateSuccess(
  method: string,
  route: string | null,
  status: number,
): v.GenericSchema | 'empty' | null {
  const read = method === 'GET' || method === 'HEAD';
  const key = `${read ? 'GET' : method} ${route} ${status}`;
  const table: Record<string, v.GenericSchema | 'empty'> = {
    'GET /api/status 200': StatusResponse,
    'POST /api/register 201': AuthResponse,
    'POST /api/login 200': AuthResponse,
    'POST /api/logout 204': 'empty',
    'GET /api/friends 200': FriendsResponse,
    'GET /api/friends 304': 'empty',
    'POST /api/friends 201': AddFriendResponse,
    'GET /api/messages 200': MessagesResponse,
    'GET /api/messages 304': 'empty',
    'POST /api/messages 201': SendMessageResponse,
    'POST /api/messages 200': SendMessageResponse,
  };
  const found = table[key];
  if (!found) return null;
  return method === 'HEAD' ? 'empty' : found;
}

// ---- generating requests

type Auth =
  | { kind: 'none' }
  | { kind: 'user'; who: Name; style: 'plain' | 'lower' | 'spaces' | 'suffix' | 'prefix' | 'basic' }
  | { kind: 'revoked' }
  | { kind: 'unknown' }
  | { kind: 'raw'; value: string };

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('user' as const),
      who: fc.constantFrom(...NAMES),
      style: fc.constantFrom('plain', 'plain', 'plain', 'lower', 'spaces', 'suffix', 'prefix', 'basic'),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<Auth>({ kind: 'revoked' }, { kind: 'unknown' }) },
  { weight: 1, arbitrary: printable(80).map<Auth>((value) => ({ kind: 'raw', value })) },
);

const signedIn: fc.Arbitrary<Auth> = fc
  .constantFrom(...NAMES)
  .map((who) => ({ kind: 'user', who, style: 'plain' }));

function authHeader(auth: Auth): string | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'revoked':
      return `Bearer ${revokedToken}`;
    case 'unknown':
      return `Bearer ${unknownToken}`;
    case 'raw':
      return auth.value;
    case 'user': {
      const token = tokens[auth.who];
      return {
        plain: `Bearer ${token}`,
        lower: `bearer ${token}`,
        spaces: `Bearer   ${token}  `,
        suffix: `Bearer ${token}x`,
        prefix: `Bearer x${token}`,
        basic: `Basic ${Buffer.from(`${auth.who}:${PASSWORD}`).toString('base64')}`,
      }[auth.style];
    }
  }
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonx',
  'application/merge-patch+json',
  'application/problem+json',
  'text/plain',
  'text/json',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '*/*',
  'json',
  '',
  ';',
];

const contentTypeArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 6, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES) },
  { weight: 1, arbitrary: printable(40) },
);

const hugeString = fc
  .tuple(fc.constantFrom('x', ' ', 'é', '😀', '\u0000', 'ab\n'), fc.integer({ min: 3_000, max: 70_000 }))
  .map(([unit, n]) => unit.repeat(n));

/** Strings that probe the limits: empty, white space, lone surrogates, control characters, huge. */
const nastyString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\t\n ',
    '\u00a0',
    '\ud800',
    'a\udc00b',
    '\u0000',
    'Alice',
    'ALICE',
    'bob ',
    'İstanbul',
    '\u212aelvin',
    'x'.repeat(33),
    'x'.repeat(4001),
    '😀'.repeat(4000),
    '😀'.repeat(4001),
    '<script>alert(1)</script>',
    "'; DROP TABLE users; --",
    '__proto__',
    'constructor',
    '1e309',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  hugeString,
);

const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const newUsername = fc.stringMatching(/^[a-z0-9_]{3,32}$/);
/** Names the fuzz registers again and again, so that later friend requests and logins can find them. */
const POOL = ['fuzz_a', 'fuzz_b', 'fuzz_c', 'fuzz_d', 'fuzz_e', 'Fuzz_F'];
const someName = fc.oneof(
  fc.constantFrom('alice', 'bob', 'carol', 'dave', 'nobody', 'BOB', 'Carol', ...POOL),
  newUsername,
);

/** For each route that takes a body, bodies that are valid or nearly so. */
const ROUTE_BODIES: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  '/api/register': fc.record({
    username: fc.oneof(fc.constantFrom(...POOL), newUsername, someName),
    password: fc.constantFrom(PASSWORD, PASSWORD, 'short', 'x'.repeat(257), '\u00e9'.repeat(256)),
  }),
  '/api/login': fc.record({
    username: fc.constantFrom('alice', 'Bob', 'carol', 'dave', 'nobody', ...POOL),
    password: fc.constantFrom(PASSWORD, 'wrong password'),
  }),
  '/api/friends': fc.record({ username: someName }),
  '/api/messages': fc.record({
    to: fc.constantFrom('alice', 'bob', 'BOB', 'carol', 'dave', 'nobody'),
    content: fc.oneof(
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.constantFrom('hi', ' hi ', '\n', '😀'.repeat(4000)),
    ),
    clientId: fc.oneof(
      fc.constantFrom('dup-1', 'dup-2', 'seed-0', 'x'.repeat(64), 'x'.repeat(65)),
      fc.string({ minLength: 1, maxLength: 64 }),
    ),
  }),
  '/api/logout': fc.constant({}),
};

/** Take a near-valid body and maybe break it: drop a field, add one, or give one a wrong value. */
const mutated = (valid: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(
      valid,
      fc.constantFrom('keep', 'keep', 'keep', 'drop', 'extra', 'wrong', 'wrong', 'wrong'),
      fc.nat(),
      wrongValue,
      fc.constantFrom('extra', '__proto__', 'constructor', 'Username', ''),
    )
    .map(([body, how, pick, value, extraKey]) => {
      const copy: Record<string, unknown> = { ...body };
      const keys = Object.keys(copy);
      const key = keys[pick % Math.max(1, keys.length)];
      if (how === 'drop' && key !== undefined) delete copy[key];
      else if (how === 'wrong' && key !== undefined) copy[key] = value;
      else if (how === 'extra' || (how === 'wrong' && key === undefined)) {
        Object.defineProperty(copy, extraKey, { value, enumerable: true });
      }
      return copy;
    });

const brokenBody = fc.oneof(...Object.values(ROUTE_BODIES).map(mutated));

const depth = fc.integer({ min: 100, max: 100_000 });

/** Body texts and bytes of every kind. */
const bodyArb: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.jsonValue().map((j) => JSON.stringify(j)) },
  { weight: 6, arbitrary: brokenBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    // Invalid UTF-8 inside a JSON string.
    arbitrary: fc
      .constantFrom('\xff', '\xc3\x28', '\xed\xa0\x80', '\xf8\x88\x80\x80\x80', '\xe2\x82')
      .map((bad) =>
        Buffer.concat([
          Buffer.from('{"username":"ali'),
          Buffer.from(bad, 'latin1'),
          Buffer.from('ce","password":"correct horse"}'),
        ]),
      ),
  },
  {
    weight: 1,
    // Lone surrogates as JSON escapes, which JSON.parse turns into real lone surrogates.
    arbitrary: fc
      .constantFrom('username', 'password', 'to', 'content', 'clientId')
      .map((field) => `{"${field}":"a\\ud800b","username":"x\\udfff"}`),
  },
  {
    weight: 1,
    arbitrary: depth.map((n) => '['.repeat(n) + ']'.repeat(n)),
  },
  {
    weight: 1,
    arbitrary: depth.map((n) => `{"username":${'{"a":'.repeat(n)}1${'}'.repeat(n)},"__proto__":{}}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{', '}', '[', 'null', '""', '0', '-', '{"a":1}{}', '\ufeff{}', 'undefined'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"isAdmin":true},"username":"alice","password":"correct horse"}',
      '{"constructor":{"prototype":{"x":1}},"username":"alice"}',
      '{"username":"alice","username":"bob","password":"correct horse"}',
    ),
  },
  {
    weight: 1,
    arbitrary: hugeString.map((s) => JSON.stringify({ to: 'bob', content: s, clientId: 'huge' })),
  },
);

const JUNK_PATHS = [
  '/',
  '/api',
  '/api/',
  '/api/status/',
  '/API/STATUS',
  '/api/messages/1',
  '/api/messages/',
  '//api/status',
  '/api/./status',
  '/api/../api/status',
  '/api/%73tatus',
  '/api/%6Cogin',
  '/api/friends%00',
  '/api/%zz',
  '/api/status%',
  '/%E0%A4%A',
  '/api/friends;jsessionid=1',
  '/index.html',
  '/api/events/',
  '/../../etc/passwd',
  '/api/status?x',
];

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<string>(...ROUTES) },
  { weight: 2, arbitrary: fc.constantFrom(...JUNK_PATHS) },
  { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/api/${encodeURIComponent(s)}`) },
);

const queryValue = fc.oneof(
  someName,
  fc.constantFrom('0', '1', '3', '500', '501', '-1', '1.5', '1e3', '0x10', ' 5', '', '99999999999999999999'),
  fc.constantFrom('9007199254740993', '9999999999999999', '%zz', '%00', '%E0%A4%A'),
  fc.nat().map(String),
  fc.string({ maxLength: 10 }).map(encodeURIComponent),
);

/** A query string for /api/messages: valid, invalid, repeated and unknown parameters. */
const queryArb = fc
  .array(
    fc.tuple(
      fc.constantFrom('peer', 'peer', 'after', 'before', 'limit', 'junk', 'peer[]', '__proto__', 'PEER', ''),
      queryValue,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, val]) => `${k}=${val}`).join('&')}` : ''));

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'] as const;

interface FuzzRequest {
  method: (typeof METHODS)[number];
  url: string;
  auth: Auth;
  contentType: string | undefined;
  extraHeaders: Record<string, string>;
  body: string | Buffer | undefined;
}

const extraHeadersArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Record<string, string>>({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        host: fc.constantFrom(
          '127.0.0.1',
          'localhost:8080',
          '[::1]:80',
          'evil.example',
          '',
          'a b',
          '127.0.0.1.nip.io',
        ),
        'if-none-match': fc.oneof(fc.constantFrom('*', 'W/"x"', '""'), printable(30)),
        'last-event-id': printable(40),
        accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/html'),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'identity', 'br'),
        'content-length': fc.constantFrom('0', '1', '3', '99999999', '-1', 'abc'),
      },
      { requiredKeys: [] },
    ),
  },
);

/** A body for `path`: mostly one made for the route it names (valid or broken), else anything. */
const bodyFor = (path: string): fc.Arbitrary<string | Buffer | undefined> => {
  const own = ROUTE_BODIES[routeOf(path) ?? ''];
  if (!own) return bodyArb;
  return fc.oneof(
    { weight: 3, arbitrary: mutated(own).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: bodyArb },
  );
};

const requestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path: pathArb,
    query: fc.oneof(fc.constant(''), queryArb),
    auth: authArb,
    contentType: contentTypeArb,
    extraHeaders: extraHeadersArb,
  })
  .chain(({ path, query, ...rest }) =>
    bodyFor(path).map((body) => ({ ...rest, body, url: `${path}${query}` })),
  );

// ---- running one request and checking everything about its answer

/** A user's token that a fuzzed logout revoked is replaced, straight through the store (no login limits). */
async function renewToken(who: Name) {
  const { token, id, secretHash } = newToken();
  await app.parley.store.createToken(id, await userId(app, who), secretHash, Date.now());
  tokens[who] = token;
}

const validAuth = (auth: Auth) =>
  auth.kind === 'user' && (auth.style === 'plain' || auth.style === 'lower' || auth.style === 'spaces');

async function inject(options: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 5 s to ${JSON.stringify(options)}`)), 5000);
  });
  try {
    return await Promise.race([app.inject(options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let runs = 0;

async function check(req: FuzzRequest): Promise<void> {
  runs++;
  const route = routeOf(req.url);
  const headers: Record<string, string> = { ...req.extraHeaders };
  let auth = req.auth;
  // An authorised event stream never ends, so it has no place in inject; it is tested on a socket.
  if (route === '/api/events' && (req.method === 'GET' || req.method === 'HEAD') && validAuth(auth)) {
    auth = { kind: 'none' };
  }
  const authorization = authHeader(auth);
  if (authorization !== undefined) headers.authorization = authorization;
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;

  const before = counts();
  const res = await inject({
    method: req.method,
    url: req.url,
    headers,
    ...(req.body === undefined ? {} : { payload: req.body }),
  });
  const after = counts();
  const status = res.statusCode;
  const context = `${req.method} ${req.url} → ${status} ${res.body.slice(0, 300)}`;

  expect(status, context).toBeLessThan(500);
  expect(status, context).toBeGreaterThanOrEqual(200);
  if (status >= 400) {
    if (req.method !== 'HEAD') {
      expect(res.headers['content-type'], context).toMatch(/^application\/json/);
      const body = res.json();
      expect(v.safeParse(ErrorResponse, body).success, context).toBe(true);
      expect(body.error, context).not.toMatch(/\bat .*\(.*:\d+:\d+\)|node_modules|\.ts:\d+/);
      expect(body.error, context).not.toMatch(/^FST_|statusCode/);
    }
  } else {
    const schema = legitimateSuccess(req.method, route, status);
    expect(schema, `not a legitimate success: ${context}`).not.toBeNull();
    if (status === 304) expect(headers['if-none-match'], context).toBeDefined();
    if (schema === 'empty') expect(res.body, context).toBe('');
    else if (schema) {
      const parsed = v.safeParse(schema, res.json());
      expect(parsed.success, context).toBe(true);
    }
  }

  // Rows change only through the successful call that creates them.
  const created = (m: string, r: string, s: number) => req.method === m && route === r && status === s;
  expect(after.users - before.users, context).toBe(created('POST', '/api/register', 201) ? 1 : 0);
  expect(after.messages - before.messages, context).toBe(created('POST', '/api/messages', 201) ? 1 : 0);
  expect(after.friendships - before.friendships, context).toBe(created('POST', '/api/friends', 201) ? 2 : 0);
  const tokenDelta =
    created('POST', '/api/register', 201) || created('POST', '/api/login', 200)
      ? 1
      : created('POST', '/api/logout', 204)
        ? -1
        : 0;
  expect(after.tokens - before.tokens, context).toBe(tokenDelta);

  if (created('POST', '/api/logout', 204) && auth.kind === 'user') await renewToken(auth.who);
}

describe('malformed requests (property)', () => {
  it('answers any request below 500, with the error body on refusals, and stores only what a success created', async () => {
    await fc.assert(fc.asyncProperty(requestArb, check), { numRuns: 1200 });
  }, 90_000);

  it('answers broken bodies on every route that takes one with a 4xx error body or a legitimate success', async () => {
    const arb = fc
      .record({
        method: fc.constant('POST' as const),
        url: fc.constantFrom(...Object.keys(ROUTE_BODIES)),
        auth: fc.oneof({ weight: 4, arbitrary: signedIn }, { weight: 1, arbitrary: authArb }),
        contentType: fc.constantFrom<string | undefined>(
          'application/json',
          'application/json; charset=utf-8',
        ),
        extraHeaders: fc.constant({}),
      })
      .chain((req) => bodyFor(req.url).map((body) => ({ ...req, body })));
    await fc.assert(fc.asyncProperty(arb, check), { numRuns: 600 });
  }, 90_000);

  it('answers any query string on GET /api/messages with messages or a 400, never a 500', async () => {
    const arb = fc.record({
      method: fc.constant('GET' as const),
      url: fc
        .tuple(fc.constantFrom('peer=bob', 'peer=alice', 'peer=BOB', 'peer=carol', ''), queryArb)
        .map(([peer, q]) => `/api/messages?${[peer, q.slice(1)].filter(Boolean).join('&')}`),
      auth: fc.oneof({ weight: 4, arbitrary: signedIn }, { weight: 1, arbitrary: authArb }),
      contentType: fc.constant(undefined),
      extraHeaders: fc.constant({}),
      body: fc.constant(undefined),
    });
    await fc.assert(fc.asyncProperty(arb, check), { numRuns: 400 });
  }, 90_000);

  it('stays up afterwards: status answers and a signed-in user still works', async () => {
    expect(runs).toBeGreaterThanOrEqual(2000);
    const status = await app.inject({ method: 'GET', url: '/api/status', headers: bearer(tokens.alice) });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ status: 'online', user: 'alice' });
    const sent = await app.inject({
      method: 'POST',
      url: '/api/messages',
      headers: bearer(tokens.bob),
      payload: { to: 'alice', content: 'still here', clientId: crypto.randomUUID() },
    });
    expect(sent.statusCode).toBe(201);
  });
});

describe('malformed HTTP on a real socket (property)', () => {
  let socketApp: ParleyApp;
  let port: number;

  beforeAll(async () => {
    socketApp = await makeApp();
    port = Number(new URL(await listen(socketApp)).port);
  });
  afterAll(async () => {
    await socketApp?.close();
  });

  /** Writes raw bytes and answers the first response (head and body), or '' when the server sent nothing. */
  function exchange(raw: Buffer): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(raw));
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(firstResponse(Buffer.concat(chunks)));
      };
      // A request the server is still waiting to see the end of gets no answer: that is fine too.
      const timer = setTimeout(done, 3000);
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const text = Buffer.concat(chunks).toString('utf8');
        const split = text.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
        if (split >= 0 && length && Buffer.byteLength(text.slice(split + 4)) >= Number(length[1])) done();
      });
      socket.on('error', done);
      socket.on('close', done);
    });
  }

  /**
   * The first response of what the server sent: a request whose remainder is itself broken (a GET with a
   * chunked body that never ends) can be answered, and the remainder refused with a second response.
   */
  function firstResponse(bytes: Buffer): string {
    const split = bytes.indexOf('\r\n\r\n');
    if (split < 0) return bytes.toString('utf8');
    const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, split).toString('latin1'));
    const end = split + 4 + (length ? Number(length[1]) : 0);
    return bytes.subarray(0, Math.min(end, bytes.length)).toString('utf8');
  }

  const line = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
  const rawArb: fc.Arbitrary<Buffer> = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
    fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'G ET', 'get', '', 'PRI', 'CONNECT'),
        fc.constantFrom('/api/status', '/api/login', '*', 'http://x/', '/a b', '/\x00', ''),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1', 'FOO', ''),
        fc.array(line, { maxLength: 4 }),
        fc.constantFrom(
          '',
          'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
          'Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n',
          'Content-Length: -1\r\n',
          'Content-Length: 1, 2\r\n',
          `X-Big: ${'a'.repeat(20_000)}\r\n`,
          'Bad Header\r\n',
          'X: \x00\r\n',
        ),
        fc.constantFrom('', 'zz\r\n', '5\r\nhello\r\n0\r\n\r\n', '{"username":'),
      )
      .map(([method, path, version, headers, special, body]) =>
        Buffer.from(
          `${method} ${path} ${version}\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}${special}\r\n${body}`,
          'latin1',
        ),
      ),
  );

  it('answers malformed HTTP below 500, with the error body of API.md, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(rawArb, async (raw) => {
        const answer = await exchange(raw);
        if (answer === '') return;
        const [head = '', ...rest] = answer.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1]);
        const context = `${JSON.stringify(raw.toString('latin1').slice(0, 200))} → ${answer.slice(0, 300)}`;
        expect(status, context).toBeGreaterThanOrEqual(200);
        expect(status, context).toBeLessThan(500);
        const body = rest.join('\r\n\r\n');
        if (status >= 400 && body !== '') {
          expect(v.safeParse(ErrorResponse, JSON.parse(body)).success, context).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    const status = await socketApp.inject({ method: 'GET', url: '/api/status' });
    expect(status.statusCode).toBe(200);
  }, 90_000);
});
