/**
 * One automation server process: signs in as the configured user through the headless client (the same
 * actor system as the web UI), keeps the outbox in the user's data folder, and serves the MCP factory over
 * stdio or HTTP. `stop()` tears it down in order: the transport (no new calls), the change feed, the root
 * actor (every timer and request with it), the storage (its lock released), then the trace is written.
 */
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { createParleyClient, type ParleyClient, type ParleyClientOptions } from '../client';
import { createFileStorage, type FileStorage } from '../client/fileStorage';
import { createCollector } from '../inspector/collector';
import { createAgent } from './agent';
import type { McpConfig } from './config';
import { createChangeFeed } from './feed';
import { createHttpApp, listenHttp } from './http';
import { buildServer, type ServerDeps } from './server';

export interface McpProcess {
  client: ParleyClient;
  storage: FileStorage;
  /** The HTTP endpoint (`--http` only). */
  url: string | null;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override name = 'StartError';
}

/** Overrides for tests: another API (a counting wrapper), where stdio reads and writes. */
export interface StartOverrides {
  api?: ParleyClientOptions['api'];
  stdio?: { stdin: Readable; stdout: Writable };
  log?: (line: string) => void;
}

export async function startMcp(config: McpConfig, overrides: StartOverrides = {}): Promise<McpProcess> {
  const log = overrides.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const storage = createFileStorage({ dir: config.dataDir, warn: log });
  const collector = config.tracePath ? createCollector({ schedule: () => {} }) : null;
  const client = createParleyClient({
    baseUrl: config.baseUrl,
    storage,
    ...(overrides.api && { api: overrides.api }),
    ...(collector && { inspect: (event) => collector.inspect(event) }),
  });

  try {
    await client.login(config.username, config.password);
  } catch (error) {
    await client.stop();
    await storage.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartError(`Could not sign in to Parley at ${config.baseUrl} as ${config.username}: ${reason}`);
  }

  // The lock is taken now (waiting while another process holds the folder); the outbox opens only when a
  // client has made a real request, so a short-lived probe copy of this server never drains it.
  void storage.acquire().then(
    (held) => {
      if (held) log(`Parley MCP: holding ${config.dataDir}`);
    },
    (error: unknown) => log(`Parley MCP: could not lock ${config.dataDir}: ${String(error)}`),
  );
  const holderNote = () => {
    const holder = storage.holder();
    return holder ? ` (pid ${holder.pid})` : '';
  };
  const agent = createAgent(client, {
    sendBlocked: async () => {
      // Right after start the first try at the lock may still be under way: give it a moment.
      for (let i = 0; i < 40 && !storage.isHeld() && storage.holder() === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (storage.isHeld()) return null;
      return `This Parley MCP server cannot send yet: its data folder ${config.dataDir} is held by another Parley MCP process${holderNote()}. Stop that one, or give this one another PARLEY_DATA_DIR.`;
    },
  });
  const feed = createChangeFeed(client);
  let opened = false;
  const deps: ServerDeps = {
    agent,
    feed,
    onRequest: () => {
      if (opened) return;
      opened = true;
      storage.open();
    },
  };

  // Activity sentences go to stderr as they happen (MCP logging is deprecated in 2026-07-28).
  const activity = client.actor.on('activity', ({ entry }) => log(`Parley: ${entry.text}`));

  let closeTransport: () => Promise<void>;
  let url: string | null = null;
  if (config.transport === 'http') {
    const app = createHttpApp(deps, { token: config.token });
    const { server, url: listening } = await listenHttp(app, config.port).catch(async (error: unknown) => {
      await client.stop();
      await storage.close();
      throw new StartError(`Could not listen on 127.0.0.1:${config.port}: ${String(error)}`);
    });
    url = listening;
    closeTransport = async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  } else {
    const transport = overrides.stdio
      ? new StdioServerTransport(overrides.stdio.stdin, overrides.stdio.stdout)
      : new StdioServerTransport();
    const handle = serveStdio((ctx) => buildServer(deps, ctx, false), {
      transport,
      onerror: (error) => log(`Parley MCP (stdio): ${error.message}`),
    });
    closeTransport = () => handle.close();
  }

  let stopping: Promise<void> | null = null;
  return {
    client,
    storage,
    url,
    stop() {
      stopping ??= (async () => {
        await closeTransport().catch((error: unknown) =>
          log(`Parley MCP: closing the transport: ${String(error)}`),
        );
        activity.unsubscribe();
        feed.close();
        await client.stop();
        await storage.close();
        if (collector && config.tracePath) {
          await writeFile(config.tracePath, JSON.stringify(collector.exportTrace()));
          log(`Parley MCP: trace written to ${config.tracePath}`);
        }
      })();
      return stopping;
    },
  };
}
