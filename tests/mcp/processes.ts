/**
 * Real processes for the automation server's tests: the Parley server in-process on a file database (so it
 * can be stopped and started again on the same port), accounts made over its API, and the MCP server
 * spawned as a person runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';

export const ROOT = join(import.meta.dirname, '../..');

export interface ParleyServer {
  baseUrl: string;
  port: number;
  dir: string;
  app: ParleyApp;
  /** Stops it (streams end); `start()` brings it back on the same port and database. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startParley(): Promise<ParleyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-mcp-test-'));
  const open = async (port: number) => {
    const app = await createApp({
      store: openSqliteStore(join(dir, 'parley.db')),
      hashing: { cost: 1024 },
      presenceSweepMs: 0,
    });
    const baseUrl = await app.listen({ port, host: '127.0.0.1' });
    return { app, baseUrl };
  };
  let { app, baseUrl } = await open(0);
  const port = Number(new URL(baseUrl).port);
  let running = true;
  const server: ParleyServer = {
    baseUrl,
    port,
    dir,
    app,
    async stop() {
      if (!running) return;
      running = false;
      await app.close();
    },
    async start() {
      ({ app } = await open(port));
      server.app = app;
      running = true;
    },
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Calls the API directly (set-up only): register, befriend. */
export async function api(baseUrl: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { token?: string; success: boolean };
}

export async function registerPair(baseUrl: string) {
  const alice = await api(baseUrl, '/api/register', { username: 'alice', password: 'correct horse' });
  const bob = await api(baseUrl, '/api/register', { username: 'bob', password: 'correct horse' });
  await api(baseUrl, '/api/friends', { username: 'bob' }, alice.token);
  return { aliceToken: alice.token!, bobToken: bob.token! };
}

export interface Spawned {
  child: ChildProcess;
  stderr: string[];
  /** Resolves with the first stderr line matching. */
  line(pattern: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The command behind `npm run mcp` (node itself, not npm, so a signal reaches it), in the repository, with
 * `env` added to this process's.
 */
export function spawnMcp(env: Record<string, string>, args: string[] = []): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/mcp/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  let buffer = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) {
      stderr.push(l);
      for (const w of [...waiters]) {
        if (w.pattern.test(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stderr,
    exited,
    line(pattern, ms = 30_000) {
      const seen = stderr.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no stderr line like ${pattern} in ${ms} ms: ${stderr.join(' | ')}`)),
          ms,
        );
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'parley-mcp-data-'));

/** The environment of an automation server acting as alice against `baseUrl`, in a data folder of its own. */
export const aliceEnv = (baseUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  PARLEY_URL: baseUrl,
  PARLEY_USERNAME: 'alice',
  PARLEY_PASSWORD: 'correct horse',
  PARLEY_DATA_DIR: tempDir(),
  ...extra,
});

/** An SDK client connected over stdio to the automation server (node itself, so a signal reaches it). */
export async function connectStdio(env: Record<string, string>, options: ClientOptions = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/mcp/main.ts'],
    env: { ...(process.env as Record<string, string>), ...env },
    cwd: ROOT,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'parley-test', version: '1.0.0' }, options);
  await client.connect(transport);
  return { client, transport };
}
