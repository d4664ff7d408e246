/**
 * The real entry point, as `npm start` runs it (node --import tsx src/server/main.ts: one process, so a
 * signal reaches the server itself): configuration from the environment, the URL as the first line of
 * output, and a graceful stop on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testPostgres } from './pg/stores';
import { openStream } from './sse';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Starting tsx on a busy machine takes a while. */
const START_TIMEOUT_MS = 30_000;

interface Server {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  /** Settles with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

let dir: string;
let agent: Agent;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-main-'));
  agent = new Agent();
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
  }
  await agent.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function spawnServer(env: Record<string, string>): Server {
  const base = { ...process.env };
  for (const name of ['HOST', 'PORT', 'DB_PATH', 'DATABASE_URL', 'ALLOWED_HOSTS', 'LOG_LEVEL'])
    delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    env: { ...base, DB_PATH: join(dir, 'parley.db'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stdout: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() as string;
    stdout.push(...lines);
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, stdout, stderr: () => err, exited };
}

/** Waits for the first line of output, failing early if the process ends first. */
async function firstLine(server: Server): Promise<string> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (server.stdout.length === 0) {
    if (server.child.exitCode !== null) {
      throw new Error(`the server exited (${server.child.exitCode}) before printing: ${server.stderr()}`);
    }
    if (Date.now() > until)
      throw new Error(`no line of output within ${START_TIMEOUT_MS} ms: ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server.stdout[0] as string;
}

async function startServer(env: Record<string, string> = {}): Promise<{ server: Server; url: string }> {
  const server = spawnServer({ PORT: '0', ...env });
  const line = await firstLine(server);
  expect(line).toMatch(/^Parley listening on http:\/\/127\.0\.0\.1:\d+$/);
  return { server, url: line.slice('Parley listening on '.length) };
}

async function json(url: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    dispatcher: agent,
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

/** True when nothing listens on the port any more: the server has begun to stop. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Reads from a raw socket until `pattern` has arrived; answers everything read. */
function readUntil(socket: Socket, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (pattern.test(text)) {
        cleanup();
        resolve(text);
      }
    };
    const onEnd = () => {
      cleanup();
      if (pattern.test(text)) resolve(text);
      else reject(new Error(`the connection ended before ${pattern}: ${JSON.stringify(text)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}

describe('the server entry point (tsx src/server/main.ts)', () => {
  it(
    'prints the URL it listens on as its first line, and that URL answers /api/status',
    async () => {
      const { server, url } = await startServer();
      const status = await json(`${url}/api/status`);
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ status: 'online', user: null });
      expect(server.stdout[0]).toBe(`Parley listening on ${url}`);
    },
    START_TIMEOUT_MS + 10_000,
  );

  it(
    'ends an open event stream and exits 0 within 5 s of SIGTERM',
    async () => {
      const { server, url } = await startServer();
      const reg = await json(`${url}/api/register`, {
        method: 'POST',
        body: { username: 'alice', password: 'correct horse' },
      });
      expect(reg.status).toBe(201);
      const stream = await openStream(url, reg.body.token as string, { dispatcher: agent });
      expect(stream.first.retry).toBe(2000);

      const sentAt = Date.now();
      server.child.kill('SIGTERM');
      expect(await stream.closed).toBe('end');
      const exit = await server.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - sentAt).toBeLessThan(5000);
    },
    START_TIMEOUT_MS + 20_000,
  );

  it(
    'completes a request that was in flight when SIGTERM arrived, then exits 0',
    async () => {
      const { server, url } = await startServer();
      const { port } = new URL(url);
      const body = JSON.stringify({ username: 'bob', password: 'correct horse' });
      const socket = connect({ port: Number(port), host: '127.0.0.1' });
      socket.on('error', () => {});
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        // The server answers "100 Continue" once it has taken the request in: from then on it is in flight.
        socket.write(
          [
            'POST /api/register HTTP/1.1',
            `Host: 127.0.0.1:${port}`,
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(body)}`,
            'Expect: 100-continue',
            '',
            '',
          ].join('\r\n'),
        );
        await readUntil(socket, /^HTTP\/1\.1 100 Continue\r\n\r\n/);

        server.child.kill('SIGTERM');
        // Wait until the server has really begun to stop (it no longer accepts connections)...
        const until = Date.now() + 10_000;
        while (!(await refused(Number(port)))) {
          if (Date.now() > until) throw new Error('the server kept accepting connections after SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // ...and only then send the body: the request still gets its answer.
        socket.write(body);
        const answer = await readUntil(socket, /\r\n\r\n\{.*\}$/s);
        const [head, payload] = answer.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '').split('\r\n\r\n');
        expect(head).toMatch(/^HTTP\/1\.1 201 /);
        expect(JSON.parse(payload as string)).toMatchObject({ success: true, username: 'bob' });
      } finally {
        socket.destroy();
      }
      expect(await server.exited).toMatchObject({ code: 0, signal: null });
    },
    START_TIMEOUT_MS + 30_000,
  );

  it(
    'refuses an invalid PORT with a one-line sentence on stderr, no stack trace, and a non-zero exit',
    async () => {
      const server = spawnServer({ PORT: 'abc' });
      const exit = await server.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      const err = server.stderr();
      const lines = err.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/PORT/);
      expect(lines[0]).toMatch(/^[A-Z].*[.!]$/);
      expect(err).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
      expect(server.stdout.join('')).toBe('');
    },
    START_TIMEOUT_MS,
  );
});

/** A start-up that fails: one sentence on stderr, no stack trace, nothing on stdout, a non-zero exit. */
async function expectRefusedStart(server: Server): Promise<string> {
  const exit = await server.exited;
  expect(exit.code).not.toBe(0);
  expect(exit.code).not.toBeNull();
  const err = server.stderr();
  const lines = err.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^[A-Z].*[.!]$/);
  expect(err).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
  expect(server.stdout.join('')).toBe('');
  return lines[0] as string;
}

describe('DATABASE_URL', () => {
  const pg = testPostgres();

  it(
    'keeps the data in PostgreSQL: an account and a message made through one server are there on a second one',
    async () => {
      const env = { DATABASE_URL: await pg.createDatabase() };
      // Both start at once on the empty database: one migrates it, the other waits for that.
      const [one, two] = await Promise.all([startServer(env), startServer(env)]);
      const alice = await json(`${one.url}/api/register`, {
        method: 'POST',
        body: { username: 'alice', password: 'correct horse' },
      });
      expect(alice.status).toBe(201);
      const bob = await json(`${two.url}/api/register`, {
        method: 'POST',
        body: { username: 'bob', password: 'correct horse' },
      });
      expect(bob.status).toBe(201);
      const token = alice.body.token as string;
      expect(
        (await json(`${two.url}/api/friends`, { method: 'POST', body: { username: 'bob' }, token })).status,
      ).toBe(201);
      const sent = await json(`${one.url}/api/messages`, {
        method: 'POST',
        body: { to: 'bob', content: 'hello from one', clientId: 'c-1' },
        token,
      });
      expect(sent.status).toBe(201);
      const login = await json(`${two.url}/api/login`, {
        method: 'POST',
        body: { username: 'bob', password: 'correct horse' },
      });
      expect(login.status).toBe(200);
      const read = await request(`${two.url}/api/messages?peer=alice`, {
        headers: { authorization: `Bearer ${login.body.token as string}` },
        dispatcher: agent,
      });
      expect(read.statusCode).toBe(200);
      expect(await read.body.json()).toMatchObject([{ id: sent.body.id, content: 'hello from one' }]);
    },
    START_TIMEOUT_MS * 2 + 20_000,
  );

  it(
    'refuses a value that is not a PostgreSQL URL with a sentence that does not repeat it',
    async () => {
      const line = await expectRefusedStart(spawnServer({ DATABASE_URL: 'mysql://root:s3cret@db/parley' }));
      expect(line).toMatch(/DATABASE_URL/);
      expect(line).not.toMatch(/s3cret/);
    },
    START_TIMEOUT_MS,
  );

  it(
    'says which database could not be opened when nothing answers there, without its password',
    async () => {
      const server = spawnServer({ DATABASE_URL: 'postgres://parley:s3cret@127.0.0.1:1/parley' });
      const line = await expectRefusedStart(server);
      expect(line).toMatch(/PostgreSQL database 127\.0\.0\.1:1\/parley could not be opened/);
      expect(line).not.toMatch(/s3cret/);
    },
    START_TIMEOUT_MS,
  );
});
