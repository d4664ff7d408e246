/**
 * Tool round trips: each operation, sequential, in alternation between the direct agent call and the MCP
 * paths of a phase (the order rotated each turn, so none always follows another's echo), timed from the
 * call to its answer in this process. After WARMUP_CALLS turns that are not counted.
 *
 * Operations: `list_friends` (directly: the agent's `friends()`, what the tool does), `send_message`
 * (directly: the agent's `sendMessage`, which waits for the server's answer) and a request without a tool
 * (MCP only, to tell where the time goes): `ping` in the 2025 era, `server/discover` in 2026-07-28, which
 * has no ping.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/client';
import type { Agent, SendResult } from '../../src/mcp/agent';
import { describeError } from '../shared/format';

/** One operation on one path: resolves when answered, throws when the answer is wrong. */
export interface Call {
  /** `direct` or a Path. */
  path: string;
  run: (turn: number) => Promise<void>;
}

export interface Measured {
  path: string;
  times: number[];
  errors: string[];
}

/** Runs `warmup` + `turns` turns of every call in `calls`, rotating the order; `onMeasuring` at the switch. */
export async function interleaved(
  calls: Call[],
  warmup: number,
  turns: number,
  onMeasuring: () => void = () => {},
): Promise<Measured[]> {
  const results = calls.map((c) => ({ path: c.path, times: [] as number[], errors: [] as string[] }));
  for (let turn = 0; turn < warmup + turns; turn++) {
    if (turn === warmup) onMeasuring();
    for (let j = 0; j < calls.length; j++) {
      const k = (turn + j) % calls.length;
      const call = calls[k] as Call;
      const result = results[k] as Measured;
      const started = performance.now();
      try {
        await call.run(turn);
        if (turn >= warmup) result.times.push(performance.now() - started);
      } catch (error) {
        result.errors.push(describeError(error).split('\n')[0] ?? '');
      }
    }
  }
  return results;
}

/** The structured answer of a tool call; throws with the sentence when it is a tool error. */
export function structured<T>(result: unknown): T {
  const r = result as { isError?: boolean; structuredContent?: T; content?: { text?: string }[] };
  if (r.isError) throw new Error(`tool error: ${r.content?.[0]?.text}`);
  if (r.structuredContent === undefined) throw new Error('no structured content');
  return r.structuredContent;
}

const hasBob = (friends: { username: string }[]) => {
  if (!friends.some((f) => f.username === 'bob')) throw new Error('bob is not in the friends list');
};

const accepted = (result: SendResult) => {
  if (result.state !== 'sent' && result.state !== 'delivered')
    throw new Error(`send_message answered ${result.state}${result.error ? `: ${result.error}` : ''}`);
};

const content = (path: string, turn: number) => `benchmark message ${turn} via ${path}`;

export const listFriends = {
  direct: (agent: Agent): Call => ({
    path: 'direct',
    run: async () => hasBob(await agent.friends()),
  }),
  mcp: (path: string, client: Client): Call => ({
    path,
    run: async () =>
      hasBob(
        structured<{ friends: { username: string }[] }>(
          await client.callTool({ name: 'list_friends', arguments: {} }),
        ).friends,
      ),
  }),
};

export const sendMessage = {
  direct: (agent: Agent): Call => ({
    path: 'direct',
    run: async (turn) => accepted(await agent.sendMessage('bob', content('direct', turn))),
  }),
  mcp: (path: string, client: Client): Call => ({
    path,
    run: async (turn) =>
      accepted(
        structured<SendResult>(
          await client.callTool({
            name: 'send_message',
            arguments: { peer: 'bob', content: content(path, turn) },
          }),
        ),
      ),
  }),
};

/** `ping` (2025 era) or `server/discover` (2026-07-28, which has no ping): the protocol without a tool. */
export const bare = (path: string, client: Client): Call => ({
  path,
  run: async () => {
    if (client.getProtocolEra() === 'modern') await client.discover();
    else await client.ping();
  },
});
