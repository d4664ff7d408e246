/**
 * The one factory behind every delivery path: it builds an `McpServer` with Parley's tools and resources
 * over the agent (one actor system for the whole process). `serveStdio` calls it once per connection, the
 * 2025 HTTP sessions once per session, and the 2026 HTTP handler once per request.
 *
 * Change notifications: a connection-long instance (stdio, a 2025 session) subscribes to the change feed
 * and sends each update its client asked for (2025: the URIs of `resources/subscribe`; 2026 on stdio: the
 * entry routes them onto the `subscriptions/listen` streams that named them). A per-request instance does
 * not subscribe: the HTTP entry publishes the feed on the handler's notifier instead (see http.ts).
 */
import { type McpRequestContext, McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import * as v from 'valibot';
import type { Agent } from './agent';
import { ToolError } from './agent';
import { type ChangeFeed, conversationUri, FRIENDS_URI } from './feed';
import {
  AddFriendInput,
  AddFriendOutput,
  FriendsOutput,
  NoInput,
  ReadMessagesInput,
  ReadMessagesOutput,
  SendMessageInput,
  SendMessageOutput,
  StatusOutput,
  toolSchema,
  WaitForMessagesInput,
  WaitForMessagesOutput,
} from './schemas';

export const SERVER_INFO = { name: 'parley', version: '0.1.0' };
/** How often a waiting `wait_for_messages` tells a client that asked for progress that it still waits. */
const PROGRESS_EVERY_MS = 5000;

export interface ServerDeps {
  agent: Agent;
  feed: ChangeFeed;
  /** Called at each request: the first real one opens the outbox (nothing drains before a client). */
  onRequest?: () => void;
}

type ToolResult = {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

const answer = (value: object): ToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  structuredContent: value as Record<string, unknown>,
});

/** A tool's work: its answer, or its ToolError as `isError` with the sentence; anything else is a bug. */
async function run(work: () => Promise<object> | object): Promise<ToolResult> {
  try {
    return answer(await work());
  } catch (error) {
    if (error instanceof ToolError)
      return { content: [{ type: 'text', text: error.message }], isError: true };
    console.error('Parley MCP: a tool failed:', error);
    return {
      content: [{ type: 'text', text: 'Something went wrong in the Parley MCP server.' }],
      isError: true,
    };
  }
}

const json = (uri: string, value: unknown) => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }],
});

export function buildServer(deps: ServerDeps, ctx: McpRequestContext, perRequest: boolean): McpServer {
  const { agent, feed } = deps;
  const server = new McpServer(SERVER_INFO, {
    capabilities: { resources: { subscribe: true, listChanged: true } },
  });
  const touched = () => deps.onRequest?.();

  server.registerTool(
    'get_status',
    {
      description:
        'Who you are signed in as, whether the Parley server is reachable (live push or polling), its version, and the last activity sentence (e.g. "Send failed: …").',
      inputSchema: toolSchema(NoInput),
      outputSchema: toolSchema(StatusOutput),
      annotations: { readOnlyHint: true },
    },
    async () => {
      touched();
      return run(() => agent.status());
    },
  );

  server.registerTool(
    'list_friends',
    {
      description:
        'Your friends, with whether each is online, when last seen (ms since 1970) and unread counts.',
      inputSchema: toolSchema(NoInput),
      outputSchema: toolSchema(FriendsOutput),
      annotations: { readOnlyHint: true },
    },
    async () => {
      touched();
      return run(async () => ({ friends: await agent.friends() }));
    },
  );

  server.registerTool(
    'add_friend',
    {
      description:
        'Adds a friend by username. The server refuses unknown users, yourself and existing friends.',
      inputSchema: toolSchema(AddFriendInput),
      outputSchema: toolSchema(AddFriendOutput),
    },
    async ({ username }) => {
      touched();
      return run(() => agent.addFriend(username));
    },
  );

  server.registerTool(
    'read_messages',
    {
      description:
        'Messages with a friend, oldest first: the newest `limit` (1-200, default 50), or those before the id `before`. Reading marks them read, as opening the conversation does for a person. `hasOlder` says whether earlier ones exist.',
      inputSchema: toolSchema(ReadMessagesInput),
      outputSchema: toolSchema(ReadMessagesOutput),
    },
    async ({ peer, limit, before }) => {
      touched();
      return run(() => agent.readMessages(peer, limit ?? 50, before));
    },
  );

  server.registerTool(
    'send_message',
    {
      description:
        'Sends a message to a friend. Kept on disk first, so it is sent exactly once even across restarts. Waits up to 10 s: "sent" or "delivered" with its id, "failed" with the reason, or "pending" when the server is not reachable now (it goes out by itself later).',
      inputSchema: toolSchema(SendMessageInput),
      outputSchema: toolSchema(SendMessageOutput),
    },
    async ({ peer, content }) => {
      touched();
      return run(() => agent.sendMessage(peer, content));
    },
  );

  server.registerTool(
    'wait_for_messages',
    {
      description:
        'Waits for received messages (from `peer`, or from any friend) with an id above `afterId`, or arriving after the call; answers at once if there are some already, else when the first arrive, else after `timeoutSeconds` (1-55, default 30) with timedOut.',
      inputSchema: toolSchema(WaitForMessagesInput),
      outputSchema: toolSchema(WaitForMessagesOutput),
      annotations: { readOnlyHint: true },
    },
    async (args, extra) => {
      touched();
      const progressToken = extra.mcpReq._meta?.progressToken;
      let progress = 0;
      const started = Date.now();
      const timer =
        progressToken === undefined
          ? null
          : setInterval(() => {
              progress++;
              const seconds = Math.round((Date.now() - started) / 1000);
              extra.mcpReq
                .notify({
                  method: 'notifications/progress',
                  params: { progressToken, progress, message: `Still waiting for messages (${seconds} s)` },
                })
                .catch(() => {});
            }, PROGRESS_EVERY_MS);
      try {
        return await run(() => agent.waitForMessages(args, extra.mcpReq.signal));
      } finally {
        if (timer) clearInterval(timer);
      }
    },
  );

  server.registerResource(
    'friends',
    FRIENDS_URI,
    { description: 'Your friends list (JSON), as list_friends gives it.', mimeType: 'application/json' },
    async (uri) => {
      touched();
      return json(uri.href, { friends: await agent.friends() });
    },
  );

  server.registerResource(
    'conversation',
    new ResourceTemplate('parley://conversations/{peer}', {
      list: async () => ({
        resources: (await agent.friends()).map((f) => ({
          uri: conversationUri(f.username),
          name: `Conversation with ${f.username}`,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      description: 'The newest 50 messages with a friend (JSON), as read_messages gives them.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      touched();
      const peer = v.safeParse(ReadMessagesInput.entries.peer, variables.peer);
      if (!peer.success) throw new Error(`Not a username: ${String(variables.peer)}`);
      try {
        return json(uri.href, await agent.readMessages(peer.output));
      } catch (error) {
        throw new Error(error instanceof Error ? error.message : String(error));
      }
    },
  );

  if (!perRequest) {
    // resources/subscribe (2025 era): which URIs this connection watches is this instance's to keep.
    const subscribed = new Set<string>();
    server.server.setRequestHandler('resources/subscribe', (request) => {
      touched();
      subscribed.add(request.params.uri);
      return {};
    });
    server.server.setRequestHandler('resources/unsubscribe', (request) => {
      subscribed.delete(request.params.uri);
      return {};
    });
    const unsubscribe = feed.subscribe((change) => {
      for (const uri of change.updated) {
        if (ctx.era === 'modern' || subscribed.has(uri))
          server.server.sendResourceUpdated({ uri }).catch(() => {});
      }
      if (change.listChanged) server.sendResourceListChanged();
    });
    const previous = server.server.onclose;
    server.server.onclose = () => {
      unsubscribe();
      previous?.();
    };
  }
  return server;
}
