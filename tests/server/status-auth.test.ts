import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { AuthResponse, StatusResponse } from '../../src/contract';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { expectError, postJson } from './contract-helpers';
import { bearer, befriend, makeApp, register, testClock } from './helpers';

const status = async (app: Awaited<ReturnType<typeof makeApp>>, headers: Record<string, string> = {}) => {
  const res = await app.inject({ method: 'GET', url: '/api/status', headers });
  expect(res.statusCode, res.body).toBe(200);
  return v.parse(StatusResponse, res.json());
};

const login = (app: Awaited<ReturnType<typeof makeApp>>, username: unknown, password: unknown) =>
  postJson(app, '/api/login', { username, password });

describe('GET /api/status', () => {
  it('answers online, the version and the time, with user null when no token is sent', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    const body = await status(app);
    expect(body).toEqual({ status: 'online', version: pkg.version, time: clock.now(), user: null });
    clock.advance(1234);
    expect((await status(app)).time).toBe(clock.now());
  });

  it('names the user when a valid token is sent', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    expect((await status(app, bearer(token))).user).toBe('alice');
  });

  it('answers 200 with user null (not 401) for an unknown, malformed or foreign-scheme token', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    const [id, secret] = token.split('.') as [string, string];
    const wrongSecret = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const authorization of [
      'Bearer nope',
      `Bearer ${'A'.repeat(16)}.${'B'.repeat(43)}`,
      `Bearer ${wrongSecret}`,
      `Basic ${token}`,
      token,
      'Bearer',
    ]) {
      const body = await status(app, { authorization });
      expect(body.user, authorization).toBeNull();
    }
  });

  it('answers user null for a token revoked by logout', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    const out = await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(token) });
    expect(out.statusCode).toBe(204);
    expect((await status(app, bearer(token))).user).toBeNull();
  });
});

describe('POST /api/register', () => {
  it('answers 201 with success, the username and a working token', async () => {
    const app = await makeApp();
    const res = await postJson(app, '/api/register', { username: 'alice', password: 'correct horse' });
    expect(res.statusCode).toBe(201);
    const body = v.parse(AuthResponse, res.json());
    expect(body.success).toBe(true);
    expect(body.username).toBe('alice');
    expect((await status(app, bearer(body.token))).user).toBe('alice');
  });

  it('lower-cases the username it stores and answers', async () => {
    const app = await makeApp();
    const res = await postJson(app, '/api/register', { username: 'AliCE_42', password: 'correct horse' });
    expect(res.statusCode).toBe(201);
    expect(v.parse(AuthResponse, res.json()).username).toBe('alice_42');
    const again = await login(app, 'alice_42', 'correct horse');
    expect(again.statusCode).toBe(200);
  });

  it('answers 409 when the username is taken', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    expectError(
      await postJson(app, '/api/register', { username: 'alice', password: 'another one' }),
      409,
      'conflict',
    );
  });

  it('answers 409 when the username is taken in a different case', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    expectError(
      await postJson(app, '/api/register', { username: 'ALICE', password: 'another one' }),
      409,
      'conflict',
    );
    // The first account is untouched: its password still works, the second one does not.
    expect((await login(app, 'alice', 'correct horse')).statusCode).toBe(200);
    expectError(await login(app, 'alice', 'another one'), 401, 'unauthorized');
  });

  it('accepts usernames of 3 and 32 characters and passwords of 8 and 256 characters', async () => {
    const app = await makeApp();
    for (const [username, password] of [
      ['abc', '12345678'],
      ['a'.repeat(32), 'p'.repeat(256)],
      ['0_9', '😀😀😀😀😀😀😀😀'],
    ] as const) {
      const res = await postJson(app, '/api/register', { username, password });
      expect(res.statusCode, `${username} ${res.body}`).toBe(201);
    }
  });

  it('answers 400 for an invalid username', async () => {
    const app = await makeApp();
    for (const username of [
      'ab',
      'a'.repeat(33),
      'al ice',
      'al-ice',
      'alice!',
      'élan',
      '',
      ' alice',
      'alice\n',
    ]) {
      expectError(
        await postJson(app, '/api/register', { username, password: 'correct horse' }),
        400,
        'bad_request',
      );
    }
  });

  it('answers 400 for a password shorter than 8 or longer than 256 characters', async () => {
    const app = await makeApp();
    for (const password of ['', '1234567', 'p'.repeat(257), '😀😀😀😀😀😀😀']) {
      expectError(await postJson(app, '/api/register', { username: 'alice', password }), 400, 'bad_request');
    }
    // Nothing was created along the way.
    expect(await register(app, 'alice')).toBeTypeOf('string');
  });

  it('answers 400 for wrong types instead of coercing them', async () => {
    const app = await makeApp();
    for (const body of [
      { username: 12345, password: 'correct horse' },
      { username: 'alice', password: 12345678 },
      { username: ['alice'], password: 'correct horse' },
      { username: null, password: 'correct horse' },
      { username: 'alice', password: true },
      { username: 'alice', password: { x: 1 } },
    ]) {
      expectError(await postJson(app, '/api/register', body), 400, 'bad_request');
    }
    // In particular the number was not stored as the name "12345".
    expect(await register(app, '12345')).toBeTypeOf('string');
  });

  it('answers 400 for a missing field, an unknown field or a body that is not an object', async () => {
    const app = await makeApp();
    for (const body of [
      { username: 'alice' },
      { password: 'correct horse' },
      {},
      { username: 'alice', password: 'correct horse', admin: true },
      ['alice', 'correct horse'],
      'alice',
      null,
      42,
    ]) {
      expectError(await postJson(app, '/api/register', body), 400, 'bad_request');
    }
  });

  it('says in a sentence which field is missing, which is unknown, or that the body is not an object', async () => {
    const app = await makeApp();
    const sentence = async (body: unknown) => (await postJson(app, '/api/register', body)).json().error;
    expect(await sentence({ username: 'alice' })).toBe('password is required.');
    expect(await sentence({ username: 'alice', password: 'correct horse', admin: true })).toBe(
      'Unknown field "admin".',
    );
    expect(await sentence(null)).toBe('The request must be a JSON object.');
    const empty = await app.inject({
      method: 'POST',
      url: '/api/register',
      headers: { 'content-type': 'application/json' },
    });
    expectError(empty, 400, 'bad_request');
    expect(empty.json().error).toBe('The request must be a JSON object.');
  });

  it('issues a different long random token to every account', async () => {
    const app = await makeApp();
    const tokens = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => register(app, name)));
    expect(new Set(tokens).size).toBe(tokens.length);
    // 128 bits are at least 22 base64url characters.
    for (const token of tokens) expect(token.length).toBeGreaterThanOrEqual(22);
  });
});

describe('POST /api/login', () => {
  it('answers 200 with success, the lower-cased username and a new working token', async () => {
    const app = await makeApp();
    const first = await register(app, 'alice');
    const res = await login(app, 'ALICE', 'correct horse');
    expect(res.statusCode).toBe(200);
    const body = v.parse(AuthResponse, res.json());
    expect(body).toMatchObject({ success: true, username: 'alice' });
    expect(body.token).not.toBe(first);
    expect((await status(app, bearer(body.token))).user).toBe('alice');
    expect((await status(app, bearer(first))).user).toBe('alice');
  });

  it('answers 401 with the same message for a wrong password and an unknown user', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    const wrongPassword = expectError(await login(app, 'alice', 'wrong horse'), 401, 'unauthorized');
    const unknownUser = expectError(await login(app, 'nobody', 'correct horse'), 401, 'unauthorized');
    expect(unknownUser).toEqual(wrongPassword);
  });

  it('answers 400 for credentials that are not valid input', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    for (const body of [
      { username: 'alice' },
      { username: 'alice', password: 12345678 },
      { username: 1, password: 'correct horse' },
      { username: 'alice', password: 'correct horse', remember: true },
    ]) {
      expectError(await postJson(app, '/api/login', body), 400, 'bad_request');
    }
  });

  it('answers 429 with Retry-After after 10 failed logins for a username within a minute', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    for (let i = 0; i < 10; i++) {
      expectError(await login(app, 'alice', `wrong ${i} horse`), 401, 'unauthorized');
      clock.advance(1000);
    }
    const limited = await login(app, 'alice', 'wrong again');
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('never lets an 11th failure through within a minute, however the 10 are spread', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    const start = clock.now();
    for (let i = 0; i < 10; i++) {
      clock.advance(i === 0 ? 0 : 6000);
      expectError(await login(app, 'alice', 'wrong horse'), 401, 'unauthorized');
    }
    clock.advance(59_999 - (clock.now() - start));
    const limited = await login(app, 'alice', 'wrong horse');
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('1');
    // A minute after the first failure, one more attempt is allowed, and only one.
    clock.advance(1);
    expectError(await login(app, 'alice', 'wrong horse'), 401, 'unauthorized');
    expectError(await login(app, 'alice', 'wrong horse'), 429, 'rate_limited');
  });

  it('refuses even the right password while the username is rate limited', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    for (let i = 0; i < 10; i++) await login(app, 'alice', 'wrong horse');
    expectError(await login(app, 'alice', 'correct horse'), 429, 'rate_limited');
    // The same name in another case is the same username.
    expectError(await login(app, 'ALICE', 'correct horse'), 429, 'rate_limited');
  });

  it('limits per username: other users can still log in', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    await register(app, 'bob');
    for (let i = 0; i < 10; i++) await login(app, 'alice', 'wrong horse');
    expectError(await login(app, 'alice', 'wrong horse'), 429, 'rate_limited');
    expect((await login(app, 'bob', 'correct horse')).statusCode).toBe(200);
    expectError(await login(app, 'bob', 'wrong horse'), 401, 'unauthorized');
  });

  it('counts failed logins for unknown usernames too', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    for (let i = 0; i < 10; i++) expectError(await login(app, 'ghost', 'wrong horse'), 401, 'unauthorized');
    expectError(await login(app, 'ghost', 'wrong horse'), 429, 'rate_limited');
  });

  it('lets the user in again once the Retry-After time has passed', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    for (let i = 0; i < 10; i++) await login(app, 'alice', 'wrong horse');
    const limited = await login(app, 'alice', 'correct horse');
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    clock.advance(retryAfter * 1000 - 1);
    expectError(await login(app, 'alice', 'correct horse'), 429, 'rate_limited');
    clock.advance(1);
    const res = await login(app, 'alice', 'correct horse');
    expect(res.statusCode, res.body).toBe(200);
    v.parse(AuthResponse, res.json());
  });

  it('allows 10 more failures a minute later', async () => {
    const clock = testClock();
    const app = await makeApp({ now: clock.now });
    await register(app, 'alice');
    for (let i = 0; i < 10; i++) await login(app, 'alice', 'wrong horse');
    expectError(await login(app, 'alice', 'wrong horse'), 429, 'rate_limited');
    clock.advance(60_000);
    for (let i = 0; i < 10; i++) expectError(await login(app, 'alice', 'wrong horse'), 401, 'unauthorized');
    expectError(await login(app, 'alice', 'wrong horse'), 429, 'rate_limited');
  });

  it('does not limit successful logins', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    for (let i = 0; i < 25; i++) expect((await login(app, 'alice', 'correct horse')).statusCode).toBe(200);
  });
});

describe('POST /api/logout', () => {
  it('answers 204 also when the client sends a JSON content type with an empty body', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    const res = await app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: { ...bearer(token), 'content-type': 'application/json' },
    });
    expect(res.statusCode, res.body).toBe(204);
  });

  it('answers 204 with no body and revokes the token', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    const res = await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(token) });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectError(
      await app.inject({ method: 'GET', url: '/api/friends', headers: bearer(token) }),
      401,
      'unauthorized',
    );
    expectError(
      await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(token) }),
      401,
      'unauthorized',
    );
  });

  it('leaves the other tokens of the same user working', async () => {
    const app = await makeApp();
    const first = await register(app, 'alice');
    const second = v.parse(AuthResponse, (await login(app, 'alice', 'correct horse')).json()).token;
    await register(app, 'bob');
    expect(
      (await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(first) })).statusCode,
    ).toBe(204);
    await befriend(app, second, 'bob');
    expect((await status(app, bearer(second))).user).toBe('alice');
    expect((await status(app, bearer(first))).user).toBeNull();
  });

  it('answers 401 without a token', async () => {
    const app = await makeApp();
    expectError(await app.inject({ method: 'POST', url: '/api/logout' }), 401, 'unauthorized');
  });
});

describe('authentication on protected routes', () => {
  const routes = [
    { method: 'POST', url: '/api/logout' },
    { method: 'GET', url: '/api/friends' },
    { method: 'POST', url: '/api/friends', payload: { username: 'bob' } },
    { method: 'GET', url: '/api/messages?peer=bob' },
    { method: 'POST', url: '/api/messages', payload: { to: 'bob', content: 'hi', clientId: 'c1' } },
    { method: 'GET', url: '/api/events' },
  ] as const;

  for (const route of routes) {
    it(`answers 401 to ${route.method} ${route.url} with a missing, malformed, unknown or revoked token`, async () => {
      const app = await makeApp();
      const alice = await register(app, 'alice');
      await register(app, 'bob');
      await befriend(app, alice, 'bob');
      const revoked = await register(app, 'carol');
      await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(revoked) });
      const [id, secret] = alice.split('.') as [string, string];
      const tampered = `${id}.${secret.slice(0, -2)}${secret.endsWith('AA') ? 'BB' : 'AA'}`;
      const authorizations: (string | undefined)[] = [
        undefined,
        '',
        'Bearer',
        'Bearer ',
        'Bearer not-a-token',
        `Basic ${alice}`,
        alice,
        `Bearer ${alice}x`,
        `Bearer ${'A'.repeat(16)}.${'B'.repeat(43)}`,
        `Bearer ${tampered}`,
        `Bearer ${revoked}`,
      ];
      for (const authorization of authorizations) {
        const headers: Record<string, string> =
          authorization === undefined ? {} : { authorization: authorization };
        const res = await app.inject({
          method: route.method,
          url: route.url,
          headers,
          ...('payload' in route ? { payload: route.payload } : {}),
        });
        expectError(res, 401, 'unauthorized');
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  }

  it('answers 401 before looking at an invalid body', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/friends',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    });
    expectError(res, 401, 'unauthorized');
  });
});

describe('credential storage', () => {
  it('stores tokens and passwords only as hashes, never the raw values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-contract-'));
    try {
      const path = join(dir, 'parley.db');
      const app = await makeApp({ store: openSqliteStore(path) });
      const password = 'Sup3r-secret-passphrase';
      const registered = await postJson(app, '/api/register', { username: 'alice', password });
      const token = v.parse(AuthResponse, registered.json()).token;
      const loggedIn = v.parse(AuthResponse, (await login(app, 'alice', password)).json()).token;
      const secrets = [token, loggedIn, ...[token, loggedIn].map((t) => t.split('.').at(-1) as string)];

      // Every byte the database wrote (main file, WAL and anything beside it), before and after closing.
      const rawBytes = () =>
        readdirSync(dir)
          .map((name) => readFileSync(join(dir, name)).toString('latin1'))
          .join('\n');
      const expectNoSecrets = (raw: string) => {
        expect(raw).not.toContain(password);
        for (const s of secrets) expect(raw).not.toContain(s);
      };
      expectNoSecrets(rawBytes());
      await app.close();
      expectNoSecrets(rawBytes());

      const db = new Database(path, { readonly: true });
      try {
        const user = db.prepare('SELECT password_hash FROM users WHERE username = ?').get('alice') as {
          password_hash: string;
        };
        expect(user.password_hash).toMatch(/^(scrypt|\$argon2)/);
        expect(user.password_hash).not.toContain(password);
        const tokens = db.prepare('SELECT * FROM tokens').all() as Record<string, unknown>[];
        expect(tokens).toHaveLength(2);
        const dump = JSON.stringify(
          tokens.map((row) =>
            Object.fromEntries(
              Object.entries(row).map(([k, value]) => [
                k,
                Buffer.isBuffer(value) ? value.toString('latin1') : value,
              ]),
            ),
          ),
        );
        for (const s of secrets) expect(dump).not.toContain(s);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('salts password hashes: the same password gives two different hashes', async () => {
    const app = await makeApp();
    await register(app, 'alice', 'same password');
    await register(app, 'bob', 'same password');
    const a = await app.parley.store.findUserByName('alice');
    const b = await app.parley.store.findUserByName('bob');
    expect(a?.passwordHash).toBeTypeOf('string');
    expect(a?.passwordHash).not.toBe(b?.passwordHash);
    expect(a?.passwordHash).not.toContain('same password');
  });

  it('never writes passwords or tokens to the log', async () => {
    const lines: string[] = [];
    const app = await makeApp({
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    const password = 'Log-me-not-please';
    const res = await postJson(app, '/api/register', { username: 'alice', password });
    const token = v.parse(AuthResponse, res.json()).token;
    await login(app, 'alice', password);
    await login(app, 'alice', 'Wrong-log-me-not');
    await status(app, bearer(token));
    await app.inject({ method: 'GET', url: '/api/friends', headers: bearer(token) });
    expect(lines.length).toBeGreaterThan(0);
    const log = lines.join('\n');
    expect(log).not.toContain(password);
    expect(log).not.toContain('Wrong-log-me-not');
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.').at(-1) as string);
  });
});
