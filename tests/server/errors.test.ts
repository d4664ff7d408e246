import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { AddFriendResponse, BODY_LIMIT_BYTES, StatusResponse } from '../../src/contract';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { expectError, getAuthed } from './contract-helpers';
import { bearer, befriend, makeApp, register, send } from './helpers';

const json = { 'content-type': 'application/json' };

describe('unknown routes', () => {
  it('answers 404 not_found as JSON for an unknown API route, with any method', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    for (const [method, url] of [
      ['GET', '/api/nope'],
      ['GET', '/api/nope?x=1'],
      ['POST', '/api/nope'],
      ['DELETE', '/api/friends'],
      ['PUT', '/api/messages'],
      ['GET', '/api/friends/bob'],
      ['GET', '/api'],
    ] as const) {
      const res = await app.inject({ method, url, headers: bearer(token) });
      const body = expectError(res, 404, 'not_found');
      expect(body.success).toBe(false);
    }
  });

  it('answers 404 not_found as JSON without a token too', async () => {
    const app = await makeApp();
    expectError(await app.inject({ method: 'GET', url: '/api/missing' }), 404, 'not_found');
  });

  it('answers 404 not_found as JSON for an unknown page outside the API', async () => {
    const app = await makeApp();
    expectError(await app.inject({ method: 'GET', url: '/no/such/page' }), 404, 'not_found');
  });
});

describe('request bodies', () => {
  /** `{"username":"bob"}` padded with white space (still valid JSON) to exactly `bytes` bytes. */
  const padded = (bytes: number) => {
    const text = '{"username":"bob"}';
    return text + ' '.repeat(bytes - Buffer.byteLength(text));
  };

  it('answers 413 payload_too_large for a body over 64 KiB', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    const res = await app.inject({
      method: 'POST',
      url: '/api/friends',
      headers: { ...json, ...bearer(alice) },
      payload: padded(BODY_LIMIT_BYTES + 1),
    });
    expectError(res, 413, 'payload_too_large');
    const huge = await app.inject({
      method: 'POST',
      url: '/api/messages',
      headers: { ...json, ...bearer(alice) },
      payload: JSON.stringify({ to: 'bob', content: 'x'.repeat(200_000), clientId: 'c' }),
    });
    expectError(huge, 413, 'payload_too_large');
  });

  it('answers 413 on the public routes too', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/register',
      headers: json,
      payload: JSON.stringify({ username: 'alice', password: 'p'.repeat(BODY_LIMIT_BYTES) }),
    });
    expectError(res, 413, 'payload_too_large');
  });

  it('accepts a JSON body of exactly 64 KiB', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    const payload = padded(BODY_LIMIT_BYTES);
    expect(Buffer.byteLength(payload)).toBe(64 * 1024);
    const res = await app.inject({
      method: 'POST',
      url: '/api/friends',
      headers: { ...json, ...bearer(alice) },
      payload,
    });
    expect(res.statusCode, res.body).toBe(201);
    v.parse(AddFriendResponse, res.json());
  });

  it('answers 415 unsupported_media_type for a body that is not application/json', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/friends',
        headers: { 'content-type': type, ...bearer(alice) },
        payload: '{"username":"bob"}',
      });
      expectError(res, 415, 'unsupported_media_type');
    }
    expect(await getAuthed(app, '/api/friends', alice).then((r) => r.json())).toEqual([]);
  });

  it('answers 415 for a body without a Content-Type', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    const res = await app.inject({
      method: 'POST',
      url: '/api/friends',
      headers: bearer(alice),
      payload: '{"username":"bob"}',
    });
    expect(res.raw.req.headers['content-type']).toBeUndefined();
    expectError(res, 415, 'unsupported_media_type');
    const login = await app.inject({
      method: 'POST',
      url: '/api/login',
      payload: '{"username":"alice","password":"correct horse"}',
    });
    expectError(login, 415, 'unsupported_media_type');
  });

  it('accepts application/json with a charset', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    await register(app, 'bob');
    const res = await app.inject({
      method: 'POST',
      url: '/api/friends',
      headers: { 'content-type': 'application/json; charset=utf-8', ...bearer(alice) },
      payload: '{"username":"bob"}',
    });
    expect(res.statusCode).toBe(201);
  });

  it('answers 400 bad_request for malformed JSON', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    for (const payload of [
      '{"username":',
      '{"username":"bob",}',
      "{'username':'bob'}",
      '{username: "bob"}',
      'not json',
      '',
      '{"__proto__": {"admin": true}, "username": "bob"}',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/friends',
        headers: { ...json, ...bearer(alice) },
        payload,
      });
      expectError(res, 400, 'bad_request');
    }
    const register400 = await app.inject({
      method: 'POST',
      url: '/api/register',
      headers: json,
      payload: '{"username":"carol","password":',
    });
    expectError(register400, 400, 'bad_request');
  });
});

describe('Host header guard', () => {
  it('answers 400 to a Host name the server was not told about', async () => {
    const app = await makeApp();
    const token = await register(app, 'alice');
    for (const host of [
      'evil.example',
      'evil.example:8080',
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      'evil.example:80@localhost',
      'local host',
    ]) {
      expectError(
        await app.inject({ method: 'GET', url: '/api/status', headers: { host } }),
        400,
        'bad_request',
      );
      expectError(
        await app.inject({ method: 'GET', url: '/api/friends', headers: { host, ...bearer(token) } }),
        400,
        'bad_request',
      );
      expectError(await app.inject({ method: 'GET', url: '/', headers: { host } }), 400, 'bad_request');
    }
  });

  it('does nothing for a refused Host: no account is created', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/register',
      headers: { host: 'evil.example', ...json },
      payload: JSON.stringify({ username: 'alice', password: 'correct horse' }),
    });
    expectError(res, 400, 'bad_request');
    expect(await register(app, 'alice')).toBeTypeOf('string');
  });

  it('answers localhost and loopback addresses, with or without a port', async () => {
    const app = await makeApp();
    for (const host of [
      'localhost',
      'localhost:8080',
      'LOCALHOST:8080',
      '127.0.0.1',
      '127.0.0.1:8080',
      '[::1]:8080',
    ]) {
      const res = await app.inject({ method: 'GET', url: '/api/status', headers: { host } });
      expect(res.statusCode, host).toBe(200);
      v.parse(StatusResponse, res.json());
    }
  });

  it('answers the host names it was configured with', async () => {
    const app = await makeApp({ allowedHosts: ['chat.example'] });
    expect(
      (await app.inject({ method: 'GET', url: '/api/status', headers: { host: 'chat.example:443' } }))
        .statusCode,
    ).toBe(200);
    expectError(
      await app.inject({ method: 'GET', url: '/api/status', headers: { host: 'other.example' } }),
      400,
      'bad_request',
    );
  });
});

describe('internal errors', () => {
  it('answers 500 internal without a stack trace or the underlying message', async () => {
    const store = openSqliteStore(':memory:');
    const broken: Store = {
      ...store,
      findUserByName: async () => {
        throw new Error('SQLITE_CORRUPT: database disk image is malformed (secret detail)');
      },
    };
    const app = await makeApp({ store: broken });
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: json,
      payload: JSON.stringify({ username: 'alice', password: 'correct horse' }),
    });
    expectError(res, 500, 'internal');
    expect(res.body).not.toContain('SQLITE');
    expect(res.body).not.toContain('secret detail');
    expect(res.body).not.toMatch(/\.ts:\d+|node_modules|Error:/);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('headers', () => {
  it('sends Cache-Control: no-store on every API response, successes, 304s and errors alike', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await befriend(app, alice, 'bob');
    await send(app, bob, 'alice', 'hi', 'b-1');
    const friends = await getAuthed(app, '/api/friends', alice);
    const responses = [
      await app.inject({ method: 'GET', url: '/api/status' }),
      await app.inject({
        method: 'POST',
        url: '/api/register',
        payload: { username: 'carol', password: 'correct horse' },
      }),
      await app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username: 'alice', password: 'correct horse' },
      }),
      friends,
      await getAuthed(app, '/api/friends', alice, { 'if-none-match': friends.headers.etag as string }),
      await getAuthed(app, '/api/messages?peer=bob', alice),
      await send(app, alice, 'bob', 'hi', 'a-1'),
      await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(bob) }),
      await app.inject({ method: 'GET', url: '/api/friends' }),
      await app.inject({ method: 'GET', url: '/api/nope' }),
      await getAuthed(app, '/api/messages?peer=bob&limit=0', alice),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([
      200, 201, 200, 200, 304, 200, 201, 204, 401, 404, 400,
    ]);
    for (const res of responses) expect(res.headers['cache-control'], res.raw.req.url).toBe('no-store');
  });

  describe('pages outside the API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('carries a Content-Security-Policy that allows only the page’s own origin', async () => {
      const app = await makeApp({ staticDir: dir });
      const res = await app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = res.headers['content-security-policy'];
      expect(csp).toBeTypeOf('string');
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    });

    it('carries the Content-Security-Policy on a missing page too', async () => {
      const app = await makeApp({ staticDir: dir });
      const res = await app.inject({ method: 'GET', url: '/missing.js' });
      expectError(res, 404, 'not_found');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    });

    it('serves the API alongside the pages', async () => {
      const app = await makeApp({ staticDir: dir });
      const res = await app.inject({ method: 'GET', url: '/api/status' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      v.parse(StatusResponse, res.json());
    });
  });
});

describe('limits', () => {
  it('does not rate-limit calls other than sends and failed logins', async () => {
    const app = await makeApp();
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    await befriend(app, alice, 'bob');
    await send(app, bob, 'alice', 'hi', 'b-1');
    for (let i = 0; i < 100; i++) {
      expect(
        (await app.inject({ method: 'GET', url: '/api/status', headers: bearer(alice) })).statusCode,
      ).toBe(200);
      expect((await getAuthed(app, '/api/friends', alice)).statusCode).toBe(200);
      expect((await getAuthed(app, '/api/messages?peer=bob', alice)).statusCode).toBe(200);
    }
    for (let i = 0; i < 30; i++) {
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/api/register',
            payload: { username: `user_${i}`, password: 'correct horse' },
          })
        ).statusCode,
      ).toBe(201);
      expectError(
        await app.inject({
          method: 'POST',
          url: '/api/friends',
          headers: bearer(alice),
          payload: { username: 'alice' },
        }),
        400,
        'bad_request',
      );
    }
  });
});
