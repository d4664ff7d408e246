/** Settings from the environment: a value that is not what the benchmark expects stops the run. */

/** A whole-number setting from the environment (≥ 1), or the fallback; anything else stops the run. */
export function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, not "${text}".`);
  return n;
}

/** A switch: on only when the variable is `1`. */
export const flagFromEnv = (name: string): boolean => process.env[name] === '1';
