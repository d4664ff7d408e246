import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost; tests lower it to stay fast, the stored hash records the cost it was made with. */
export interface HashingOptions {
  cost: number;
}

export const DEFAULT_HASHING: HashingOptions = { cost: 2 ** 15 };

const scryptAsync = (password: string, salt: Buffer, cost: number) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      32,
      { N: cost, r: 8, p: 1, maxmem: 256 * cost * 8 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );

export async function hashPassword(
  password: string,
  opts: HashingOptions = DEFAULT_HASHING,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, opts.cost);
  return `scrypt$${opts.cost}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, cost, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !cost || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(cost));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to verify against when the user does not exist, so that answer takes as long as a wrong password. */
let decoy: Promise<string> | undefined;
export const decoyHash = (opts: HashingOptions) => {
  decoy ??= hashPassword('not a password of anyone', opts);
  return decoy;
};

/**
 * A token is `<id>.<secret>`: the id finds the row, the secret (256 random bits) is stored only as its
 * SHA-256 and compared in constant time, so neither a database leak nor a timing probe reveals a token.
 */
export function newToken(): { token: string; id: string; secretHash: Buffer } {
  const id = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${id}.${secret}`, id, secretHash: hashSecret(secret) };
}

export function splitToken(token: string): { id: string; secret: string } | null {
  const match = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { id: match[1] as string, secret: match[2] as string } : null;
}

export const hashSecret = (secret: string): Buffer => hash('sha256', secret, 'buffer');

export const secretMatches = (secret: string, stored: Buffer): boolean => {
  const actual = hashSecret(secret);
  return actual.length === stored.length && timingSafeEqual(actual, stored);
};

/**
 * `secretMatches` that remembers, per token id, the secret that last matched its stored hash, so a client's
 * every request is not one more SHA-256 (about 7 µs of a poll in a loaded server). The token record is still
 * looked up each time, so revocation and the cache's TTL work as before; an entry counts only for the very
 * hash it was checked against; a different secret is compared in constant time and then hashed as usual.
 * Raw secrets stay in this process's memory only (at most `maxEntries`); the database holds hashes alone.
 */
export function createSecretCheck(maxEntries = 10_000) {
  const verified = new Map<string, { secret: string; hash: Buffer }>();
  return (tokenId: string, secret: string, stored: Buffer): boolean => {
    const known = verified.get(tokenId);
    // The cached token record hands over the very same Buffer each time: no byte comparison needed then.
    if (known && (known.hash === stored || known.hash.equals(stored)) && sameString(known.secret, secret))
      return true;
    if (!secretMatches(secret, stored)) return false;
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
    verified.set(tokenId, { secret, hash: stored });
    return true;
  };
}

/** Compares two strings in time that depends only on their length. */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
