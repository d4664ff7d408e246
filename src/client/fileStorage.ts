/**
 * A `ParleyStorage` for Node whose outbox survives the process: a message accepted is on disk before
 * `putOutgoing` resolves, and the next process on the same folder sends it with the same clientId.
 *
 * - One file per outgoing message, `outbox/<sha256 of username and clientId>.json`, rather than one journal:
 *   a put is a rename and a removal an unlink, each atomic on its own, with no compaction, and a damaged
 *   file costs one message, not the rest of the journal. The outbox is small (messages the server does not
 *   have yet), so reading every file at start is cheap. The name is a digest because a clientId is any 1
 *   to 64 characters (up to 256 bytes of UTF-8: too long, hex-encoded, for a file name) and because names
 *   differing only in case are one file on macOS and Windows; the file itself holds the clientId.
 * - Each file holds a sequence number, given in call order, so the outbox loads in the order written even
 *   within one millisecond (`createdAt` cannot tell those apart).
 * - The session, the friends list and the open conversation (`loadView`) stay in memory: the automation server signs in from its environment
 *   at each start, and a token on disk would be one more secret to protect.
 * - One process at a time (src/client/folderLock.ts), and nothing is read for sending before `open()`:
 *   see `FileStorage`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createMemoryStorage } from '../../machines';
import type { OutgoingMessage, ParleyStorage } from '../../machines/ports';
import { createFolderLock } from './folderLock';

export interface FileStorageOptions {
  /** This user's data folder (the automation server passes `PARLEY_DATA_DIR/<username>`). */
  dir: string;
  /** How often `acquire()` tries again while another live process holds the folder. */
  retryMs?: number;
  /** Where warnings go (an unreadable message file set aside); stderr by default. */
  warn?: (message: string) => void;
}

export interface FileStorage extends ParleyStorage {
  /** The data folder, absolute. */
  readonly dir: string;
  /**
   * Takes the folder's lock: creates the folder (mode 0700), then tries every `retryMs` while another
   * live process holds it. Resolves true once held, false if `close()` came first; rejects on a file system
   * error (after which it may be called again). Calling it again returns the same attempt.
   */
  acquire(): Promise<boolean>;
  /** Whether this storage holds the folder (and has read it): only then may it write. */
  isHeld(): boolean;
  /** The live process holding the folder when this storage does not (as of the last try), else null. */
  holder(): { pid: number } | null;
  /**
   * Lets `loadOutbox` answer (it also waits for the lock, taking it if `acquire()` was not called). Until
   * then the outbox stays loading and nothing is sent: the automation server opens the storage when its
   * first client has connected, so a short-lived probe copy of it never drains the folder.
   */
  open(): void;
  /** Stops trying, waits for writes under way, and releases the lock if held. Final. */
  close(): Promise<void>;
}

/** What one message file holds. */
interface StoredMessage {
  version: 1;
  /** Its place in the order written: one more than the highest on disk when written. */
  seq: number;
  username: string;
  message: OutgoingMessage;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

// A username is [a-z0-9_] (src/contract), so a newline separates it from the clientId unambiguously.
const fileNameOf = (username: string, clientId: string) =>
  `${createHash('sha256').update(`${username}\n${clientId}`).digest('hex')}.json`;

const MESSAGE_FILE = /^[0-9a-f]{64}\.json$/;
const TEMP_SUFFIX = '.tmp';

/** The message a file holds, or why it is unreadable. */
function parseStored(name: string, text: string): StoredMessage | string {
  let value: Partial<StoredMessage> | null;
  try {
    value = JSON.parse(text) as Partial<StoredMessage> | null;
  } catch (error) {
    return `not JSON (${describe(error)})`;
  }
  const m = value?.message as Partial<OutgoingMessage> | undefined;
  if (
    value?.version !== 1 ||
    !Number.isSafeInteger(value.seq) ||
    typeof value.username !== 'string' ||
    typeof m?.clientId !== 'string' ||
    typeof m.to !== 'string' ||
    typeof m.content !== 'string' ||
    typeof m.createdAt !== 'number' ||
    (m.id !== undefined && !Number.isSafeInteger(m.id))
  )
    return 'not an outgoing message';
  if (fileNameOf(value.username, m.clientId) !== name) return 'its name does not match its message';
  const message: OutgoingMessage = {
    clientId: m.clientId,
    to: m.to,
    content: m.content,
    createdAt: m.createdAt,
  };
  if (m.id !== undefined) message.id = m.id;
  return { version: 1, seq: value.seq as number, username: value.username, message };
}

/** Makes a rename or a new file in `dir` durable; a no-op where directories cannot be synced (Windows). */
async function syncDir(dir: string) {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** Writes `name` in `dir` whole or not at all, and durably: temp file, fsync, rename, fsync the folder. */
async function writeDurably(dir: string, name: string, text: string) {
  const temp = join(dir, `${name}.${randomUUID()}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDir(dir);
}

export function createFileStorage(options: FileStorageOptions): FileStorage {
  const dir = resolve(options.dir);
  const outboxDir = join(dir, 'outbox');
  const corruptDir = join(dir, 'corrupt');
  const retryMs = options.retryMs ?? 500;
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const lock = createFolderLock(join(dir, 'parley.lock'));

  // What stays in memory is kept exactly as the core's memory storage keeps it.
  const memory = createMemoryStorage();

  let held = false;
  let closed = false;
  let holderPid: number | null = null;
  let nextSeq = 0;
  let acquiring: Promise<boolean> | null = null;
  /** The try under way, which `close()` waits for (it may take the lock as `close()` begins). */
  let trying: Promise<unknown> = Promise.resolve();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopWaiting: (() => void) | undefined;

  let markOpened!: () => void;
  let failOpened!: (error: Error) => void;
  const opened = new Promise<void>((res, rej) => {
    markOpened = res;
    failOpened = rej;
  });
  // Nobody may be waiting when close() rejects it.
  opened.catch(() => {});

  /** Writes per file, in call order; a failed write does not hold back the next. */
  const writes = new Map<string, Promise<void>>();
  function serialized(name: string, write: () => Promise<void>): Promise<void> {
    const next = (writes.get(name) ?? Promise.resolve()).catch(() => {}).then(write);
    writes.set(name, next);
    const forget = () => {
      if (writes.get(name) === next) writes.delete(name);
    };
    next.then(forget, forget);
    return next;
  }

  const closedError = () => new Error(`The Parley storage in ${dir} is closed.`);

  function assertHeld() {
    if (closed) throw closedError();
    if (held) return;
    if (holderPid === process.pid)
      throw new Error(
        `The data folder ${dir} is in use by another client of this process (pid ${holderPid}).`,
      );
    if (holderPid !== null)
      throw new Error(`The data folder ${dir} is in use by another Parley process (pid ${holderPid}).`);
    throw new Error(`The data folder ${dir} is not locked by this process yet (acquire() takes it).`);
  }

  /** Moves an unreadable message file to corrupt/, never deleting it: a person may want it back. */
  async function setAside(name: string, reason: string) {
    await mkdir(corruptDir, { recursive: true, mode: 0o700 });
    const target = join(corruptDir, `${name}.${Date.now()}.${randomUUID().slice(0, 8)}`);
    try {
      await rename(join(outboxDir, name), target);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    warn(`Parley: set aside the unreadable outbox file ${join(outboxDir, name)} as ${target}: ${reason}.`);
  }

  /**
   * Every readable message on disk; unreadable ones are set aside. Temp files are left by a crash between
   * write and rename (the message was never accepted): removed when `removeTemps` (on taking the lock,
   * before this process writes any), else skipped.
   */
  async function readOutbox(removeTemps: boolean): Promise<StoredMessage[]> {
    let names: string[];
    try {
      names = await readdir(outboxDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const read = await Promise.all(
      names.map(async (name): Promise<StoredMessage | null> => {
        if (name.endsWith(TEMP_SUFFIX)) {
          if (removeTemps) await unlink(join(outboxDir, name)).catch(() => {});
          return null;
        }
        if (!MESSAGE_FILE.test(name)) return null;
        let text: string;
        try {
          text = await readFile(join(outboxDir, name), 'utf8');
        } catch (error) {
          if (errorCode(error) === 'ENOENT') return null;
          throw error;
        }
        const stored = parseStored(name, text);
        if (typeof stored === 'string') {
          await setAside(name, stored);
          return null;
        }
        return stored;
      }),
    );
    return read
      .filter((s): s is StoredMessage => s !== null)
      .sort((a, b) => a.seq - b.seq || a.message.createdAt - b.message.createdAt);
  }

  /** One try: takes the lock if free or stale, then reads the folder before anything may be written. */
  async function tryOnce(): Promise<boolean> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(outboxDir, { recursive: true, mode: 0o700 });
    const attempt = await lock.tryAcquire();
    if (!attempt.held) {
      holderPid = attempt.holder?.pid ?? null;
      return false;
    }
    try {
      if (closed) throw closedError();
      const stored = await readOutbox(true);
      nextSeq = Math.max(0, ...stored.map((s) => s.seq + 1));
    } catch (error) {
      await lock.release();
      throw error;
    }
    holderPid = null;
    held = true;
    return true;
  }

  const storage: FileStorage = {
    dir,
    acquire() {
      if (closed) return Promise.resolve(false);
      acquiring ??= new Promise<boolean>((resolveHeld, reject) => {
        stopWaiting = () => resolveHeld(false);
        const attempt = () => {
          retryTimer = undefined;
          const current = tryOnce();
          trying = current.catch(() => {});
          current.then(
            (isHeld) => {
              if (isHeld) resolveHeld(true);
              else if (closed) resolveHeld(false);
              else retryTimer = setTimeout(attempt, retryMs);
            },
            (error: unknown) => {
              acquiring = null;
              if (closed) resolveHeld(false);
              else reject(error);
            },
          );
        };
        attempt();
      });
      return acquiring;
    },
    isHeld: () => held,
    holder: () => (held || holderPid === null ? null : { pid: holderPid }),
    open() {
      markOpened();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      stopWaiting?.();
      failOpened(closedError());
      await trying;
      await Promise.allSettled([...writes.values()]);
      held = false;
      await lock.release();
    },

    loadSession: () => memory.loadSession(),
    saveSession: (next) => memory.saveSession(next),
    loadFriends: (username) => memory.loadFriends(username),
    saveFriends: (username, list) => memory.saveFriends(username, list),
    forgetFriends: (username) => memory.forgetFriends(username),
    loadView: (username) => memory.loadView(username),
    saveView: (username, view) => memory.saveView(username, view),

    async loadOutbox(username) {
      await opened;
      if (!(await storage.acquire())) throw closedError();
      return (await readOutbox(false)).filter((s) => s.username === username).map((s) => s.message);
    },
    async putOutgoing(username, message) {
      assertHeld();
      const stored: StoredMessage = { version: 1, seq: nextSeq++, username, message };
      const name = fileNameOf(username, message.clientId);
      await serialized(name, () => writeDurably(outboxDir, name, JSON.stringify(stored)));
    },
    async removeOutgoing(username, clientId) {
      assertHeld();
      // No fsync: a removal lost to a power cut only sends the message again with the same clientId, which
      // the server stores once.
      await serialized(fileNameOf(username, clientId), () =>
        unlink(join(outboxDir, fileNameOf(username, clientId))).catch((error: unknown) => {
          if (errorCode(error) !== 'ENOENT') throw error;
        }),
      );
    },
  };
  return storage;
}
