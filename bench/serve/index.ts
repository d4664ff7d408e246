// The Parley server under benchmark, in its own process so the load generator does not share its thread.
// Usage: node --import tsx bench/serve/index.ts '<ServeOptions as JSON>' (bench/serve/options.ts)
// Builds the app on a fresh SQLite file, listens on 127.0.0.1, creates the users, friendships and messages the
// scenario needs through the API itself, over HTTP, and prints one JSON line: ServeReady.
// Not with app.inject: its stand-in requests and sockets are other shapes than Node's, and V8 then compiled
// the server's hot path for both. A poll cost 35–40 µs of CPU after such a set-up and 28–30 µs after this one.
// Exits on SIGTERM, SIGINT or when its parent closes stdin (so a crashed parent leaves nothing behind).
import { createApp, type ParleyApp } from '../../src/server/app';
import { createMemoryHub } from '../../src/server/hub';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { listen, PASSWORD, runChild, SETUP_HASHING, serveUntilStopped } from './child';
import type { ServeOptions, ServeReady } from './options';

const options = JSON.parse(process.argv[2] ?? '{}') as ServeOptions;

async function call(
  app: ParleyApp,
  method: 'GET' | 'POST',
  url: string,
  token: string | null,
  payload?: object,
) {
  const res = await fetch(`${app.listeningOrigin}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(payload ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload ? { body: JSON.stringify(payload) } : {}),
  });
  const body = await res.text();
  if (res.status >= 300) throw new Error(`setup: ${method} ${url} answered ${res.status} ${body}`);
  return JSON.parse(body) as Record<string, unknown>;
}

async function register(app: ParleyApp, tokens: Record<string, string>, username: string) {
  const body = await call(app, 'POST', '/api/register', null, { username, password: PASSWORD });
  tokens[username] = body.token as string;
}

const befriend = (app: ParleyApp, tokens: Record<string, string>, a: string, b: string) =>
  call(app, 'POST', '/api/friends', tokens[a] as string, { username: b });

const name = (prefix: string, i: number) => `${prefix}_${String(i).padStart(4, '0')}`;

async function setUp(app: ParleyApp): Promise<Pick<ServeReady, 'tokens' | 'info'>> {
  const tokens: Record<string, string> = {};
  switch (options.setup) {
    case 'poll': {
      // alice and bob, friends, with 20 messages between them; alice polls the conversation.
      await register(app, tokens, 'alice');
      await register(app, tokens, 'bob');
      await befriend(app, tokens, 'alice', 'bob');
      let lastId = 0;
      for (let i = 0; i < 20; i++) {
        const [from, to] = i % 2 === 0 ? ['bob', 'alice'] : ['alice', 'bob'];
        const sent = await call(app, 'POST', '/api/messages', tokens[from] as string, {
          to,
          content: `setup message ${i}`,
          clientId: `setup-${i}`,
        });
        lastId = sent.id as number;
      }
      // alice reads it once, as a client would before it starts polling with `after`.
      await call(app, 'GET', '/api/messages?peer=bob', tokens.alice as string);
      return { tokens, info: { lastId } };
    }
    case 'sends': {
      // One recipient, many senders (each its own account and token), every sender a friend of the recipient.
      await register(app, tokens, 'recipient');
      const senders: string[] = [];
      for (let i = 0; i < (options.senders ?? 500); i++) {
        const sender = name('sender', i);
        await register(app, tokens, sender);
        await befriend(app, tokens, sender, 'recipient');
        senders.push(sender);
      }
      return { tokens, info: { recipient: 'recipient', senders } };
    }
    case 'fanout': {
      // One reader (who will hold 1,000 streams) and a friend who writes to them.
      await register(app, tokens, 'reader');
      await register(app, tokens, 'writer');
      await befriend(app, tokens, 'writer', 'reader');
      return { tokens, info: { reader: 'reader', writer: 'writer' } };
    }
    case 'fanout-many': {
      // Many readers, each holding one stream; reader i is a friend of writer i mod (number of writers).
      const writers: string[] = [];
      for (let i = 0; i < (options.senders ?? 50); i++) {
        const writer = name('writer', i);
        await register(app, tokens, writer);
        writers.push(writer);
      }
      const readers: { reader: string; writer: string }[] = [];
      for (let i = 0; i < (options.readers ?? 1000); i++) {
        const reader = name('reader', i);
        const writer = writers[i % writers.length] as string;
        await register(app, tokens, reader);
        await befriend(app, tokens, reader, writer);
        readers.push({ reader, writer });
      }
      return { tokens, info: { readers } };
    }
    case 'pair': {
      // alice and bob, friends, with no messages: the automation server acts as alice (bench/mcp/).
      await register(app, tokens, 'alice');
      await register(app, tokens, 'bob');
      await befriend(app, tokens, 'alice', 'bob');
      return { tokens, info: {} };
    }
    case 'none':
      return { tokens, info: {} };
    default:
      throw new Error(`unknown setup "${String(options.setup)}"`);
  }
}

async function main() {
  const store = openSqliteStore(options.dbPath);
  const hub = createMemoryHub({ maxStreamsPerUser: options.maxStreamsPerUser ?? 32 });
  const app = await createApp({
    store,
    hub,
    hashing: SETUP_HASHING,
    staticDir: null,
    ...(options.sendRate ? { sendRate: options.sendRate } : {}),
  });
  const port = await listen(app);
  const ready: ServeReady = { port, pid: process.pid, ...(await setUp(app)) };
  serveUntilStopped(app, options.dbPath, ready);
}

runChild('bench/serve/index.ts', main);
