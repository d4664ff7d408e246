/**
 * The client in Node (the CLI, the benchmarks, the end-to-end tests): undici's own fetch over a keep-alive
 * Agent, so a client polling every 2 s reuses one connection instead of opening one per call. Kept out of
 * index.ts so a browser bundle never pulls in undici.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { ParleyApi } from '../../machines/ports';
import { type ApiClientOptions, createApiClient, type FetchLike } from './client';

export interface NodeFetch extends FetchLike {
  /** Closes the pooled connections; open event streams end with a network failure. */
  close(): Promise<void>;
}

/**
 * `agentOptions` set the Agent for calls (e.g. `connections: 1`, so a process with many clients holds one
 * socket per client for calls). The event stream holds its connection for as long as it is open, so it has
 * an Agent of its own with a single connection: a call never queues behind it, and, being one connection,
 * it is a bare undici Client rather than a Pool (whose fixed request queue alone is 16 KB of heap).
 */
export function createNodeFetch(agentOptions: Agent.Options = {}): NodeFetch {
  const options: Agent.Options = {
    // Longer than the 2 s poll, so a polling client keeps its socket between calls.
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    ...agentOptions,
  };
  const calls = new Agent(options);
  const stream = new Agent({ ...options, connections: 1 });
  // undici's RequestInit and Response are its own types, equal in behaviour to the global ones.
  const fetch = ((url: string, init: RequestInit) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: isEventStream(url) ? stream : calls,
    })) as unknown as FetchLike;
  return Object.assign(fetch, {
    close: async () => {
      await Promise.all([calls.close(), stream.close()]);
    },
  });
}

const isEventStream = (url: string) => (url.split('?', 1)[0] as string).endsWith('/api/events');

export type NodeApiClient = ParleyApi & { close(): Promise<void> };

export function createNodeApiClient(
  baseUrl: string,
  opts: Omit<ApiClientOptions, 'baseUrl' | 'fetch'> & { agent?: Agent.Options } = {},
): NodeApiClient {
  const { agent, ...clientOptions } = opts;
  const fetch = createNodeFetch(agent);
  return { ...createApiClient({ ...clientOptions, baseUrl, fetch }), close: fetch.close };
}
