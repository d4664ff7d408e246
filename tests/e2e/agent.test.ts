/**
 * An AI agent acting as a Parley user through the automation server (`src/mcp/`), next to people in the
 * browser on the same real server: what the agent sends shows live in both web UIs (in the user's own as
 * from another device of hers), a reply typed in the browser is what the agent's wait returns, and the
 * trace the process writes on exit (`PARLEY_TRACE`) is one the in-app inspector imports and replays.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendResult, WaitResult } from '../../src/mcp/agent';
import {
  api,
  deliveryMark,
  logIn,
  messagesWith,
  openConversation,
  PASSWORD,
  ROOT,
  setUpWorld,
  ui,
  write,
} from './harness';
import { activeStates, actorIds, inspector, replayNotes, snapshot, treeItem } from './inspectorPanel';

const world = setUpWorld('agent');

// ---------------------------------------------------------------------------------------------------
// The agent: an MCP client that starts the automation server over stdio, as Claude Desktop does

interface Agent {
  client: Client;
  /** The server's stderr lines so far (its activity sentences, and why it failed if it did). */
  stderr: string[];
  /** Closes the client: the server's stdin closes, and it stops (writing its trace, if asked to). */
  close(): Promise<void>;
}

const temps: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-agent-'));
  temps.push(dir);
  return dir;
}

async function startAgent(username: string, env: Record<string, string> = {}): Promise<Agent> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/mcp/main.ts'],
    cwd: ROOT,
    env: {
      ...(process.env as Record<string, string>),
      PARLEY_URL: world.server.url,
      PARLEY_USERNAME: username,
      PARLEY_PASSWORD: PASSWORD,
      PARLEY_DATA_DIR: tempDir(),
      ...env,
    },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  let rest = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    stderr.push(...lines);
  });
  const client = new Client({ name: 'parley-e2e-agent', version: '1.0.0' });
  await client.connect(transport);
  let closing: Promise<void> | null = null;
  const agent: Agent = {
    client,
    stderr,
    close() {
      closing ??= client.close().catch(() => {});
      return closing;
    },
  };
  agents.push(agent);
  return agent;
}

/** A tool's answer (its `structuredContent`), or the failure with the server's sentence and stderr. */
async function call<T>(
  agent: Agent,
  name: string,
  args: Record<string, unknown>,
  options: Parameters<Client['callTool']>[1] = {},
): Promise<T> {
  const result = await agent.client.callTool({ name, arguments: args }, { timeout: 60_000, ...options });
  if (result.isError) {
    throw new Error(`${name} failed: ${JSON.stringify(result.content)}\n${agent.stderr.join('\n')}`);
  }
  return result.structuredContent as T;
}

// ---------------------------------------------------------------------------------------------------
// Reading the page

/**
 * Which side of the Messages log a message sits on (UI.md: sent ones right-aligned, received ones
 * left-aligned), by where its middle is.
 */
async function sideOf(page: Page, message: Locator): Promise<'left' | 'right'> {
  const log = await ui.log(page).boundingBox();
  const box = await message.boundingBox();
  if (!log || !box) throw new Error('the message or the log is not on screen');
  return box.x + box.width / 2 > log.x + log.width / 2 ? 'right' : 'left';
}

/** A message's text as a screen reader reads it: `You: …` for a sent one, `<peer>: …` for a received one. */
const spoken = async (message: Locator) => ((await message.textContent()) ?? '').trim();

async function expectSent(page: Page, content: string) {
  const message = messagesWith(page, content);
  await message.waitFor();
  expect(await spoken(message)).toMatch(/^You:/);
  expect(await sideOf(page, message)).toBe('right');
  await deliveryMark(message, 'delivered').waitFor();
}

async function expectReceived(page: Page, content: string, from: string) {
  const message = messagesWith(page, content);
  await message.waitFor();
  expect(await spoken(message)).toMatch(new RegExp(`^${from}:`));
  expect(await sideOf(page, message)).toBe('left');
  expect(await message.getByRole('img', { name: /^(pending|delivered|failed)$/ }).count()).toBe(0);
}

// ---------------------------------------------------------------------------------------------------

describe('an agent acting as a Parley user beside people in the browser', () => {
  it("sends as alice while alice and bob have the web UI open: both see it, and bob's reply in the browser is what the agent's wait returns", async () => {
    const url = world.server.url;
    const aliceToken = await api.register(url, 'alice');
    await api.register(url, 'bob');
    await api.befriend(url, aliceToken, 'bob');

    const alice = await world.person('alice');
    await logIn(alice.page, 'alice');
    await openConversation(alice.page, 'bob');
    const bob = await world.person('bob');
    await logIn(bob.page, 'bob');
    await openConversation(bob.page, 'alice');

    // The agent acts as alice: its message goes out at once.
    const agent = await startAgent('alice');
    const hello = 'Hello Bob, this is Alice’s assistant';
    const sent = await call<SendResult>(agent, 'send_message', { peer: 'bob', content: hello });
    expect(['sent', 'delivered']).toContain(sent.state);
    expect(sent.id).toBeTypeOf('number');

    // Bob sees it from alice; alice sees it in her own web UI as sent by her (from another device), and
    // delivered once bob's browser has it.
    await expectReceived(bob.page, hello, 'alice');
    await expectSent(alice.page, hello);
    await world.shots.take(bob, 'agent-message-received');
    await world.shots.take(alice, 'agent-message-as-sent');

    // The agent waits for bob; once the wait is under way (its first progress), bob answers in his browser.
    let progressed = 0;
    const waiting = call<WaitResult>(
      agent,
      'wait_for_messages',
      { peer: 'bob', timeoutSeconds: 30 },
      { onprogress: () => progressed++ },
    );
    await expect.poll(() => progressed, { timeout: 20_000 }).toBeGreaterThan(0);
    const reply = 'Hi Alice’s assistant, Bob here';
    await write(bob.page, reply);

    const waited = await waiting;
    expect(waited.timedOut).toBe(false);
    expect(waited.messages).toEqual([
      expect.objectContaining({ peer: 'bob', direction: 'received', content: reply }),
    ]);
    expect(waited.messages[0]?.id).toBeGreaterThan(sent.id ?? Number.POSITIVE_INFINITY);

    // Both pages show the whole exchange, each message once, in the order written.
    await expectSent(bob.page, reply);
    await expectReceived(alice.page, reply, 'bob');
    await world.shots.take(alice, 'conversation');
    await world.shots.take(bob, 'conversation');
    for (const page of [alice.page, bob.page]) {
      expect(await messagesWith(page, hello).count()).toBe(1);
      expect(await messagesWith(page, reply).count()).toBe(1);
      const text = (await ui.log(page).textContent()) ?? '';
      expect(text.indexOf(hello)).toBeLessThan(text.indexOf(reply));
    }
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });

  it("writes its inspection trace on exit with PARLEY_TRACE, and the inspector's Import shows the agent's actor system and replays it", async () => {
    const url = world.server.url;
    const carolToken = await api.register(url, 'carol');
    await api.register(url, 'dave');
    await api.befriend(url, carolToken, 'dave');

    // The agent does a few things as carol, then its client closes: the process stops and writes the trace.
    // Kept with the screenshots, for a person to import too.
    const tracePath = join(world.shots.dir, 'agent-trace.json');
    const agent = await startAgent('carol', { PARLEY_TRACE: tracePath });
    const status = await call<{ username: string; online: boolean }>(agent, 'get_status', {});
    expect(status).toMatchObject({ username: 'carol', online: true });
    const friends = await call<{ friends: { username: string }[] }>(agent, 'list_friends', {});
    expect(friends.friends.map((f) => f.username)).toEqual(['dave']);
    const sent = await call<SendResult>(agent, 'send_message', { peer: 'dave', content: 'Traced hello' });
    expect(['sent', 'delivered']).toContain(sent.state);
    expect(existsSync(tracePath)).toBe(false); // written at the stop, not before
    await agent.close();
    await expect.poll(() => existsSync(tracePath)).toBe(true);
    await expect.poll(() => agent.stderr.some((l) => l.includes(`trace written to ${tracePath}`))).toBe(true);
    const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as {
      format: string;
      events: { actor: string; kind: string; snapshot?: { children?: string[] } }[];
      actors: { key: string; id: string; machine: string }[];
    };
    expect(trace.format).toBe('parley-inspector-trace');
    const sendActor = trace.actors.find((a) => a.id.startsWith('send-'));
    expect(sendActor, 'the trace holds the send of the agent’s message').toBeDefined();

    // Carol opens the inspector in her web UI and imports the file.
    const carol = await world.person('carol', { width: 1440, height: 900 });
    const page = carol.page;
    await logIn(page, 'carol');
    await page.getByRole('button', { name: 'Inspector', exact: true }).click();
    await inspector(page).waitFor();
    await inspector(page).getByLabel('Import trace').setInputFiles(tracePath);
    const slider = inspector(page).getByRole('slider');
    await slider.waitFor();
    await expect
      .poll(() => inspector(page).getByRole('heading', { level: 2 }).textContent())
      .toMatch(/replay/);
    const last = Number(await slider.getAttribute('max'));
    expect(last).toBe(trace.events.length - 1);
    // The same build recorded it: every machine of the agent's system matches this build's.
    expect(await replayNotes(page).textContent()).toBe(
      "Drawn from the machine definitions stored in the trace, which match this build's.",
    );
    await world.shots.take(carol, 'replay-at-end');

    // Stepped to the agent's send (the outbox's first snapshot with the send actor among its children): the
    // agent's system as it was then, the root signed in with its connection, friends and outbox, and the send
    // actor under the outbox.
    const sendKey = sendActor?.key;
    const outboxKey = trace.actors.find((a) => a.id === 'outbox')?.key;
    const sendStep = trace.events.findIndex(
      (e) =>
        e.actor === outboxKey &&
        e.kind === 'snapshot' &&
        e.snapshot?.children?.includes(sendActor?.id ?? '?'),
    );
    expect(sendStep).toBeGreaterThan(0);
    await slider.fill(String(sendStep));
    await expect.poll(async () => Number(await slider.inputValue())).toBe(sendStep);
    await expect
      .poll(() => actorIds(page))
      .toEqual(expect.arrayContaining(['app', 'connection', 'friends', 'outbox', sendActor?.id]));
    expect(await treeItem(page, 'outbox').getByRole('treeitem').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining(sendActor?.id ?? '?')]),
    );
    await expect.poll(() => snapshot(page).getByRole('heading').textContent()).toBe('Snapshot of app');
    expect(await snapshot(page).textContent()).toContain('signedIn');
    await expect.poll(() => activeStates(page)).toContain('app.signedIn');
    await world.shots.take(carol, 'replay-at-send');

    // The connection actor, charted with its active states: online at that point.
    await treeItem(page, 'connection').locator(':scope > .actor-id').click();
    await expect.poll(() => snapshot(page).getByRole('heading').textContent()).toBe('Snapshot of connection');
    await expect.poll(async () => (await activeStates(page)).some((id) => /\.online\b/.test(id))).toBe(true);
    await world.shots.take(carol, 'replay-connection');

    // ArrowLeft steps back one event; further back, before the agent's send, there is no send actor yet.
    await inspector(page).getByRole('button', { name: 'Export trace', exact: true }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => Number(await slider.inputValue())).toBe(sendStep - 1);
    const beforeSend = trace.events.findIndex((e) => e.actor === sendKey) - 1;
    await slider.fill(String(beforeSend));
    await expect.poll(async () => Number(await slider.inputValue())).toBe(beforeSend);
    await expect.poll(() => actorIds(page)).not.toContain(sendActor?.id);
    expect(await actorIds(page)).toEqual(expect.arrayContaining(['app', 'connection', 'friends', 'outbox']));
    await world.shots.take(carol, 'replay-before-send');
    expect(carol.errors).toEqual([]);
  });
});
