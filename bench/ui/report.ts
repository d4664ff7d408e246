/** bench:ui's table, the notes under it, and its results file. */
import { cpus, loadavg } from 'node:os';
import { markdownTable } from '../shared/format';
import { writeResults } from '../shared/results';
import { median, percentile } from '../shared/stats';
import type { Kind } from './browser';
import type { BurstRound } from './burst';
import { ms } from './figures';
import type { LongTask } from './instrument';
import type { OpenRound } from './open';
import {
  API_PAGE_MAX,
  BURST_RATE,
  BURST_ROUNDS,
  BURST_SECONDS,
  CATCH_UP_LIMIT_MS,
  GOALS,
  MESSAGES,
  OPEN_ROUNDS,
  SELECTION_DEBOUNCE_MS,
  VIEWPORT,
} from './settings';

interface Row {
  measure: string;
  parley: string;
  baseline: string;
  goal: string;
  pass: boolean | null;
}

export interface Measured {
  startedAt: Date;
  build: string;
  chromiumVersion: string;
  seedMs: number;
  opens: Record<Kind, OpenRound[]>;
  bursts: Record<Kind, BurstRound[]>;
  /** The burst on Parley with the inspector open. */
  inspected: BurstRound[];
}

const show = (m: Measured, k: Kind) => median(m.opens[k].map((r) => r.shownMs));
const keys = (m: Measured, k: Kind) => m.bursts[k].flatMap((r) => r.keyLatencies);
const taskText = (tasks: LongTask[], rounds: number) =>
  tasks.length === 0
    ? `0 in ${rounds} rounds`
    : `${tasks.length} in ${rounds} rounds (max ${ms(Math.max(...tasks.map((t) => t.duration)))}, total ${ms(tasks.reduce((a, t) => a + t.duration, 0))})`;

/** The table's rows, each measure for both pages beside its goal. */
function rowsOf(m: Measured): Row[] {
  const { opens, bursts, inspected } = m;
  const openTasks = (k: Kind) => opens[k].flatMap((r) => r.longTasks);
  const burstTasks = (k: Kind) => bursts[k].flatMap((r) => r.longTasks);
  const maxNodes = (k: Kind) =>
    Math.max(...opens[k].map((r) => r.nodes), ...bursts[k].map((r) => r.maxNodes));
  const parleyShowNet = show(m, 'parley') - SELECTION_DEBOUNCE_MS;
  const p = (k: Kind, q: number) => percentile(keys(m, k), q);
  const inspectedKeys = inspected.flatMap((r) => r.keyLatencies);
  return [
    {
      measure: 'Open 10,000 msgs: click → newest visible (median)',
      parley: ms(show(m, 'parley')),
      baseline: ms(show(m, 'baseline')),
      goal: '',
      pass: null,
    },
    {
      measure: `  … minus the ${SELECTION_DEBOUNCE_MS} ms selection debounce`,
      parley: ms(parleyShowNet),
      baseline: `${ms(show(m, 'baseline'))} (no debounce)`,
      goal: `≤ ${GOALS.showMs} ms`,
      pass: parleyShowNet <= GOALS.showMs,
    },
    {
      measure: 'Long tasks > 50 ms while opening',
      parley: taskText(openTasks('parley'), OPEN_ROUNDS),
      baseline: taskText(openTasks('baseline'), OPEN_ROUNDS),
      goal: '0',
      pass: openTasks('parley').length === 0,
    },
    {
      measure: `Long tasks > 50 ms, ${BURST_RATE} msgs/s for ${BURST_SECONDS} s`,
      parley: taskText(burstTasks('parley'), BURST_ROUNDS),
      baseline: taskText(burstTasks('baseline'), BURST_ROUNDS),
      goal: '0',
      pass: burstTasks('parley').length === 0,
    },
    {
      measure: 'Message DOM nodes in the log (max)',
      parley: maxNodes('parley').toLocaleString('en-US'),
      baseline: maxNodes('baseline').toLocaleString('en-US'),
      goal: `≤ ${GOALS.nodes}`,
      pass: maxNodes('parley') <= GOALS.nodes,
    },
    {
      measure: 'Typing during the burst: key → next frame p50',
      parley: ms(p('parley', 50)),
      baseline: ms(p('baseline', 50)),
      goal: '',
      pass: null,
    },
    {
      measure: '  … p99',
      parley: ms(p('parley', 99)),
      baseline: ms(p('baseline', 99)),
      goal: `≤ ${GOALS.typingMs} ms`,
      pass: p('parley', 99) <= GOALS.typingMs,
    },
    {
      measure: '  … max',
      parley: ms(p('parley', 100)),
      baseline: ms(p('baseline', 100)),
      goal: '',
      pass: null,
    },
    {
      measure: `Inspector open, ${BURST_RATE} msgs/s for ${BURST_SECONDS} s: long tasks > 50 ms`,
      parley: taskText(
        inspected.flatMap((r) => r.longTasks),
        BURST_ROUNDS,
      ),
      baseline: '—',
      goal: '0',
      pass: inspected.every((r) => r.longTasks.length === 0),
    },
    {
      measure: '  … typing key → next frame p50 / p99 / max',
      parley: [50, 99, 100].map((q) => ms(percentile(inspectedKeys, q))).join(' / '),
      baseline: '—',
      goal: `p99 ≤ ${GOALS.typingMs} ms`,
      pass: percentile(inspectedKeys, 99) <= GOALS.typingMs,
    },
  ];
}

/** Every burst sent without a refusal and its last message shown. */
const validOf = ({ bursts, inspected }: Measured) =>
  inspected.every((r) => r.refused === 0 && r.lastShown) &&
  bursts.parley.every((r) => r.refused === 0 && r.lastShown) &&
  bursts.baseline.every((r) => r.refused === 0 && r.lastShown);

/** The lines under the table: how the figures came about. */
function notesOf(m: Measured, valid: boolean): string[] {
  const { opens, bursts, inspected } = m;
  const inspectedKeys = inspected.flatMap((r) => r.keyLatencies);
  const notes = [
    `keys typed per page: ${keys(m, 'parley').length} / ${keys(m, 'baseline').length}; Event Timing max duration of key/input events: Parley ${ms(Math.max(...bursts.parley.map((r) => r.eventTimingMax)))}, baseline ${ms(Math.max(...bursts.baseline.map((r) => r.eventTimingMax)))}`,
    `Parley opening, medians from the click: first messages request ${ms(median(opens.parley.map((r) => r.firstRequestMs)))} (the debounce), last answer in ${ms(median(opens.parley.map((r) => r.lastResponseMs)))}, newest shown ${ms(show(m, 'parley'))}; baseline: first request ${ms(median(opens.baseline.map((r) => r.firstRequestMs)))}, last of its ${Math.ceil(MESSAGES / API_PAGE_MAX)} answers ${ms(median(opens.baseline.map((r) => r.lastResponseMs)))}, shown ${ms(show(m, 'baseline'))}`,
    `per open round, shown after (ms): Parley ${opens.parley.map((r) => r.shownMs.toFixed(0)).join(', ')}; baseline ${opens.baseline.map((r) => r.shownMs.toFixed(0)).join(', ')}`,
    `node samples during the burst (each second): Parley ${bursts.parley.map((r) => r.nodeSamples.join(' ')).join(' | ')}; baseline ${bursts.baseline.map((r) => r.nodeSamples.join(' ')).join(' | ')}`,
    `burst sends refused: Parley ${bursts.parley.map((r) => r.refused).join(', ')}, baseline ${bursts.baseline.map((r) => r.refused).join(', ')}; last burst message visible in the log (within ${CATCH_UP_LIMIT_MS / 1000} s), after: Parley ${bursts.parley.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}, baseline ${bursts.baseline.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}`,
  ];
  for (const k of ['parley', 'baseline'] as const) {
    const open = opens[k].flatMap((r) => r.attribution);
    const burst = bursts[k].flatMap((r) => r.attribution);
    if (open.length)
      notes.push(
        `${k} long frames while opening, by cause (summed, long-animation-frame): ${[...new Set(open)].slice(0, 4).join('; ')}`,
      );
    if (burst.length)
      notes.push(`${k} long frames during the burst, by cause: ${burst.slice(0, 4).join('; ')}`);
  }
  notes.push(
    `inspector open: keys typed ${inspectedKeys.length}; last burst message visible after ${inspected.map((r) => (r.lastShown ? ms(r.caughtUpMs) : 'never')).join(', ')}; long frames by cause: ${
      inspected
        .flatMap((r) => r.attribution)
        .slice(0, 4)
        .join('; ') || 'none'
    }`,
  );
  if (!valid) notes.push('INVALID: some burst sends were refused or the last one was not shown (see above)');
  const traces = bursts.parley.flatMap((r) => (r.traceFile ? [r.traceFile] : []));
  if (traces.length) notes.push(`Chromium traces: ${traces.join(', ')}`);
  return notes;
}

/** Prints the table and its notes, and writes bench/results/ui-<date>.json. */
export function report(m: Measured) {
  const { startedAt, build, chromiumVersion, seedMs, opens, bursts, inspected } = m;
  const rows = rowsOf(m);
  const valid = validOf(m);
  const notes = notesOf(m, valid);
  const cpu = cpus()[0]?.model ?? 'unknown';
  const header = [
    `Parley UI benchmark — ${startedAt.toISOString()}`,
    `Node ${process.version}; Chromium ${chromiumVersion}; CPU ${cpu} × ${cpus().length}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; build ${build}`,
    `Conversation: ${MESSAGES.toLocaleString('en-US')} seeded messages (store writes in the child); open rounds ${OPEN_ROUNDS}, burst rounds ${BURST_ROUNDS}; viewport ${VIEWPORT.width}×${VIEWPORT.height}`,
  ];
  const table = markdownTable(
    ['Measure', 'Parley', 'Baseline (refetch all / 2 s)', 'Goal', 'Parley'],
    rows.map((r) => [
      r.measure,
      r.parley,
      r.baseline,
      r.goal,
      r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL',
    ]),
  );
  const out = [...header, '', table, '', ...notes.map((n) => `- ${n}`)];
  process.stdout.write(`\n${out.join('\n')}\n`);

  const file = writeResults(
    'ui',
    startedAt,
    `${JSON.stringify(
      {
        date: startedAt.toISOString(),
        node: process.version,
        chromium: chromiumVersion,
        cpu,
        cores: cpus().length,
        build,
        messages: MESSAGES,
        seeding: 'store writes in the server child (insertMessage), users and friendship through app.inject',
        seedMs,
        goals: GOALS,
        rows,
        valid,
        notes,
        opens,
        bursts,
        inspected,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nResults: ${file}\n`);
}
