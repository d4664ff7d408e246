/**
 * The headless clients in this process: alice as the automation server holds her (the real actor system
 * over undici, the outbox on file storage, the same agent the MCP tools wrap: the baseline), and bob, who
 * sends the messages the waits wake up on.
 */
import { join } from 'node:path';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { createFileStorage, type FileStorage } from '../../src/client/fileStorage';
import { type Agent, createAgent } from '../../src/mcp/agent';
import { PASSWORD } from '../serve/child';
import { beforeTearDown } from '../shared/teardown';

export interface DirectAlice {
  client: ParleyClient;
  storage: FileStorage;
  /** What each MCP tool calls (src/mcp/server.ts), with nothing in between. */
  agent: Agent;
  stop(): Promise<void>;
}

/** Online, live (event stream open), with the friends list loaded. */
const settled = (client: ParleyClient) =>
  client.friendsKnown() && client.connection().online && client.connection().live;

/**
 * alice signed in as src/mcp/process.ts signs her in: file storage in `dataDir/alice`, its lock taken and
 * its outbox opened, and an agent whose sends wait for the lock the same way (a check that is then free).
 */
export async function startDirectAlice(baseUrl: string, dataDir: string): Promise<DirectAlice> {
  const storage = createFileStorage({ dir: join(dataDir, 'alice'), warn: () => {} });
  const client = createParleyClient({ baseUrl, storage });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await client.stop();
    await storage.close();
  };
  beforeTearDown(stop, 1000);
  await client.login('alice', PASSWORD);
  if (!(await storage.acquire())) throw new Error(`the direct client could not lock ${storage.dir}`);
  storage.open();
  const agent = createAgent(client, {
    sendBlocked: async () => (storage.isHeld() ? null : 'the data folder is not held'),
  });
  await client.until(() => settled(client), 20_000, 'alice online, live, with her friends');
  return { client, storage, agent, stop };
}

/** bob, live, with memory storage (a person on another device). */
export async function startBob(baseUrl: string): Promise<ParleyClient> {
  const bob = createParleyClient({ baseUrl });
  beforeTearDown(() => bob.stop(), 1000);
  await bob.login('bob', PASSWORD);
  await bob.until(() => settled(bob), 20_000, 'bob online, live, with his friends');
  return bob;
}
