/** Scenario `poll`: an empty conditional poll answered 304, against a bare node:http server answering JSON. */
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { ServeReady } from '../serve/options';
import { startChild, stopChild } from '../shared/children';
import { int, pct, progress } from '../shared/format';
import { ROOT } from '../shared/results';
import { median } from '../shared/stats';
import { cannon, describeStatuses, onlyStatus, pressures, type RoundFigures } from './load';
import { startParley } from './parley';
import { CONNECTIONS, type Outcome, ROUND_SECONDS, ROUNDS, WARMUP_SECONDS } from './settings';

const BARE = fileURLToPath(new URL('bare.ts', import.meta.url));

/**
 * alice's poll of her conversation with bob after its last message, with the ETag of its first answer:
 * checked to be answered 200 `[]` without it and 304 with it. `label` starts the error when it is not.
 */
export async function conditionalPoll(ready: ServeReady, label: string) {
  const token = ready.tokens.alice as string;
  const url = `http://127.0.0.1:${ready.port}/api/messages?peer=bob&after=${ready.info.lastId}`;
  const first = await request(url, { headers: { authorization: `Bearer ${token}` } });
  const firstBody = await first.body.text();
  const etag = first.headers.etag;
  if (first.statusCode !== 200 || typeof etag !== 'string' || firstBody !== '[]') {
    throw new Error(`${label}: first request answered ${first.statusCode} ${firstBody} (etag ${etag})`);
  }
  const headers = { authorization: `Bearer ${token}`, 'if-none-match': etag };
  const check = await request(url, { headers });
  await check.body.text();
  if (check.statusCode !== 304) throw new Error(`${label}: conditional request answered ${check.statusCode}`);
  return { url, headers };
}

export async function scenarioPoll(): Promise<Outcome> {
  const [parley, bare] = await Promise.all([
    startParley({ setup: 'poll' }),
    startChild<{ port: number }>(BARE, [], { cwd: ROOT }),
  ]);
  try {
    const { url, headers } = await conditionalPoll(parley.ready, 'poll setup');
    const bareUrl = `http://127.0.0.1:${bare.ready.port}/`;
    const parleyPid = parley.child.pid;
    const barePid = bare.child.pid;
    await cannon({ url, headers, duration: WARMUP_SECONDS }, parleyPid);
    await cannon({ url: bareUrl, duration: WARMUP_SECONDS }, barePid);
    const parleyRounds: RoundFigures[] = [];
    const bareRounds: RoundFigures[] = [];
    // Interleaved, so drift in the machine's speed affects both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      parleyRounds.push(await cannon({ url, headers, duration: ROUND_SECONDS }, parleyPid));
      bareRounds.push(await cannon({ url: bareUrl, duration: ROUND_SECONDS }, barePid));
      progress(
        `poll round ${round + 1}/${ROUNDS}: Parley ${int(parleyRounds.at(-1)?.rps ?? Number.NaN)}/s, bare ${int(bareRounds.at(-1)?.rps ?? Number.NaN)}/s`,
      );
    }
    const parleyRps = median(parleyRounds.map((r) => r.rps));
    const bareRps = median(bareRounds.map((r) => r.rps));
    const ratio = parleyRps / bareRps;
    const valid = onlyStatus(parleyRounds, 304) && onlyStatus(bareRounds, 200);
    const notes = [
      `Parley answers: ${describeStatuses(parleyRounds)}; bare answers: ${describeStatuses(bareRounds)}`,
      `per round, Parley req/s: ${parleyRounds.map((r) => int(r.rps)).join(', ')}; bare: ${bareRounds.map((r) => int(r.rps)).join(', ')}; CPU pressure after each (PSI avg10, %): ${pressures(parleyRounds)} / ${pressures(bareRounds)}`,
      `CPU (share of one core, median) — Parley server ${pct(median(parleyRounds.map((r) => r.serverCpu ?? Number.NaN)))}, bare server ${pct(median(bareRounds.map((r) => r.serverCpu ?? Number.NaN)))}, load generator ${pct(median(parleyRounds.map((r) => r.loadGeneratorCpu)))} / ${pct(median(bareRounds.map((r) => r.loadGeneratorCpu)))}`,
    ];
    const parleyCpu = median(parleyRounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
    const bareCpu = median(bareRounds.map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
    notes.push(
      `server CPU per request (median): Parley ${parleyCpu.toFixed(0)} µs, bare ${bareCpu.toFixed(0)} µs; bare ÷ Parley = ${pct(bareCpu / parleyCpu)} (the same comparison by CPU cost, which other load on the machine disturbs less)`,
    );
    if (!valid) notes.push('INVALID: some answers were not the expected status (see above)');
    return {
      row: {
        scenario: 'Empty poll → 304 (req/s)',
        figure: int(parleyRps),
        baseline: `${int(bareRps)} (bare node:http)`,
        ratio: pct(ratio),
        goal: '≥ 60 % of bare',
        pass: valid && ratio >= 0.6,
        notes,
      },
      data: {
        parleyRps,
        bareRps,
        ratio,
        parleyCpuUsPerRequest: parleyCpu,
        bareCpuUsPerRequest: bareCpu,
        valid,
        parleyRounds,
        bareRounds,
        connections: CONNECTIONS,
        pipelining: 1,
      },
    };
  } finally {
    await Promise.all([stopChild(parley.child), stopChild(bare.child)]);
  }
}
