/** How the benchmarks print figures: numbers, a Markdown table, progress lines on stderr. */

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
export const ms = (n: number, digits = 1) => (Number.isFinite(n) ? `${n.toFixed(digits)} ms` : '—');
export const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)} %` : '—');
export const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

/** A line on stderr while the benchmark runs, apart from the results on stdout. */
export function progress(text: string) {
  process.stderr.write(`  … ${text}\n`);
}

/** A Markdown table with padded columns. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** An error as one line of stderr: its stack where it has one. */
export const describeError = (err: unknown) =>
  err instanceof Error ? (err.stack ?? err.message) : String(err);
