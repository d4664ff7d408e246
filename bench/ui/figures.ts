/** What the page's figures say about a window of time: its long tasks, and what made its frames long. */
import { ms as formatMs } from '../shared/format';
import type { Loaf, LongTask } from './instrument';

/** bench:ui's times are printed in whole ms. */
export const ms = (n: number) => formatMs(n, 0);

/** The long tasks (> 50 ms) that overlap [from, to]. */
export const inWindow = (tasks: LongTask[], from: number, to: number) =>
  tasks.filter((t) => t.start + t.duration >= from && t.start <= to && t.duration > 50);

/** The biggest contributors to long animation frames in a window: script (by source and invoker) or rendering. */
export function attribution(loafs: Loaf[], from: number, to: number): string[] {
  const totals = new Map<string, number>();
  let render = 0;
  for (const f of loafs) {
    if (f.start + f.duration < from || f.start > to || f.duration <= 50) continue;
    render += f.renderMs;
    for (const s of f.scripts) {
      const source = s.sourceURL.replace(/^https?:\/\/[^/]+/, '') || '(inline)';
      const key = `${s.invoker} ${source}${s.sourceFunctionName ? ` ${s.sourceFunctionName}` : ''}`;
      totals.set(key, (totals.get(key) ?? 0) + s.duration);
      if (s.forcedStyleAndLayoutDuration > 0)
        totals.set(
          '(forced style/layout in scripts)',
          (totals.get('(forced style/layout in scripts)') ?? 0) + s.forcedStyleAndLayoutDuration,
        );
    }
  }
  if (render > 0) totals.set('(style + layout + paint at frame end)', render);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${v.toFixed(0)} ms`);
}
