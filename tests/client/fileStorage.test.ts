/**
 * The outbox on disk for Node (src/client/fileStorage.ts): durable before `putOutgoing` answers, in the
 * order written, kept across a crash, and drained by one process at a time, only once `open()` says a
 * client is there. Other processes are real child processes (tests/client/fileStorage.child.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStorage } from '../../machines';
import { ApiError, type OutgoingMessage, type ParleyApi } from '../../machines/ports';
import {
  createFileStorage,
  createParleyClient,
  type FileStorage,
  type FileStorageOptions,
  type ParleyClient,
} from '../../src/client';
import { breakStaleLock } from '../../src/client/folderLock';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = 'tests/client/fileStorage.child.ts';
/** Starting tsx on a busy two-core machine takes a while. */
const CHILD_TIMEOUT_MS = 30_000;

let root: string;
let dir: string;
const storages: FileStorage[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-files-'));
  dir = join(root, 'alice');
});

afterEach(async () => {
  await Promise.all(storages.splice(0).map((s) => s.close()));
  await Promise.all(children.splice(0).map((child) => kill(child, 'SIGKILL')));
  await rm(root, { recursive: true, force: true });
});

const warnings: string[] = [];
function storageOn(options: Partial<FileStorageOptions> = {}): FileStorage {
  const storage = createFileStorage({ dir, warn: (w) => warnings.push(w), ...options });
  storages.push(storage);
  return storage;
}

/** A storage that holds the folder and has been opened. */
async function openStorage(options: Partial<FileStorageOptions> = {}): Promise<FileStorage> {
  const storage = storageOn(options);
  await expect(storage.acquire()).resolves.toBe(true);
  storage.open();
  return storage;
}

const message = (clientId: string, createdAt = 1_700_000_000_000): OutgoingMessage => ({
  clientId,
  to: 'bob',
  content: `message ${clientId}`,
  createdAt,
});

/** Whether a promise has settled, looked at after `ms` of letting it run. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return settled;
}

const outboxFiles = async () => (await readdir(join(dir, 'outbox'))).sort();

function startChild(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid as number,
    exited,
    /** Waits for a line of output, failing early (with its stderr) if the process ends first. */
    async said(line: string) {
      await vi.waitFor(
        () => {
          if (out.split('\n').includes(line)) return;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`the child ended before "${line}": ${err}`);
          throw new Error(`no "${line}" yet`);
        },
        { timeout: CHILD_TIMEOUT_MS, interval: 50 },
      );
    },
  };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

/** The bytes of a lock left by a process killed while holding the folder. */
async function staleLockBytes(): Promise<Buffer> {
  const holder = startChild('hold');
  await holder.said('held');
  await kill(holder.child, 'SIGKILL');
  return readFile(join(dir, 'parley.lock'));
}

describe('the outbox on disk', () => {
  it('loads messages in the order written, even many written in one millisecond, without the removed ones', async () => {
    const storage = await openStorage();
    // Same createdAt, random clientIds: only the order of the puts tells them apart.
    const messages = Array.from({ length: 40 }, () => message(randomUUID()));
    await Promise.all(messages.map((m) => storage.putOutgoing('alice', m)));
    expect(await storage.loadOutbox('alice')).toEqual(messages);

    await storage.removeOutgoing('alice', messages[3]!.clientId);
    await storage.removeOutgoing('alice', messages[7]!.clientId);
    await storage.removeOutgoing('alice', 'never-stored');
    expect(await storage.loadOutbox('alice')).toEqual(messages.filter((_, i) => i !== 3 && i !== 7));
  });

  it('answers a put only once the message is in its file', async () => {
    const storage = await openStorage();
    await storage.putOutgoing('alice', message('one'));
    const [name, ...rest] = await outboxFiles();
    expect(rest).toEqual([]);
    const written = JSON.parse(await readFile(join(dir, 'outbox', name!), 'utf8'));
    expect(written).toMatchObject({ username: 'alice', message: message('one') });
  });

  it('keeps messages for a new storage on the same folder once the first is closed', async () => {
    const first = await openStorage();
    await first.putOutgoing('alice', message('kept-1', 1));
    await first.putOutgoing('alice', message('kept-2', 2));
    await first.close();

    const second = await openStorage();
    expect(await second.loadOutbox('alice')).toEqual([message('kept-1', 1), message('kept-2', 2)]);
    // Written after a restart, a message still comes after the ones written before it.
    await second.putOutgoing('alice', message('after-restart', 0));
    expect((await second.loadOutbox('alice')).map((m) => m.clientId)).toEqual([
      'kept-1',
      'kept-2',
      'after-restart',
    ]);
  });

  it('stores any clientId, whatever its characters, each in a file of its own', async () => {
    const storage = await openStorage();
    const ids = ['../escape', 'a/b\\c', '..', '.', 'CON', 'Same', 'same', 'nul\u0000byte', '😀'.repeat(64)];
    for (const [i, id] of ids.entries()) await storage.putOutgoing('alice', message(id, i));
    expect((await storage.loadOutbox('alice')).map((m) => m.clientId)).toEqual(ids);
    expect(await outboxFiles()).toHaveLength(ids.length);
    for (const id of ids) await storage.removeOutgoing('alice', id);
    expect(await storage.loadOutbox('alice')).toEqual([]);
  });

  it("loads and removes only the messages of the user named, even with another's clientId alike", async () => {
    const storage = await openStorage();
    await storage.putOutgoing('alice', message('shared-id', 1));
    await storage.putOutgoing('carol', message('shared-id', 2));
    await storage.removeOutgoing('carol', 'shared-id');
    expect(await storage.loadOutbox('alice')).toEqual([message('shared-id', 1)]);
    expect(await storage.loadOutbox('carol')).toEqual([]);
  });

  it('sets aside an unreadable message file with a warning, and removes a temp file left by a crash', async () => {
    const first = await openStorage();
    await first.putOutgoing('alice', message('good'));
    await first.close();
    const [goodName] = await outboxFiles();
    const corruptName = `${'a'.repeat(64)}.json`;
    const wrongShapeName = `${'b'.repeat(64)}.json`;
    const tempName = `${goodName}.${randomUUID()}.tmp`;
    await writeFile(join(dir, 'outbox', corruptName), '{"version":1,"seq":');
    await writeFile(join(dir, 'outbox', wrongShapeName), '{"version":1}');
    await writeFile(join(dir, 'outbox', tempName), '{"half');

    const second = await openStorage();
    expect(await second.loadOutbox('alice')).toEqual([message('good')]);
    expect(await outboxFiles()).toEqual([goodName]);
    const aside = await readdir(join(dir, 'corrupt'));
    expect(aside).toHaveLength(2);
    const corruptCopy = aside.find((name) => name.startsWith(corruptName));
    expect(await readFile(join(dir, 'corrupt', corruptCopy!), 'utf8')).toBe('{"version":1,"seq":');
    expect(warnings.filter((w) => w.includes(corruptName))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes(wrongShapeName))).toHaveLength(1);
  });

  it('creates the data folder, with its parents, readable by its owner only', async () => {
    dir = join(dir, 'deeper', 'alice');
    await openStorage();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('keeps the session and the friends list in memory, never on disk', async () => {
    const storage = await openStorage();
    await storage.saveSession({ username: 'alice', token: 'secret-token-1234' });
    await storage.saveFriends('alice', [
      { username: 'bob', online: true, lastSeen: null, unread: 0, lastMessageId: null },
    ]);
    await storage.putOutgoing('alice', message('m'));
    expect(await storage.loadSession()).toEqual({ username: 'alice', token: 'secret-token-1234' });
    expect(await storage.loadFriends('alice')).toHaveLength(1);
    const files = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile())) {
      const text = await readFile(join(file.parentPath, file.name), 'utf8');
      expect(text).not.toContain('secret-token-1234');
      expect(text).not.toContain('lastMessageId');
    }
  });
});

describe('the gate: nothing drains before open() and the lock', () => {
  it('answers loadOutbox only after open(), even with the lock free', async () => {
    const storage = storageOn();
    await storage.acquire();
    await storage.putOutgoing('alice', message('waiting'));
    const loading = storage.loadOutbox('alice');
    expect(await settledWithin(loading, 300)).toBe(false);
    storage.open();
    await expect(loading).resolves.toEqual([message('waiting')]);
  });

  it('refuses writes before the lock is held, and rejects a load still waiting for open() on close()', async () => {
    const storage = storageOn();
    await expect(storage.putOutgoing('alice', message('early'))).rejects.toThrow(/not locked/);
    await expect(storage.removeOutgoing('alice', 'early')).rejects.toThrow(/not locked/);
    const loading = storage.loadOutbox('alice');
    await storage.close();
    await expect(loading).rejects.toThrow(/closed/);
  });
});

describe('one process at a time', () => {
  it(
    'waits while a live process holds the folder, refusing writes with its pid, and takes it within seconds once that process ends',
    async () => {
      const other = startChild('hold');
      await other.said('held');

      const storage = storageOn();
      const acquired = storage.acquire();
      await vi.waitFor(() => expect(storage.holder()).toEqual({ pid: other.pid }), { timeout: 10_000 });
      expect(storage.isHeld()).toBe(false);
      await expect(storage.putOutgoing('alice', message('refused'))).rejects.toThrow(
        `is in use by another Parley process (pid ${other.pid})`,
      );
      storage.open();
      const loading = storage.loadOutbox('alice');
      // Several retries pass without the lock, so nothing is loaded.
      expect(await settledWithin(loading, 1500)).toBe(false);
      expect(await outboxFiles()).toEqual([]);

      await kill(other.child, 'SIGTERM');
      const ended = Date.now();
      await expect(acquired).resolves.toBe(true);
      expect(Date.now() - ended).toBeLessThan(10_000);
      expect(storage.isHeld()).toBe(true);
      expect(storage.holder()).toBeNull();
      await expect(loading).resolves.toEqual([]);
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it(
    'loads exactly the message a process stored before it was killed, taking over its stale lock',
    async () => {
      const crashed = startChild('store', 'client-id-1');
      await crashed.said('stored');
      await kill(crashed.child, 'SIGKILL');

      const storage = await openStorage();
      expect(await storage.loadOutbox('alice')).toEqual([
        expect.objectContaining({ clientId: 'client-id-1', to: 'bob', content: 'written before the crash' }),
      ]);
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it(
    'removes its lock when the process exits without closing the storage',
    async () => {
      const leaving = startChild('exit');
      await leaving.said('held');
      await leaving.exited;
      await expect(stat(join(dir, 'parley.lock'))).rejects.toThrow(/ENOENT/);
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it(
    'lets exactly one of several storages racing for the same stale lock take it',
    async () => {
      const stale = await staleLockBytes();
      for (let round = 0; round < 30; round++) {
        await writeFile(join(dir, 'parley.lock'), stale);
        const racers = Array.from({ length: 8 }, () => storageOn({ retryMs: 20 }));
        // Starts spread by up to 0 … 10 ms, varied by round, so their steps interleave differently each time.
        const spread = (round % 6) * 2;
        const won = racers.map(async (racer) => {
          await new Promise((r) => setTimeout(r, Math.random() * spread));
          return racer.acquire();
        });
        await Promise.race(won);
        // Losers keep trying: a wrongly broken lock would let another one in during these retries.
        await new Promise((r) => setTimeout(r, 100));
        expect(racers.filter((r) => r.isHeld())).toHaveLength(1);
        await Promise.all(storages.splice(0).map((s) => s.close()));
        await Promise.all(won);
      }
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it(
    'leaves the new lock alone when a slow racer acts on the stale lock it read before the takeover',
    async () => {
      const stale = await staleLockBytes();
      const winner = await openStorage();
      const winnersLock = await readFile(join(dir, 'parley.lock'));
      expect(winnersLock).not.toEqual(stale);

      await breakStaleLock(join(dir, 'parley.lock'), stale);
      expect(await readFile(join(dir, 'parley.lock'))).toEqual(winnersLock);
      const latecomer = storageOn();
      void latecomer.acquire();
      await vi.waitFor(() => expect(latecomer.holder()).toEqual({ pid: process.pid }));
      await winner.putOutgoing('alice', message('still-the-holder'));
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it(
    'takes over a stale lock even when a process died half-way through taking it over',
    async () => {
      const stale = await staleLockBytes();
      await rm(join(dir, 'parley.lock'));
      const deadBreaker = await staleLockBytes();
      await writeFile(join(dir, 'parley.lock'), stale);
      const { token } = JSON.parse(stale.toString()) as { token: string };
      await writeFile(join(dir, `parley.lock.break-${token}`), deadBreaker);

      await openStorage();
    },
    CHILD_TIMEOUT_MS * 2,
  );

  it('waits for another storage of this process, and takes over a lock an earlier process of this pid left', async () => {
    const first = await openStorage();
    const lockBytes = await readFile(join(dir, 'parley.lock'));
    const second = storageOn({ retryMs: 20 });
    const acquired = second.acquire();
    await vi.waitFor(() => expect(second.holder()).toEqual({ pid: process.pid }));
    await expect(second.putOutgoing('alice', message('x'))).rejects.toThrow(
      `is in use by another client of this process (pid ${process.pid})`,
    );
    await first.close();
    await expect(acquired).resolves.toBe(true);
    await second.close();

    // The lock of a storage no longer alive, with this process's pid: what a restarted container finds.
    await writeFile(join(dir, 'parley.lock'), lockBytes);
    await openStorage();
  });

  it('stops a waiting acquire on close(), leaving the holder its lock', async () => {
    const holder = await openStorage();
    const waiting = storageOn({ retryMs: 20 });
    const acquired = waiting.acquire();
    await vi.waitFor(() => expect(waiting.holder()).not.toBeNull());
    await waiting.close();
    await expect(acquired).resolves.toBe(false);
    await stat(join(dir, 'parley.lock'));
    await holder.putOutgoing('alice', message('still-mine'));
    await holder.close();
    await expect(stat(join(dir, 'parley.lock'))).rejects.toThrow(/ENOENT/);
  });
});

/** alice's API, befriended with bob: every call but login fails as if offline, or all work, recording sends. */
function aliceApi(offline: boolean) {
  const posted: string[] = [];
  const unreachable = () => Promise.reject(new ApiError({ kind: 'network', message: 'offline' }));
  const api: ParleyApi = {
    status: async () =>
      offline ? unreachable() : { status: 'online', version: '1.0.0', time: 0, user: 'alice' },
    register: async (username) => ({ username, token: 'token' }),
    login: async (username) => ({ username, token: 'token' }),
    logout: async () => {},
    friends: async () =>
      offline
        ? unreachable()
        : {
            notModified: false,
            body: [{ username: 'bob', online: true, lastSeen: null, unread: 0, lastMessageId: null }],
            etag: null,
          },
    addFriend: async (_token, username) => username,
    messages: async () => (offline ? unreachable() : { notModified: false, body: [], etag: null }),
    send: async (_token, m) => {
      if (offline) return unreachable();
      posted.push(m.clientId);
      return { success: true, id: posted.length, timestamp: Date.now(), delivered: false };
    },
    events: (_token, _last, handlers, { signal }) => {
      if (offline) return unreachable();
      handlers.onOpen();
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(new ApiError({ kind: 'aborted', message: 'aborted' }))),
      );
    },
  };
  return { api, posted };
}

describe('a headless client on file storage', () => {
  const clients: ParleyClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  it(
    'sends a message written while offline from the next client on the same folder, once, with its clientId',
    async () => {
      const offline = aliceApi(true);
      const first = createParleyClient({
        baseUrl: 'http://unused',
        api: offline.api,
        storage: await openStorage(),
      });
      clients.push(first);
      await first.login('alice', 'password');
      const clientId = first.send('bob', 'written offline');
      await vi.waitFor(async () => expect(await outboxFiles()).toHaveLength(1), { timeout: 10_000 });
      await first.stop();
      await Promise.all(storages.splice(0).map((s) => s.close()));

      const online = aliceApi(false);
      const second = createParleyClient({
        baseUrl: 'http://unused',
        api: online.api,
        storage: await openStorage(),
      });
      clients.push(second);
      await second.login('alice', 'password');
      await vi.waitFor(() => expect(online.posted).toEqual([clientId]), { timeout: 10_000 });
      // The server has it: it leaves the disk, and nothing is posted again.
      await vi.waitFor(async () => expect(await outboxFiles()).toEqual([]), { timeout: 10_000 });
      expect(online.posted).toEqual([clientId]);
    },
    CHILD_TIMEOUT_MS,
  );

  it('answers sendSaved only once the message is on disk, which waits for open()', async () => {
    const storage = storageOn();
    await storage.acquire();
    // Offline, so the message stays on disk to be looked at.
    const client = createParleyClient({ baseUrl: 'http://unused', api: aliceApi(true).api, storage });
    clients.push(client);
    await client.login('alice', 'password');
    const saving = client.sendSaved('bob', 'kept first');
    expect(await settledWithin(saving, 300)).toBe(false);
    expect(await outboxFiles()).toEqual([]);

    storage.open();
    const clientId = await saving;
    const [name, ...rest] = await outboxFiles();
    expect(rest).toEqual([]);
    expect(JSON.parse(await readFile(join(dir, 'outbox', name!), 'utf8')).message.clientId).toBe(clientId);
  });

  it("rejects sendSaved with the storage's error", async () => {
    const storage = { ...createMemoryStorage(), putOutgoing: () => Promise.reject(new Error('disk full')) };
    const client = createParleyClient({ baseUrl: 'http://unused', api: aliceApi(false).api, storage });
    clients.push(client);
    await client.login('alice', 'password');
    await expect(client.sendSaved('bob', 'not kept')).rejects.toThrow('disk full');
  });
});
