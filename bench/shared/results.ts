/** Where the benchmarks write what they measured: bench/results/ (not committed), and in what form. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout the benchmarks run from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** A date as part of a file name. */
export const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

export function ensureResultsDir(sub = ''): string {
  const dir = join(RESULTS_DIR, sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes bench/results/<name>-<date>.json and returns its path. */
export function writeResults(name: string, date: Date, text: string): string {
  const file = join(ensureResultsDir(), `${name}-${stamp(date)}.json`);
  writeFileSync(file, text);
  return file;
}

/** Node options for a child that writes a CPU profile into bench/results/profiles when `on`. */
export const cpuProfileArgs = (on: boolean) =>
  on ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`] : [];

/**
 * JSON as the repository's formatter (Biome) would lay it out, so `biome check` passes on the results too:
 * two-space indent, and an array of plain values on one line when that line fits in 110 columns.
 */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  const collapsed = text.replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (whole, body: string, offset: number) => {
    const line = `[${body
      .split(',\n')
      .map((item) => item.trim())
      .join(', ')}]`;
    const column = offset - (text.lastIndexOf('\n', offset) + 1);
    return column + line.length + 1 <= 110 ? line : whole;
  });
  return `${collapsed}\n`;
}
