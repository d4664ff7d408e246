/** What the benchmark server (bench/serve/index.ts) is told on its command line, and what it answers. */
import type { AppDeps } from '../../src/server/app';

/**
 * `none`: no accounts; the load generator's own clients register (bench/clients/). `pair`: alice and bob,
 * friends, nothing else (bench/mcp/).
 */
export type Setup = 'poll' | 'sends' | 'fanout' | 'fanout-many' | 'pair' | 'none';

export interface ServeOptions {
  setup: Setup;
  dbPath: string;
  /** Senders (sends), or writers (fanout-many). */
  senders?: number;
  /** Readers, each holding one stream (fanout-many). */
  readers?: number;
  /** The hub's limit on streams per user (default 32; the fan-out scenario needs 1,000 for one user). */
  maxStreamsPerUser?: number;
  sendRate?: AppDeps['sendRate'];
}

export interface ServeReady {
  port: number;
  pid: number;
  /** Tokens by username. */
  tokens: Record<string, string>;
  /** Scenario data: the last message id of the polled conversation, who befriends whom, … */
  info: Record<string, unknown>;
}
