/**
 * The browser tests' world: the real server entry (tsx src/server/main.ts) on a free port with a
 * throw-away SQLite file, serving the built UI from dist/ (built once per run by ./global-setup.ts), and
 * Debian's Chromium driven by playwright-core (nothing downloads a browser). Elements are found only by
 * the roles and names in /work/shared/UI.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** Starting tsx on a busy two-core machine takes a while. */
const START_TIMEOUT_MS = 60_000;
/** How long a single Playwright action or wait may take. */
export const ACTION_TIMEOUT_MS = 30_000;
export const PASSWORD = 'correct horse battery';

// ---------------------------------------------------------------------------------------------------
// The server

/** Process groups of servers this file started and has not killed yet. */
const liveGroups = new Set<number>();

function killGroup(pgid: number) {
  liveGroups.delete(pgid);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// A run that ends early (an interrupted vitest, a crashed worker) still takes its servers with it.
process.once('exit', () => {
  for (const pgid of [...liveGroups]) killGroup(pgid);
});

/** True while something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = START_TIMEOUT_MS) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One database file, served by one `main.ts` process at a time: `kill()` ends the process the hard way
 * (as a crash would), `start()` brings it back on the same port and file.
 */
export class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  readonly dbPath = join(this.dir, 'parley.db');
  port = 0;
  private child: ChildProcess | null = null;
  private output = '';

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('the server is already running');
    const env = { ...process.env };
    for (const name of ['HOST', 'PORT', 'DB_PATH', 'ALLOWED_HOSTS', 'LOG_LEVEL']) delete env[name];
    // tsx runs the server in a child process of its own, and a SIGKILL cannot be relayed: the server is
    // started as the leader of a new process group, and killing means killing that whole group.
    const child = spawn(TSX, ['src/server/main.ts'], {
      cwd: ROOT,
      env: { ...env, HOST: '127.0.0.1', PORT: String(this.port), DB_PATH: this.dbPath, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output = (this.output + chunk).slice(-4000);
    });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => {
        reject(new Error(`the server printed nothing within ${START_TIMEOUT_MS} ms: ${this.output}`));
      }, START_TIMEOUT_MS);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        // Keep reading after the first line, so a full pipe never blocks the server.
        if (text.includes('\n')) return;
        text += chunk;
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(text.slice(0, text.indexOf('\n')));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code ?? signal}) before listening: ${this.output}`));
      });
    });
    const match = /^Parley listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
    if (!match) throw new Error(`unexpected first line from the server: ${line}`);
    this.port = Number(match[1]);
  }

  /** Ends the process at once (SIGKILL: no graceful close of streams) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child?.pid) return;
    const gone =
      child.exitCode === null && child.signalCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : Promise.resolve();
    killGroup(child.pid);
    await gone;
    // The group's other members (the server itself) go with the same signal; wait until the port is free.
    await waitUntil(async () => !(await listening(this.port)), 'the old server to let go of its port');
  }

  /** Stops the server and deletes its database. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startServer(): Promise<ServerProcess> {
  const server = new ServerProcess();
  try {
    await server.start();
  } catch (err) {
    await server.dispose();
    throw err;
  }
  return server;
}

// ---------------------------------------------------------------------------------------------------
// The API, for setting up data a test does not exercise through the UI

async function call(url: string, path: string, init: { method?: string; token?: string; body?: unknown }) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body: unknown = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export interface ApiMessage {
  id: number;
  direction: 'sent' | 'received';
  peer: string;
  content: string;
  delivered: boolean;
  clientId: string | null;
}

export const api = {
  async register(url: string, username: string, password = PASSWORD): Promise<string> {
    const body = (await call(url, '/api/register', { method: 'POST', body: { username, password } })) as {
      token: string;
    };
    return body.token;
  },
  async logIn(url: string, username: string, password = PASSWORD): Promise<string> {
    const body = (await call(url, '/api/login', { method: 'POST', body: { username, password } })) as {
      token: string;
    };
    return body.token;
  },
  async befriend(url: string, token: string, username: string): Promise<void> {
    await call(url, '/api/friends', { method: 'POST', token, body: { username } });
  },
  async send(url: string, token: string, to: string, content: string): Promise<void> {
    const clientId = `e2e-${Math.random().toString(36).slice(2)}`;
    await call(url, '/api/messages', { method: 'POST', token, body: { to, content, clientId } });
  },
  async messages(url: string, token: string, peer: string): Promise<ApiMessage[]> {
    return (await call(url, `/api/messages?peer=${encodeURIComponent(peer)}&limit=500`, {
      token,
    })) as ApiMessage[];
  },
};

// ---------------------------------------------------------------------------------------------------
// The browser

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A person: a browser context of their own (own IndexedDB, so their own session) with one page. */
export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page, for the failure message. */
  errors: string[];
}

export async function openPerson(
  browser: Browser,
  url: string,
  name: string,
  viewport = { width: 1280, height: 800 },
): Promise<Person> {
  const context = await browser.newContext({ baseURL: url, viewport });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto('/');
  return { name, context, page, errors };
}

// ---------------------------------------------------------------------------------------------------
// The UI, by role and name (UI.md)

export const ui = {
  username: (page: Page) => page.getByRole('textbox', { name: 'Username', exact: true }),
  password: (page: Page) => page.getByRole('textbox', { name: 'Password', exact: true }),
  logInButton: (page: Page) => page.getByRole('button', { name: 'Log in', exact: true }),
  registerButton: (page: Page) => page.getByRole('button', { name: 'Register', exact: true }),
  logOutButton: (page: Page) => page.getByRole('button', { name: 'Log out', exact: true }),
  friends: (page: Page) => page.getByRole('list', { name: 'Friends', exact: true }),
  /** The friend's item: its text starts with the username. */
  friend: (page: Page, username: string) =>
    page
      .getByRole('list', { name: 'Friends', exact: true })
      .getByRole('listitem')
      .filter({ hasText: new RegExp(`^\\s*${username}\\b`) }),
  addFriendBox: (page: Page) => page.getByRole('textbox', { name: 'Add friend', exact: true }),
  addButton: (page: Page) => page.getByRole('button', { name: 'Add', exact: true }),
  peerHeading: (page: Page) => page.getByRole('heading', { level: 2 }),
  log: (page: Page) => page.getByRole('log', { name: 'Messages', exact: true }),
  messageBox: (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true }),
  sendButton: (page: Page) => page.getByRole('button', { name: 'Send', exact: true }),
  connection: (page: Page) => page.getByRole('status', { name: 'Connection', exact: true }),
  activity: (page: Page) => page.getByRole('status', { name: 'Activity', exact: true }),
};

/**
 * The messages in the log: each is a listitem or an article (UI.md allows either). An article inside a
 * listitem counts once, as the article.
 */
export function messageItems(page: Page): Locator {
  const log = ui.log(page);
  return log.getByRole('article').or(log.getByRole('listitem').filter({ hasNot: page.getByRole('article') }));
}

/** The messages in the log whose text holds `content`. */
export function messagesWith(page: Page, content: string): Locator {
  return messageItems(page).filter({ hasText: content });
}

/** The delivery mark of a sent message (an img or text named pending, delivered or failed). */
export function deliveryMark(message: Locator, mark: 'pending' | 'delivered' | 'failed'): Locator {
  return message.getByRole('img', { name: mark, exact: true }).or(message.getByText(mark, { exact: true }));
}

export async function register(page: Page, username: string, password = PASSWORD): Promise<void> {
  await ui.username(page).fill(username);
  await ui.password(page).fill(password);
  await ui.registerButton(page).click();
  await ui.logOutButton(page).waitFor();
}

export async function logIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await ui.username(page).fill(username);
  await ui.password(page).fill(password);
  await ui.logInButton(page).click();
  await ui.logOutButton(page).waitFor();
}

/** Chooses a friend and waits until the conversation with them is open. */
export async function openConversation(page: Page, username: string): Promise<void> {
  await ui.friend(page, username).click();
  await page.getByRole('heading', { level: 2, name: username, exact: true }).waitFor();
  await ui.log(page).waitFor();
}

/** Writes a message and sends it with Enter, as a person does. */
export async function write(page: Page, text: string): Promise<void> {
  const box = ui.messageBox(page);
  await box.fill(text);
  await box.press('Enter');
}

// ---------------------------------------------------------------------------------------------------
// Artifacts

export const ARTIFACTS = join(ROOT, 'test-results', 'e2e');

/** Numbered screenshots of each step, under test-results/e2e/<suite>/. */
export class Shots {
  private n = 0;
  readonly dir: string;

  constructor(suite: string) {
    this.dir = join(ARTIFACTS, suite);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async take(person: Person, step: string): Promise<void> {
    this.n += 1;
    const file = `${String(this.n).padStart(2, '0')}-${person.name}-${step}.png`;
    await person.page.screenshot({ path: join(this.dir, file), animations: 'disabled' });
  }
}

// ---------------------------------------------------------------------------------------------------
// One file's world

export interface World {
  readonly server: ServerProcess;
  readonly browser: Browser;
  readonly shots: Shots;
  /** A new person on the app's page; closed after the test (with a screenshot first if it failed). */
  person(name: string, viewport?: { width: number; height: number }): Promise<Person>;
}

/**
 * Registers the hooks of a file: one server and one browser for the file, people per test. A failed
 * test leaves a screenshot of every page it had open (`failed-…`) next to the step screenshots.
 */
export function setUpWorld(suite: string): World {
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  const shots = new Shots(suite);
  const people: Person[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  afterEach(async ({ task }) => {
    const failed = task.result?.state === 'fail';
    for (const person of people.splice(0)) {
      if (failed) {
        await shots.take(person, 'failed').catch(() => {});
        if (person.errors.length) console.error(`${person.name}'s page threw:`, person.errors);
      }
      await person.context.close().catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  return {
    get server() {
      if (!server) throw new Error('the server is not started');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not launched');
      return browser;
    },
    shots,
    async person(name, viewport) {
      const person = await openPerson(this.browser, this.server.url, name, viewport);
      people.push(person);
      return person;
    },
  };
}
