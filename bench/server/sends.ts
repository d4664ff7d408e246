/** Scenario `sends`: 500 senders posting to one recipient, every send a new message (201). */
import type { Options as CannonOptions } from 'autocannon';
import { request } from 'undici';
import { stopChild } from '../shared/children';
import { int, pct, progress } from '../shared/format';
import { median } from '../shared/stats';
import { cannon, describeStatuses, onlyStatus, pressures, type RoundFigures } from './load';
import { startParley } from './parley';
import { CONNECTIONS, type Outcome, ROUND_SECONDS, ROUNDS, WARMUP_SECONDS } from './settings';

const SENDERS = 500;

export async function scenarioSends(): Promise<Outcome> {
  const parley = await startParley({ setup: 'sends', senders: SENDERS });
  try {
    const senders = parley.ready.info.senders as string[];
    const auth = senders.map((s) => `Bearer ${parley.ready.tokens[s]}`);
    const url = `http://127.0.0.1:${parley.ready.port}/api/messages`;
    const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    let seq = 0;
    const options = (duration: number): CannonOptions => ({
      url,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/api/messages',
          // A new sender (round-robin) and a new clientId for every request.
          setupRequest: (req) => {
            const n = seq++;
            return {
              ...req,
              headers: {
                ...req.headers,
                authorization: auth[n % auth.length] as string,
                'content-type': 'application/json',
              },
              body: JSON.stringify({
                to: 'recipient',
                content: `benchmark message ${n}`,
                clientId: `${runId}-${n}`,
              }),
            };
          },
        },
      ],
    });
    const warmup = await cannon(options(WARMUP_SECONDS), parley.child.pid);
    const rounds: RoundFigures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push(await cannon(options(ROUND_SECONDS), parley.child.pid));
      progress(`sends round ${round + 1}/${ROUNDS}: ${int(rounds.at(-1)?.rps ?? Number.NaN)}/s`);
    }
    // Every 201 must be a stored message: the recipient's unread counts, summed over the senders, say how many.
    // A send in flight when a round stops is stored without its answer being counted: at most one per connection.
    const created = [warmup, ...rounds].reduce((a, r) => a + (r.statusCodes['201'] ?? 0), 0);
    const friends = await request(`http://127.0.0.1:${parley.ready.port}/api/friends`, {
      headers: { authorization: `Bearer ${parley.ready.tokens.recipient}` },
    });
    const unread = ((await friends.body.json()) as { unread: number }[]).reduce((a, f) => a + f.unread, 0);
    const rps = median(rounds.map((r) => r.rps));
    const inFlight = unread - created;
    const stored = inFlight >= 0 && inFlight <= CONNECTIONS * (rounds.length + 1);
    const valid = onlyStatus([warmup, ...rounds], 201) && stored;
    const perSender = rps / senders.length;
    const notes = [
      `${senders.length} senders, each a friend of the recipient, round-robin; default send limit (20/s, burst 40 per user): ~${perSender.toFixed(1)} sends/s per sender`,
      `answers: ${describeStatuses(rounds)} (after a warm-up of ${int(warmup.requests)}); the recipient has ${int(unread)} unread messages for ${int(created)} answers 201${stored ? ` (+${inFlight} in flight when a round stopped)` : ' — MISMATCH'}`,
      `per round, sends/s: ${rounds.map((r) => int(r.rps)).join(', ')}; server CPU ${pct(median(rounds.map((r) => r.serverCpu ?? Number.NaN)))} (${median(rounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)).toFixed(0)} µs per send), load generator ${pct(median(rounds.map((r) => r.loadGeneratorCpu)))}; CPU pressure after each round (PSI avg10, %): ${pressures(rounds)}`,
    ];
    if (!valid) notes.push('INVALID: not every answer was 201, or not every 201 stored one message');
    return {
      row: {
        scenario: 'Sends to one recipient (201/s)',
        figure: int(rps),
        baseline: '—',
        ratio: '—',
        goal: '≥ 3,000/s, all 201',
        pass: valid && rps >= 3000,
        notes,
      },
      data: { rps, valid, senders: senders.length, rounds, connections: CONNECTIONS, pipelining: 1 },
    };
  } finally {
    await stopChild(parley.child);
  }
}
