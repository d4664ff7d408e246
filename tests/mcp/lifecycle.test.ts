/**
 * The automation server's life: a message accepted before a crash goes out once after a restart; a wait
 * survives the Parley server restarting; two processes never both drain one data folder; a stop leaves
 * nothing running; the trace is written on exit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyApi } from '../../machines/ports';
import { createNodeApiClient } from '../../src/api/node';
import { readConfig } from '../../src/mcp/config';
import { startMcp } from '../../src/mcp/process';
import { eventually } from './eventually';
import {
  aliceEnv,
  api,
  connectStdio,
  type ParleyServer,
  registerPair,
  startParley,
  tempDir,
} from './processes';

let parley: ParleyServer;
let tokens: { aliceToken: string; bobToken: string };
beforeAll(async () => {
  parley = await startParley();
  tokens = await registerPair(parley.baseUrl);
});
afterAll(async () => {
  await parley.dispose();
});

const baseEnv = (dataDir: string, extra: Record<string, string> = {}) =>
  aliceEnv(parley.baseUrl, { PARLEY_DATA_DIR: dataDir, ...extra });

async function bobsMessages(): Promise<{ content: string; clientId: string | null }[]> {
  const response = await fetch(`${parley.baseUrl}/api/messages?peer=alice&limit=500`, {
    headers: { authorization: `Bearer ${tokens.bobToken}` },
  });
  return (await response.json()) as { content: string; clientId: string | null }[];
}

const until = (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) =>
  eventually(check, what, ms);

describe('the automation server across failures', () => {
  it('sends a message accepted before a crash exactly once after a restart, with the same clientId', async () => {
    const dataDir = tempDir();
    const first = await connectStdio(baseEnv(dataDir));
    await first.client.callTool({ name: 'get_status', arguments: {} });
    await parley.stop();
    const accepted = (await first.client.callTool(
      { name: 'send_message', arguments: { peer: 'bob', content: 'survives a crash' } },
      { timeout: 30_000 },
    )) as { structuredContent: { state: string; clientId: string } };
    expect(accepted.structuredContent.state).toBe('pending');
    const pid = first.transport.pid;
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    await first.client.close().catch(() => {});
    expect(existsSync(join(dataDir, 'alice'))).toBe(true);

    await parley.start();
    expect((await bobsMessages()).filter((m) => m.content === 'survives a crash')).toEqual([]);
    const second = await connectStdio(baseEnv(dataDir));
    try {
      // Its first request opens the outbox; the kept message goes out by itself.
      await second.client.callTool({ name: 'get_status', arguments: {} });
      await until(
        async () => (await bobsMessages()).some((m) => m.content === 'survives a crash'),
        'the resend',
      );
      await new Promise((r) => setTimeout(r, 500));
      const copies = (await bobsMessages()).filter((m) => m.content === 'survives a crash');
      expect(copies).toHaveLength(1);
      expect(copies[0]?.clientId).toBe(accepted.structuredContent.clientId);
    } finally {
      await second.client.close();
    }
  });

  it('a wait goes on while the Parley server restarts, and still returns the message', async () => {
    const { client } = await connectStdio(baseEnv(tempDir()));
    try {
      await client.callTool({ name: 'get_status', arguments: {} });
      const waiting = client.callTool(
        { name: 'wait_for_messages', arguments: { peer: 'bob', timeoutSeconds: 50 } },
        { timeout: 60_000 },
      );
      await new Promise((r) => setTimeout(r, 300));
      await parley.stop();
      await new Promise((r) => setTimeout(r, 500));
      await parley.start();
      await api(
        parley.baseUrl,
        '/api/messages',
        { to: 'alice', content: 'after the restart', clientId: `r-${Date.now()}` },
        tokens.bobToken,
      );
      const result = (await waiting) as {
        structuredContent: { messages: { content: string }[]; timedOut: boolean };
      };
      expect(result.structuredContent.timedOut).toBe(false);
      expect(result.structuredContent.messages.map((m) => m.content)).toContain('after the restart');
    } finally {
      await client.close();
    }
  });

  it('never lets two processes drain one data folder: the second says who holds it, then takes over', async () => {
    const dataDir = tempDir();
    const first = await connectStdio(baseEnv(dataDir));
    await first.client.callTool({ name: 'get_status', arguments: {} });
    const second = await connectStdio(baseEnv(dataDir));
    try {
      const refused = (await second.client.callTool({
        name: 'send_message',
        arguments: { peer: 'bob', content: 'from the second' },
      })) as { isError?: boolean; content: { text: string }[] };
      expect(refused.isError).toBe(true);
      expect(refused.content[0]?.text).toMatch(/held by another Parley MCP process \(pid \d+\)/);
      await first.client.close();
      await until(async () => {
        const r = (await second.client.callTool({
          name: 'send_message',
          arguments: { peer: 'bob', content: 'from the second, later' },
        })) as { isError?: boolean };
        return !r.isError;
      }, 'the second to take the folder over');
    } finally {
      await second.client.close();
    }
  });
});

describe('stopping', () => {
  it('leaves no live actor, no request in flight and no timer, keeps the outbox, and writes the trace', async () => {
    const dataDir = tempDir();
    const tracePath = join(dataDir, 'trace.json');
    let inFlight = 0;
    const counting = (): ParleyApi & { close(): Promise<void> } => {
      const real = createNodeApiClient(parley.baseUrl);
      const wrap =
        <K extends keyof ParleyApi>(key: K) =>
        (...args: Parameters<ParleyApi[K]>) => {
          inFlight++;
          return (real[key] as (...a: Parameters<ParleyApi[K]>) => Promise<unknown>)(...args).finally(() => {
            inFlight--;
          });
        };
      return {
        ...real,
        status: wrap('status'),
        friends: wrap('friends'),
        messages: wrap('messages'),
        send: wrap('send'),
        login: wrap('login'),
        events: wrap('events'),
      } as ParleyApi & { close(): Promise<void> };
    };
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const config = readConfig({ ...baseEnv(dataDir), MCP_PORT: '0', PARLEY_TRACE: tracePath }, ['--http']);
    const mcp = await startMcp(config, { api: counting(), log: () => {} });
    const live = new Set<{ getSnapshot(): { status: string } }>();
    mcp.client.actor.system.inspect((e) => {
      if (e.type === '@xstate.actor') live.add(e.actorRef);
    });
    await mcp.client.until(() => mcp.client.connection().live, 10_000, 'live');
    mcp.client.watch('bob');
    await mcp.client.until(() => mcp.client.watched('bob')?.loaded === true, 10_000, 'bob loaded');
    expect(inFlight).toBeGreaterThan(0); // the event stream
    const started = Date.now();
    await mcp.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(inFlight).toBe(0);
    expect(mcp.client.actor.getSnapshot().status).toBe('stopped');
    const children = Object.values(mcp.client.actor.getSnapshot().children) as {
      getSnapshot(): { status: string };
    }[];
    expect(children.filter((c) => c.getSnapshot().status === 'active')).toEqual([]);
    expect([...live].filter((a) => a.getSnapshot().status === 'active')).toEqual([]);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    const trace = JSON.parse(readFileSync(tracePath, 'utf8'));
    expect(trace.format).toBe('parley-inspector-trace');
    expect(trace.events.length).toBeGreaterThan(0);
  });
});
