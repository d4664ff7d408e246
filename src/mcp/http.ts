/**
 * Streamable HTTP for both protocol eras on one URL, `/mcp`:
 * - 2026-07-28 requests go to `createMcpHandler(…, { legacy: 'reject' })`: stateless, a fresh server per
 *   request; change notifications reach `subscriptions/listen` streams through the handler's notifier,
 *   fed by the one change feed.
 * - 2025-era requests (`isLegacyRequest`, and every GET and DELETE, which only sessions use) go to
 *   sessionful transports, one per `Mcp-Session-Id`, each with its own server instance and its own
 *   `resources/subscribe` set. The handler's own legacy posture would be stateless: no sessions, no GET
 *   stream, and subscriptions that can never deliver.
 * In front of both: the `Host` and `Origin` checks that stop DNS rebinding, and the bearer token.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  validateHostHeader,
  validateOriginHeader,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { buildServer, type ServerDeps } from './server';

export interface HttpOptions {
  /** Every request must carry `Authorization: Bearer <token>`. */
  token: string;
  /** Host names accepted besides the loopback ones. */
  allowedHosts?: string[];
}

const jsonError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

function tokenMatches(header: string | null, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type McpHttpApp = ReturnType<typeof createHttpApp>;

export function createHttpApp(deps: ServerDeps, options: HttpOptions) {
  const hosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])];
  const modern = createMcpHandler((ctx) => buildServer(deps, ctx, true), {
    legacy: 'reject',
    onerror: (error) => console.error('Parley MCP (HTTP):', error.message),
  });
  const stopFeed = deps.feed.subscribe((change) => {
    for (const uri of change.updated) modern.notify.resourceUpdated(uri);
    if (change.listChanged) modern.notify.resourcesChanged();
  });
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

  async function legacy(request: Request): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const transport = sessions.get(id);
      if (!transport) return jsonError(404, -32001, 'Session not found: start a new one with initialize.');
      return transport.handleRequest(request);
    }
    const body: unknown =
      request.method === 'POST'
        ? await request
            .clone()
            .json()
            .catch(() => undefined)
        : undefined;
    if (!isInitializeRequest(body)) {
      return jsonError(
        400,
        -32000,
        'Bad request: a 2025-era request needs an Mcp-Session-Id (initialize first).',
      );
    }
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, transport);
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await buildServer(deps, { era: 'legacy', requestInfo: request }, false).connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  }

  async function serve(request: Request): Promise<Response> {
    // A web Request made in-process carries no Host header (fetch forbids setting it): its URL names it.
    const host = validateHostHeader(request.headers.get('host') ?? new URL(request.url).host, hosts);
    if (!host.ok) return jsonError(403, -32000, `Forbidden: ${host.message}`);
    const origin = validateOriginHeader(request.headers.get('origin'), hosts);
    if (!origin.ok) return jsonError(403, -32000, `Forbidden: ${origin.message}`);
    if (new URL(request.url).pathname !== '/mcp')
      return jsonError(404, -32000, 'Not found: the endpoint is /mcp.');
    if (!tokenMatches(request.headers.get('authorization'), options.token)) {
      return jsonError(401, -32001, 'Unauthorized: send Authorization: Bearer <PARLEY_MCP_TOKEN>.', {
        'www-authenticate': 'Bearer realm="parley-mcp"',
      });
    }
    if (
      request.method !== 'POST' ||
      request.headers.has('mcp-session-id') ||
      (await isLegacyRequest(request))
    ) {
      return legacy(request);
    }
    return modern.fetch(request);
  }

  return {
    fetch: serve,
    /** Open 2025-era sessions (each closed one leaves none behind). */
    sessionCount: () => sessions.size,
    async close() {
      stopFeed();
      await Promise.all([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      await modern.close();
    },
  };
}

/** Serves the app on 127.0.0.1:`port` (0: a free one); resolves with the server and its URL. */
export async function listenHttp(app: McpHttpApp, port: number): Promise<{ server: Server; url: string }> {
  const handle = toNodeHandler({ fetch: (request) => app.fetch(request) });
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}/mcp` };
}
