/** Scenario `fanout-many`: 1,000 users holding one event stream each, a message to each from a friend. */
import { stopChild } from '../shared/children';
import { int } from '../shared/format';
import { deliveryRow, measureFanOut } from './delivery';
import { startParley } from './parley';
import type { Outcome } from './settings';

const MANY_READERS = 1000;
const MANY_WRITERS = 50;
/** Sends before the measured ones, not counted (as in scenario `fanout`). */
const MANY_WARMUP_SENDS = 100;
const MANY_PACE_MS = 5;

export async function scenarioFanoutMany(): Promise<Outcome> {
  const parley = await startParley({ setup: 'fanout-many', readers: MANY_READERS, senders: MANY_WRITERS });
  try {
    const { tokens } = parley.ready;
    const readers = parley.ready.info.readers as { reader: string; writer: string }[];
    const runId = Date.now().toString(36);
    const d = await measureFanOut(parley.ready, {
      streamTokens: readers.map((r) => tokens[r.reader] as string),
      opened: (n) => `fan-out (many users): ${n} streams open, one per user`,
      sends: (kind) =>
        (kind === 'warm' ? readers.slice(0, MANY_WARMUP_SENDS) : readers).map((r, k) => ({
          clientId: `many-${kind}-${runId}-${k}`,
          from: r.writer,
          to: r.reader,
        })),
      paceMs: MANY_PACE_MS,
      perSend: 1,
    });
    return deliveryRow(`${int(MANY_READERS)} users × 1 stream`, d, [
      `${int(MANY_READERS)} readers each holding one stream, each a friend of one of ${MANY_WRITERS} writers; one message to each reader (after ${MANY_WARMUP_SENDS} not measured), ${MANY_PACE_MS} ms apart (~${(1000 / MANY_PACE_MS / MANY_WRITERS).toFixed(0)} sends/s per writer, under the default limit)`,
    ]);
  } finally {
    await stopChild(parley.child);
  }
}
