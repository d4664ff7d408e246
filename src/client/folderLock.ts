/**
 * One process at a time in a data folder: a lock file holding `{ pid, startedAt, token }`.
 *
 * Node has no `flock`, so the lock is a file that exists while it is held. It is created complete or not
 * at all: the record is written to a temp file and hard-linked to the lock's name (`link` fails with EEXIST
 * if the name is taken, like `open(…, 'wx')`, but a reader can never see a lock created and not yet
 * written, which it could not tell from one left empty by a crash).
 *
 * A lock whose holder is gone (`process.kill(pid, 0)` throws ESRCH: a SIGKILL leaves it behind) is stale.
 * Two processes may see the same stale lock at once, and "remove it, then create mine" lets the slower one
 * remove the faster one's new lock. So a stale lock is removed only by the one process that creates its
 * breaker (`<lock>.break-<token of the stale lock>`, again create-if-absent), and only after reading the
 * lock again and finding the same token: while the breaker exists nobody else may remove that lock, and a
 * lock with that token never comes back once gone. A breaker left by a crash is itself a stale lock, broken
 * the same way.
 *
 * The token also tells apart locks of one pid: two storages of one process on one folder (the second waits
 * like any other), and a lock left by an earlier process that had this process's pid (a restarted
 * container's process is often pid 1 again): it is stale, since no storage of this process holds it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

interface LockRecord {
  pid: number;
  startedAt: number;
  token: string;
}

/** A lock file as read: its identity (the token, or a digest of an unreadable file) and its record. */
interface Found {
  identity: string;
  record: LockRecord | null;
}

export type LockAttempt = { held: true } | { held: false; holder: { pid: number } | null };

export interface FolderLock {
  /** Tries once (taking over a stale lock if need be); does not wait for a live holder. */
  tryAcquire(): Promise<LockAttempt>;
  /** Removes the lock file if it is this lock's; nothing otherwise. */
  release(): Promise<void>;
  held(): boolean;
}

/**
 * The tokens of the locks and breakers held in this process, shared by every copy of this module that may
 * be loaded (they must agree on which locks of this pid are alive).
 */
const liveTokens = sharedSet(Symbol.for('parley.folderLock.liveTokens'));

function sharedSet(key: symbol): Set<string> {
  const global = globalThis as Record<symbol, Set<string> | undefined>;
  const set = global[key] ?? new Set<string>();
  global[key] = set;
  return set;
}

/** Lock path → token, for the exit hook of this module copy. */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Best effort on the way out: `exit` handlers must be synchronous, hence the sync calls (never on the hot
 * path). Signals that end the process without `exit`, and SIGKILL, leave the lock stale, which the pid
 * check handles.
 */
function releaseAllSync() {
  for (const [path, token] of heldHere) {
    try {
      if (parse(readFileSync(path))?.token === token) unlinkSync(path);
    } catch {
      // Nothing more can be done on the way out.
    }
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

function parse(bytes: Buffer): LockRecord | null {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<LockRecord> | null;
    if (
      value &&
      Number.isSafeInteger(value.pid) &&
      (value.pid as number) > 0 &&
      typeof value.startedAt === 'number' &&
      typeof value.token === 'string' &&
      /^[A-Za-z0-9-]{1,64}$/.test(value.token)
    )
      return { pid: value.pid as number, startedAt: value.startedAt, token: value.token };
  } catch {
    // Not JSON: unreadable, returned as null.
  }
  return null;
}

async function read(path: string): Promise<Found | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
  return { identity: identityOf(bytes), record: parse(bytes) };
}

const identityOf = (bytes: Buffer) =>
  parse(bytes)?.token ?? `x${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;

/** A holder is alive while its process is; in this process, while one of its storages holds the token. */
function isAlive(record: LockRecord | null): record is LockRecord {
  if (record === null) return false;
  if (record.pid === process.pid) return liveTokens.has(record.token);
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return errorCode(error) !== 'ESRCH';
  }
}

const newRecord = (): LockRecord => ({ pid: process.pid, startedAt: Date.now(), token: randomUUID() });

async function removeIfPresent(path: string) {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/** Creates `path` holding `record` if nothing has that name; false if something does. */
async function createExclusive(path: string, record: LockRecord): Promise<boolean> {
  const temp = `${path}.${record.token}.tmp`;
  await writeFile(temp, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await removeIfPresent(temp);
  }
}

/** Removes the lock file at `path` if it still has `identity`, unless another process is doing it now. */
async function breakStale(lockPath: string, path: string, identity: string, depth = 0): Promise<void> {
  const breaker = `${lockPath}.break-${identity}`;
  const mine = newRecord();
  if (!(await createExclusive(breaker, mine))) {
    const other = await read(breaker);
    if (other && !isAlive(other.record) && depth < 3)
      await breakStale(lockPath, breaker, other.identity, depth + 1);
    return;
  }
  liveTokens.add(mine.token);
  try {
    if ((await read(path))?.identity === identity) await removeIfPresent(path);
  } finally {
    liveTokens.delete(mine.token);
    await removeIfPresent(breaker);
  }
}

/**
 * What a racer that read the lock and found it stale does next, however late: removes the lock at `path`
 * only if it is still the one whose bytes it read. Exported for its test; `tryAcquire` is the way in.
 */
export const breakStaleLock = (path: string, seen: Buffer) => breakStale(path, path, identityOf(seen));

/** Helper files older than this are left by a crash: the steps that make them take microseconds. */
const LEFTOVER_AGE_MS = 10_000;

/**
 * Removes breakers and temp files a crash left beside the lock (none can concern the new lock); best effort,
 * as they only take room.
 */
async function removeLeftovers(lockPath: string, token: string) {
  const prefix = `${basename(lockPath)}.`;
  const dir = dirname(lockPath);
  try {
    for (const name of await readdir(dir)) {
      if (!name.startsWith(prefix) || name.includes(token)) continue;
      const path = join(dir, name);
      if (Date.now() - (await stat(path)).mtimeMs > LEFTOVER_AGE_MS) await removeIfPresent(path);
    }
  } catch {
    // One gone meanwhile, or not ours to remove: they are tried again at the next acquisition.
  }
}

/** The lock at `path` (its folder must exist). */
export function createFolderLock(path: string): FolderLock {
  let mine: LockRecord | null = null;
  return {
    held: () => mine !== null,
    async tryAcquire() {
      if (mine) return { held: true };
      // A few rounds: the lock may be released or broken between our create and our read.
      for (let round = 0; round < 3; round++) {
        const record = newRecord();
        if (await createExclusive(path, record)) {
          mine = record;
          liveTokens.add(record.token);
          heldHere.set(path, record.token);
          if (!exitHookInstalled) {
            exitHookInstalled = true;
            process.once('exit', releaseAllSync);
          }
          await removeLeftovers(path, record.token);
          return { held: true };
        }
        const found = await read(path);
        if (found === null) continue;
        if (isAlive(found.record)) return { held: false, holder: { pid: found.record.pid } };
        await breakStale(path, path, found.identity);
      }
      return { held: false, holder: null };
    },
    async release() {
      if (!mine) return;
      const { token } = mine;
      mine = null;
      heldHere.delete(path);
      try {
        if ((await read(path))?.identity === token) await removeIfPresent(path);
      } finally {
        liveTokens.delete(token);
      }
    },
  };
}
