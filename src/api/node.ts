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

export function createNodeFetch(agentOptions: Agent.Options = {}): NodeFetch {
  const agent = new Agent({
    // Longer than the 2 s poll, so a polling client keeps its socket between calls.
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    ...agentOptions,
  });
  // undici's RequestInit and Response are its own types, equal in behaviour to the global ones.
  const fetch = ((url: string, init: RequestInit) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    })) as unknown as FetchLike;
  return Object.assign(fetch, { close: () => agent.close() });
}

export type NodeApiClient = ParleyApi & { close(): Promise<void> };

export function createNodeApiClient(
  baseUrl: string,
  opts: Omit<ApiClientOptions, 'baseUrl' | 'fetch'> & { agent?: Agent.Options } = {},
): NodeApiClient {
  const { agent, ...clientOptions } = opts;
  const fetch = createNodeFetch(agent);
  return { ...createApiClient({ ...clientOptions, baseUrl, fetch }), close: fetch.close };
}
