/** Scenario `fanout`: one user holding 1,000 event streams, a friend's message fanned out to every one. */
import { stopChild } from '../shared/children';
import { int } from '../shared/format';
import { deliveryRow, measureFanOut } from './delivery';
import { startParley } from './parley';
import type { Outcome } from './settings';

const FANOUT_STREAMS = 1000;
const FANOUT_MESSAGES = 30;
/**
 * Messages sent before the measured ones and not counted, as every scenario runs after a warm-up: without
 * them the first few messages (code not yet optimised in the server and in this process's reader) reached
 * their last stream in 40–60 ms, against about 22 ms for the rest.
 */
const FANOUT_WARMUP_MESSAGES = 10;
const FANOUT_PACE_MS = 100;

export async function scenarioFanout(): Promise<Outcome> {
  const parley = await startParley({ setup: 'fanout', maxStreamsPerUser: FANOUT_STREAMS + 100 });
  try {
    const runId = Date.now().toString(36);
    const d = await measureFanOut(parley.ready, {
      streamTokens: Array.from({ length: FANOUT_STREAMS }, () => parley.ready.tokens.reader as string),
      opened: (n) => `fan-out: ${n} streams open for one user`,
      sends: (kind) =>
        Array.from({ length: kind === 'warm' ? FANOUT_WARMUP_MESSAGES : FANOUT_MESSAGES }, (_, k) => ({
          clientId: `fanout-${kind}-${runId}-${k}`,
          from: 'writer',
          to: 'reader',
        })),
      paceMs: FANOUT_PACE_MS,
      perSend: FANOUT_STREAMS,
    });
    return deliveryRow(`1 user × ${int(FANOUT_STREAMS)} streams, fan-out`, d, [
      `${FANOUT_MESSAGES} messages (after ${FANOUT_WARMUP_MESSAGES} not measured) ${FANOUT_PACE_MS} ms apart from a friend, each to all ${int(FANOUT_STREAMS)} streams of one user (hub maxStreamsPerUser raised to ${FANOUT_STREAMS + 100}); latency = arrival on a stream − just before the POST, both in this process`,
    ]);
  } finally {
    await stopChild(parley.child);
  }
}
