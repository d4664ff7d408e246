/**
 * The conversation bench:ui opens: alice and bob registered and befriended through the API (app.inject),
 * then `messages` messages written straight through the store (alternating sender, minutes apart) and marked
 * read both ways, so the conversation opens at its newest message with no unread divider.
 */
import { performance } from 'node:perf_hooks';
import type { ParleyApp } from '../../src/server/app';
import { PASSWORD } from '../serve/child';

/** What bench/ui/serve.ts is told on its command line. */
export interface UiServeOptions {
  dbPath: string;
  messages: number;
  staticDir: string;
}

/** The line bench/ui/serve.ts prints once ready. */
export interface UiServeReady {
  port: number;
  pid: number;
  tokens: Record<string, string>;
  /** Content of the newest seeded message (unique), and how long seeding took. */
  newest: string;
  lastId: number;
  seedMs: number;
}

/** A sentence of 3 to 30 words, so rows differ in height as real ones do. */
export function seedText(i: number): string {
  const words = ['parley', 'message', 'hello', 'tomorrow', 'coffee', 'deploy', 'meeting', 'lunch', 'ok'];
  const count = 3 + ((i * 7919) % 28);
  const out: string[] = [`#${i}`];
  for (let w = 0; w < count; w++) out.push(words[(i + w * 31) % words.length] as string);
  return out.join(' ');
}

export async function seedConversation(
  app: ParleyApp,
  messages: number,
): Promise<Omit<UiServeReady, 'port' | 'pid'>> {
  const tokens: Record<string, string> = {};
  const call = async (url: string, token: string | null, payload: object) => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload,
    });
    if (res.statusCode >= 300) throw new Error(`seed: POST ${url} answered ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };
  for (const username of ['alice', 'bob'])
    tokens[username] = (await call('/api/register', null, { username, password: PASSWORD })).token as string;
  await call('/api/friends', tokens.alice as string, { username: 'bob' });
  const ids: Record<string, number> = {};
  for (const username of ['alice', 'bob']) {
    const user = await app.parley.store.findUserByName(username);
    if (!user) throw new Error(`seed: ${username} was not created`);
    ids[username] = user.id;
  }
  const alice = ids.alice as number;
  const bob = ids.bob as number;

  const seedStarted = performance.now();
  const start = Date.now() - messages * 60_000;
  let lastId = 0;
  let newest = '';
  for (let i = 1; i <= messages; i++) {
    const fromBob = i % 2 === 1;
    const content = i === messages ? `${seedText(i)} (newest seeded message)` : seedText(i);
    const { message } = await app.parley.store.insertMessage({
      senderId: fromBob ? bob : alice,
      recipientId: fromBob ? alice : bob,
      content,
      clientId: `seed-${i}`,
      timestamp: start + i * 60_000,
      delivered: true,
    });
    lastId = message.id;
    newest = content;
  }
  await app.parley.store.readMessages(alice, bob, { after: lastId, limit: 1 });
  await app.parley.store.readMessages(bob, alice, { after: lastId, limit: 1 });
  return { tokens, newest, lastId, seedMs: performance.now() - seedStarted };
}
