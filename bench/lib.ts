/** What every benchmark script needs: settings from the environment, percentiles, CPU pressure, a table. */
import { readFileSync } from 'node:fs';

/** A whole-number setting from the environment (≥ 1), or the fallback; anything else stops the run. */
export function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, not "${text}".`);
  return n;
}

/** Nearest-rank percentile (p in 0–100); NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export const median = (values: number[]) => percentile(values, 50);

/** Linux CPU pressure (PSI "some", in %), a reading of how much other work competed; null without /proc. */
export function cpuPressure(window: 'avg10' | 'avg60' = 'avg60'): number | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const match = new RegExp(`${window}=([\\d.]+)`).exec(line);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** A Markdown table with padded columns. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
