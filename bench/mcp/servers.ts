/**
 * The automation server as a person runs it, and the SDK clients that talk to it:
 * - over HTTP, a child process `node --import tsx src/mcp/main.ts --http` with MCP_PORT=0 (its URL read
 *   off its first stderr line, its token set through PARLEY_MCP_TOKEN), one SDK client per era on it;
 * - over stdio, the SDK's `StdioClientTransport` spawning the same command without `--http`, one process
 *   per client (and, pinned to 2026-07-28, the SDK's short-lived probe sibling first).
 * 2025 era: the SDK Client's default options; 2026 era: pinned to 2026-07-28. Each process has its own
 * PARLEY_DATA_DIR. Whatever is still running when the benchmark ends is killed (bench/shared/teardown.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { PASSWORD } from '../serve/child';
import { stopChild } from '../shared/children';
import { cpuProfileArgs, ROOT } from '../shared/results';
import { atTearDown, beforeTearDown } from '../shared/teardown';
import { PROFILE } from './settings';

/**
 * The command behind `npm run mcp` (node itself, not npm, so signals reach it), run from the checkout; with
 * BENCH_PROFILE=1, Node also writes a CPU profile as it exits.
 */
const MCP_ARGS = [...cpuProfileArgs(PROFILE), '--import', 'tsx', 'src/mcp/main.ts'];

export type Era = '2025' | '2026';

const clientOptions = (era: Era) =>
  era === '2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};

/** The environment of an automation server acting as alice, its data folder `dataDir`. */
export const mcpEnv = (baseUrl: string, dataDir: string): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  PARLEY_URL: baseUrl,
  PARLEY_USERNAME: 'alice',
  PARLEY_PASSWORD: PASSWORD,
  PARLEY_DATA_DIR: dataDir,
});

/** The last stderr lines of a process, for the message when it fails. */
function keepLines(stream: Readable | null, lines: string[], onLine?: (line: string) => void) {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
    onLine?.(line);
  });
}

export interface McpHttpProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  token: string;
  stderr: string[];
  /** An SDK client of `era` on it, connected. */
  connect(era: Era): Promise<Client>;
  /** Closes its clients, then SIGTERM (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export async function startMcpHttp(env: Record<string, string>): Promise<McpHttpProcess> {
  const token = randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, [...MCP_ARGS, '--http'], {
    cwd: ROOT,
    env: { ...env, MCP_PORT: '0', PARLEY_MCP_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  atTearDown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stderr: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the MCP server did not listen within 60 s')), 60_000);
    keepLines(child.stderr, stderr, (line) => {
      if (stderr.length !== 1) return;
      clearTimeout(timer);
      const match = /^Parley MCP listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
      else reject(new Error(`the MCP server's first stderr line was "${line}"`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the MCP server exited (${signal ?? code}): ${stderr.join(' | ')}`));
    });
  });
  const clients: Client[] = [];
  const closeClients = () => Promise.allSettled(clients.splice(0).map((c) => c.close()));
  beforeTearDown(closeClients, 2000);
  return {
    child,
    pid: child.pid as number,
    url,
    token,
    stderr,
    async connect(era) {
      const client = new Client({ name: 'parley-bench', version: '1.0.0' }, clientOptions(era));
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async stop() {
      await closeClients();
      await stopChild(child);
    },
  };
}

export interface McpStdio {
  client: Client;
  /** The session's process (not the probe sibling). */
  pid: number;
  stderr: string[];
  /** Closes the client: its stdin ends and it stops (the SDK signals it after 2 s). */
  stop(): Promise<void>;
}

export async function startMcpStdio(env: Record<string, string>, era: Era): Promise<McpStdio> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: MCP_ARGS,
    env,
    cwd: ROOT,
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  keepLines(transport.stderr as Readable | null, stderr);
  const client = new Client({ name: 'parley-bench', version: '1.0.0' }, clientOptions(era));
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    await client.close();
  };
  beforeTearDown(stop, 5000);
  atTearDown(() => {
    const pid = transport.pid;
    if (!closed && pid !== null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`stdio ${era}: could not connect (${String(error)}): ${stderr.join(' | ')}`);
  }
  return { client, pid: transport.pid as number, stderr, stop };
}
