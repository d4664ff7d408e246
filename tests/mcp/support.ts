/**
 * The automation server under test, in-process: a real Parley server on a free port, alice's headless
 * client signed in to it, and the MCP HTTP app over them (both eras on one fetch). SDK clients connect
 * through the app's fetch, so every request goes through the same routing, token and session handling as
 * over a socket, without one.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ParleyApi } from '../../machines/ports';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { createAgent } from '../../src/mcp/agent';
import { createChangeFeed } from '../../src/mcp/feed';
import { createHttpApp, type McpHttpApp } from '../../src/mcp/http';
import { createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';

export const TOKEN = 'test-token-0123456789';
export type Era = 'legacy' | 'modern';
export const ERAS: Era[] = ['legacy', 'modern'];

export interface World {
  app: ParleyApp;
  baseUrl: string;
  alice: ParleyClient;
  bob: ParleyClient;
  mcp: McpHttpApp;
  feed: ReturnType<typeof createChangeFeed>;
  agent: ReturnType<typeof createAgent>;
  connect(era: Era, options?: { token?: string }): Promise<Client>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  quietMs?: number;
  maxWaitMs?: number;
  /** alice's API (a wrapper adding latency, say); the real one over undici by default. */
  aliceApi?: (baseUrl: string) => ParleyApi & { close?(): Promise<void> };
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const app = await createApp({
    store: openSqliteStore(':memory:'),
    hashing: { cost: 1024 },
    presenceSweepMs: 0,
  });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const alice = createParleyClient({ baseUrl, ...(options.aliceApi && { api: options.aliceApi(baseUrl) }) });
  const bob = createParleyClient({ baseUrl });
  await alice.register('alice', 'correct horse');
  await bob.register('bob', 'correct horse');
  alice.addFriend('bob');
  await alice.until(() => alice.friends().some((f) => f.username === 'bob'), 10_000, 'alice sees bob');
  await bob.until(() => bob.friends().some((f) => f.username === 'alice'), 10_000, 'bob sees alice');
  const feed = createChangeFeed(alice, options);
  const agent = createAgent(alice);
  const mcp = createHttpApp({ agent, feed }, { token: TOKEN });
  const clients: Client[] = [];
  return {
    app,
    baseUrl,
    alice,
    bob,
    mcp,
    feed,
    agent,
    async connect(era, opts = {}) {
      const client = new Client(
        { name: 'parley-test', version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
      );
      const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
        fetch: (url, init) => mcp.fetch(new Request(url, init)),
        requestInit: { headers: { Authorization: `Bearer ${opts.token ?? TOKEN}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await mcp.close();
      feed.close();
      await Promise.all([alice.stop(), bob.stop()]);
      await app.close();
    },
  };
}

/** The structured answer of a tool call (throws with the text when it is an error). */
export function structured<T>(result: unknown): T {
  const r = result as { isError?: boolean; structuredContent?: T; content?: { text: string }[] };
  if (r.isError) throw new Error(`tool error: ${r.content?.[0]?.text}`);
  return r.structuredContent as T;
}

/** The sentence of a tool error (throws when the call did not fail). */
export function errorText(result: unknown): string {
  const r = result as { isError?: boolean; content?: { text: string }[] };
  if (!r.isError) throw new Error(`expected a tool error, got ${JSON.stringify(result)}`);
  return r.content?.[0]?.text ?? '';
}
