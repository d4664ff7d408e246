/**
 * `wait_for_messages` wake-up: a wait for bob's messages is started (directly, or as a tool call on an MCP
 * path); WAIT_SETTLE_MS later bob (a headless client in this process) sends one; the latency is from bob's
 * `send()` to the wait's answer here. In alternation between the direct agent and the phase's paths, the
 * order rotated each turn, after WAKE_WARMUP turns that are not counted. Each wait passes the id of the last
 * message woken on as `afterId`, so a wait that starts late still answers with the right message.
 *
 * Beside it, when bob's own send was answered by the server (`accepted`): what is left is the push to
 * alice and her side.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/client';
import type { ParleyClient } from '../../src/client';
import type { Agent, WaitResult } from '../../src/mcp/agent';
import { describeError } from '../shared/format';
import { structured } from './roundtrip';
import { WAIT_SETTLE_MS, WAIT_TIMEOUT_SECONDS, WAKE_SAMPLES, WAKE_WARMUP } from './settings';

/** One path's wait: resolves with the wait's answer. */
export interface Waiter {
  path: string;
  wait: (afterId: number | undefined) => Promise<WaitResult>;
}

export interface Woken {
  path: string;
  /** bob's send() → the wait's answer here. */
  times: number[];
  /** bob's send() → bob's send answered by the server. */
  accepted: number[];
  errors: string[];
}

const args = (afterId: number | undefined) => ({
  peer: 'bob',
  timeoutSeconds: WAIT_TIMEOUT_SECONDS,
  ...(afterId !== undefined && { afterId }),
});

export const directWaiter = (agent: Agent): Waiter => ({
  path: 'direct',
  wait: (afterId) => agent.waitForMessages(args(afterId)),
});

export const mcpWaiter = (path: string, client: Client): Waiter => ({
  path,
  wait: async (afterId) =>
    structured<WaitResult>(
      await client.callTool(
        { name: 'wait_for_messages', arguments: args(afterId) },
        { timeout: (WAIT_TIMEOUT_SECONDS + 10) * 1000 },
      ),
    ),
});

export async function measureWakeUps(waiters: Waiter[], bob: ParleyClient): Promise<Woken[]> {
  const results = waiters.map((w) => ({
    path: w.path,
    times: [] as number[],
    accepted: [] as number[],
    errors: [] as string[],
  }));
  let afterId: number | undefined;
  for (let turn = 0; turn < WAKE_WARMUP + WAKE_SAMPLES; turn++) {
    for (let j = 0; j < waiters.length; j++) {
      const k = (turn + j) % waiters.length;
      const waiter = waiters[k] as Waiter;
      const result = results[k] as Woken;
      const text = `wake-up ${turn} via ${waiter.path}`;
      try {
        let answeredAt = Number.NaN;
        const answer = waiter.wait(afterId).then((r) => {
          answeredAt = performance.now();
          return r;
        });
        // A wait that fails at once is reported now rather than after the message.
        const early = await Promise.race([answer.then(() => 'answered' as const), sleep(WAIT_SETTLE_MS)]);
        if (early === 'answered')
          throw new Error(`answered before bob sent: ${JSON.stringify(await answer).slice(0, 200)}`);
        const sentAt = performance.now();
        const track = bob.tracker(bob.send('alice', text));
        let acceptedAt = Number.NaN;
        const accepted = bob
          .until(() => ['sent', 'delivered'].includes(track().state), 10_000, "bob's send")
          .then(() => {
            acceptedAt = performance.now();
          });
        const woken = await answer;
        await accepted;
        const message = woken.messages.find((m) => m.content === text);
        if (woken.timedOut || !message)
          throw new Error(`woke with ${woken.timedOut ? 'a time-out' : 'other messages'}, not "${text}"`);
        afterId = Math.max(...woken.messages.map((m) => m.id));
        if (turn >= WAKE_WARMUP) {
          result.times.push(answeredAt - sentAt);
          result.accepted.push(acceptedAt - sentAt);
        }
      } catch (error) {
        result.errors.push(describeError(error).split('\n')[0] ?? '');
        // The next wait starts after whatever bob has sent so far.
        afterId = undefined;
        await sleep(200);
      }
    }
  }
  return results;
}
