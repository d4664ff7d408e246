/** Token secrets: the remembered check must accept exactly what a fresh SHA-256 comparison accepts. */
import { describe, expect, it, vi } from 'vitest';
import { createSecretCheck, hashSecret, newToken, splitToken } from '../../src/server/credentials';

const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    hash: (...args: Parameters<typeof real.hash>) => {
      hashes.count += 1;
      return real.hash(...args);
    },
  };
});

const token = () => {
  const { token, id, secretHash } = newToken();
  return { id, secretHash, secret: (splitToken(token) as { secret: string }).secret };
};

describe('createSecretCheck', () => {
  it('accepts the secret of a token, again and again, and refuses any other, also after a success', () => {
    const check = createSecretCheck();
    const t = token();
    const other = token();
    for (let i = 0; i < 3; i++) expect(check(t.id, t.secret, t.secretHash)).toBe(true);
    expect(check(t.id, other.secret, t.secretHash)).toBe(false);
    const lastCharChanged = `${t.secret.slice(0, -1)}${t.secret.endsWith('A') ? 'B' : 'A'}`;
    expect(check(t.id, lastCharChanged, t.secretHash)).toBe(false);
    expect(check(t.id, '', t.secretHash)).toBe(false);
    expect(check(t.id, t.secret, t.secretHash)).toBe(true);
  });

  it('counts a remembered secret only against the hash it was checked with', () => {
    const check = createSecretCheck();
    const t = token();
    expect(check(t.id, t.secret, t.secretHash)).toBe(true);
    // The same id now stands for another secret (a store that reissued it): the old secret must fail.
    const reissued = hashSecret(token().secret);
    expect(check(t.id, t.secret, reissued)).toBe(false);
  });

  it('hashes a token’s secret once, not on every request', () => {
    const check = createSecretCheck();
    const t = token();
    const before = hashes.count;
    for (let i = 0; i < 5; i++) expect(check(t.id, t.secret, t.secretHash)).toBe(true);
    expect(hashes.count - before).toBe(1);
  });

  it('remembers at most maxEntries tokens, and still checks the forgotten ones correctly', () => {
    const check = createSecretCheck(2);
    const tokens = [token(), token(), token()];
    for (const t of tokens) expect(check(t.id, t.secret, t.secretHash)).toBe(true);
    for (const t of tokens) expect(check(t.id, t.secret, t.secretHash)).toBe(true);
    expect(check(tokens[0]!.id, tokens[1]!.secret, tokens[0]!.secretHash)).toBe(false);
  });
});
