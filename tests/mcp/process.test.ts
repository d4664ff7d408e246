/**
 * The automation server as a process: the README's stdio command, protocol frames only on stdout, clear
 * failures at start, HTTP with its token and Host/Origin checks, a clean stop, and the outbox across a
 * crash.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aliceEnv,
  api,
  connectStdio,
  type ParleyServer,
  ROOT,
  registerPair,
  spawnMcp,
  startParley,
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

const env = (extra: Record<string, string> = {}) => aliceEnv(parley.baseUrl, extra);

/** The stdio configuration from the README, as a person would paste it. */
function readmeStdioConfig(): { command: string; args: string[]; env: Record<string, string> } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Drive Parley from an agent'));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no JSON block in the README section');
  const server = JSON.parse(block).mcpServers.parley;
  return { ...server, args: server.args.map((a: string) => a.replace('/path/to/parley', ROOT)) };
}

describe('the automation server over stdio', () => {
  it.each([
    ['2025 era', {}],
    ['2026-07-28 era', { versionNegotiation: { mode: { pin: '2026-07-28' as const } } }],
  ])('runs as the README configures it, in the %s', async (_, options) => {
    const config = readmeStdioConfig();
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: { ...(process.env as Record<string, string>), ...config.env, ...env() },
      cwd: ROOT,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'readme-test', version: '1.0.0' }, options);
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'list_friends', arguments: {} });
      expect(result.structuredContent).toEqual({
        friends: [expect.objectContaining({ username: 'bob' })],
      });
    } finally {
      await client.close();
    }
  });

  it.each([
    ['2025 era', {}],
    ['2026-07-28 era', { versionNegotiation: { mode: { pin: '2026-07-28' as const } } }],
  ])(
    'tells a subscriber of a new message and keeps two sends in call order, in the %s',
    async (era, options) => {
      const { client } = await connectStdio(env(), options);
      try {
        const updates: string[] = [];
        client.setNotificationHandler('notifications/resources/updated', (n) => {
          updates.push(n.params.uri);
        });
        const uri = 'parley://conversations/bob';
        if (era === '2025 era') await client.subscribeResource({ uri });
        else await client.listen({ resourceSubscriptions: [uri] });
        await client.callTool({ name: 'read_messages', arguments: { peer: 'bob' } });
        await api(
          parley.baseUrl,
          '/api/messages',
          { to: 'alice', content: `to the subscriber ${era}`, clientId: `s-${era}` },
          tokens.bobToken,
        );
        const end = Date.now() + 15_000;
        while (!updates.includes(uri) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        expect(updates).toContain(uri);

        const tag = Date.now().toString(36);
        const [a, b] = await Promise.all([
          client.callTool({ name: 'send_message', arguments: { peer: 'bob', content: `first ${tag}` } }),
          client.callTool({ name: 'send_message', arguments: { peer: 'bob', content: `second ${tag}` } }),
        ]);
        expect([a.isError, b.isError]).toEqual([undefined, undefined]);
        const response = await fetch(`${parley.baseUrl}/api/messages?peer=alice&limit=500`, {
          headers: { authorization: `Bearer ${tokens.bobToken}` },
        });
        const order = ((await response.json()) as { content: string }[])
          .map((m) => m.content)
          .filter((c) => c.endsWith(tag));
        expect(order).toEqual([`first ${tag}`, `second ${tag}`]);
      } finally {
        await client.close();
      }
    },
  );

  it('writes nothing but protocol frames on stdout', async () => {
    const mcp = spawnMcp(env());
    const out: string[] = [];
    let buffer = '';
    mcp.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      out.push(...lines);
    });
    await mcp.line(/serving alice on stdio/);
    const send = (message: object) => mcp.child.stdin?.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'send_message', arguments: { peer: 'bob', content: 'frames only' } },
    });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_status', arguments: {} } });
    const end = Date.now() + 20_000;
    while (out.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    mcp.child.stdin?.end();
    const { code } = await mcp.exited;
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThanOrEqual(3);
    for (const line of out) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(mcp.stderr.some((l) => l.includes('stopping (stdin closed)'))).toBe(true);
  });

  it('says in one sentence on stderr, exit 1, that the password is wrong or the server unreachable', async () => {
    const wrong = spawnMcp(env({ PARLEY_PASSWORD: 'not the password' }));
    expect((await wrong.exited).code).toBe(1);
    expect(wrong.stderr.join('\n')).toMatch(/^Parley MCP: Could not sign in to Parley at .* as alice: .+$/m);
    const away = spawnMcp(env({ PARLEY_URL: 'http://127.0.0.1:9' }));
    expect((await away.exited).code).toBe(1);
    expect(away.stderr.join('\n')).toMatch(/Could not sign in .*: The server could not be reached\./);
    const unset = spawnMcp({ PARLEY_USERNAME: '', PARLEY_PASSWORD: '' });
    expect((await unset.exited).code).toBe(1);
    expect(unset.stderr.join('\n')).toMatch(/Set PARLEY_USERNAME/);
  });

  it('stops within 3 s on SIGTERM and SIGINT, with exit code 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const mcp = spawnMcp(env());
      await mcp.line(/serving alice on stdio/);
      const started = Date.now();
      mcp.child.kill(signal);
      const { code, signal: by } = await mcp.exited;
      expect({ signal, code, by, stderr: mcp.stderr }).toMatchObject({ code: 0 });
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });
});

describe('the automation server over HTTP', () => {
  it('listens where its first stderr line says, and serves two clients of both eras with the token', async () => {
    const mcp = spawnMcp(env({ MCP_PORT: '0' }), ['--http']);
    try {
      const first = await mcp.line(/./);
      const url = /^Parley MCP listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)$/.exec(first)?.[1];
      expect(url).toBeDefined();
      const tokenLine = await mcp.line(/token/);
      const token = tokenLine.split(': ').at(-1)!;
      const connect = async (pin: boolean, bearer = token) => {
        const client = new Client(
          { name: 'http-test', version: '1.0.0' },
          pin ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
        );
        await client.connect(
          new StreamableHTTPClientTransport(new URL(url!), {
            requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
          }),
        );
        return client;
      };
      const [legacy, modern] = await Promise.all([connect(false), connect(true)]);
      for (const client of [legacy, modern]) {
        const result = await client.callTool({ name: 'list_friends', arguments: {} });
        expect(result.isError).toBeFalsy();
      }
      expect(modern.getProtocolEra()).toBe('modern');
      expect(legacy.getProtocolEra()).toBe('legacy');
      await Promise.all([legacy.close(), modern.close()]);

      const post = (headers: Record<string, string>) =>
        fetch(url!, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-06-18',
              capabilities: {},
              clientInfo: { name: 't', version: '1' },
            },
          }),
        });
      expect((await post({})).status).toBe(401);
      expect((await post({ authorization: 'Bearer wrong-token-0000000000' })).status).toBe(401);
      expect((await post({ authorization: `Bearer ${token}`, origin: 'http://evil.example' })).status).toBe(
        403,
      );
      const { request } = await import('node:http');
      const foreignHost = await new Promise<number>((resolve, reject) => {
        const u = new URL(url!);
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: 'POST',
            headers: {
              host: 'evil.example',
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
            },
          },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end('{}');
      });
      expect(foreignHost).toBe(403);
    } finally {
      mcp.child.kill('SIGTERM');
      await mcp.exited;
    }
  });
});
