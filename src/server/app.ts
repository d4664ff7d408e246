import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import pkg from '../../package.json' with { type: 'json' };
import { BODY_LIMIT_BYTES, STATUS_BY_CODE } from '../contract';
import type { ServerContext } from './context';
import { createSecretCheck, DEFAULT_HASHING, type HashingOptions } from './credentials';
import { createHostGuard } from './hosts';
import { errorBody, HttpError } from './http';
import { createMemoryHub, type Hub } from './hub';
import { createPresence, type Presence } from './presence';
import { createRateLimiter, createWindowLimiter } from './rateLimit';
import { authRoutes, publicAuthRoutes, requireUser } from './routes/auth';
import { eventRoutes } from './routes/events';
import { friendRoutes } from './routes/friends';
import { messageRoutes } from './routes/messages';
import { statusRoutes } from './routes/status';
import { withCache } from './store/cached';
import type { Store } from './store/store';

export interface AppDeps {
  store: Store;
  hub?: Hub;
  /**
   * The clock (default `Date.now`). Given one, the app keeps its rate limits in memory on it, even over a
   * store that could share them (those run on the wall clock).
   */
  now?: () => number;
  /** Fastify's logger options; off unless given. Tokens and passwords are redacted either way. */
  logger?: FastifyServerOptions['logger'];
  /** The built web UI to serve at `/`; null serves nothing but the API. */
  staticDir?: string | null;
  /** Host names a request may be addressed to (DNS-rebinding guard); `localhost` and loopback always pass. */
  allowedHosts?: readonly string[];
  hashing?: HashingOptions;
  keepAliveMs?: number;
  presenceWindowMs?: number;
  /** How often presence is swept; 0 leaves sweeping to the caller (tests call `presence.sweep()`). */
  presenceSweepMs?: number;
  sendRate?: { capacity: number; perSecond: number };
  /** At most `capacity` failed logins per username in any `capacity / perSecond` seconds. */
  loginFailures?: { capacity: number; perSecond: number };
}

export interface ParleyApp extends FastifyInstance {
  parley: { store: Store; hub: Hub; presence: Presence };
}

/** Builds the whole server without listening, so tests drive it with `inject` or on a port of their own. */
export async function createApp(deps: AppDeps): Promise<ParleyApp> {
  const now = deps.now ?? Date.now;
  const hub = deps.hub ?? createMemoryHub({ now });
  // Tokens, users and friendships are read on every request and seldom change: kept in memory.
  const store = withCache(deps.store, { now });
  const presence = createPresence({ store, hub, now, windowMs: deps.presenceWindowMs });
  const sendRate = deps.sendRate ?? { capacity: 40, perSecond: 20 };
  const loginFailures = deps.loginFailures ?? { capacity: 10, perSecond: 10 / 60 };
  const loginWindow = {
    limit: loginFailures.capacity,
    windowMs: Math.round((loginFailures.capacity / loginFailures.perSecond) * 1000),
  };
  // A store that several instances share keeps the limits for all of them (per user in total). Those run
  // on the wall clock, so an app given a clock of its own (a test's) keeps its limits in memory, on that clock.
  const shared = deps.now === undefined ? deps.store.sharedLimits : undefined;
  const ctx: ServerContext = {
    store,
    hub,
    presence,
    now,
    version: pkg.version,
    hashing: deps.hashing ?? DEFAULT_HASHING,
    sendLimiter: shared ? shared.sends(sendRate) : createRateLimiter({ ...sendRate, now }),
    loginLimiter: shared ? shared.failedLogins(loginWindow) : createWindowLimiter({ ...loginWindow, now }),
    keepAliveMs: deps.keepAliveMs ?? 15_000,
    secretCheck: createSecretCheck(),
  };

  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Event streams are ended by the hub on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A URL the router cannot decode ("/api/%zz") never reaches the error handler: answer it in the API's shape.
    frameworkErrors: (_error, _request, reply) => {
      (reply as FastifyReply).code(400).send(errorBody('bad_request', 'The request URL is malformed.'));
    },
    // Malformed HTTP (a bad request line, oversized headers) never becomes a request: answer in the API's shape.
    clientErrorHandler: (error, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const message =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? 'The request headers are too large.'
          : 'The request is not valid HTTP.';
      const body = JSON.stringify(errorBody('bad_request', message));
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 400 Bad Request\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
  }) as unknown as ParleyApp;
  app.decorate('parley', { store, hub, presence });
  app.decorateRequest('user', null);

  // Only JSON bodies are accepted: anything else (text/plain included) is a 415.
  app.removeContentTypeParser(['text/plain']);
  // An empty JSON body counts as no body (a route that needs one says what is missing), so a client that
  // always sends `Content-Type: application/json` can still log out; anything else is parsed as usual.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });

  // One synchronous hook per request (an async hook costs a promise and a tick): the Host guard, then the
  // headers every answer carries, set first so that error answers carry them too.
  const hostGuard = createHostGuard(deps.allowedHosts ?? []);
  app.addHook('onRequest', (request, reply, done) => {
    if (!hostGuard(request.headers.host)) {
      done(new HttpError('bad_request', 'This server does not answer to that Host name.'));
      return;
    }
    reply.headers(request.url.startsWith('/api/') ? API_HEADERS : PAGE_HEADERS);
    done();
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
      return reply.code(error.status).send(errorBody(error.code, error.message));
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(errorBody('internal', 'Something went wrong on the server.'));
    }
    const code = CODE_BY_STATUS[status] ?? 'bad_request';
    return reply.code(STATUS_BY_CODE[code]).send(errorBody(code, FRAMEWORK_MESSAGES[code] ?? error.message));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody('not_found', `There is no ${request.method} ${request.url.split('?')[0]} here.`)),
  );

  statusRoutes(app, ctx);
  publicAuthRoutes(app, ctx);
  await app.register(async (signedIn) => {
    signedIn.addHook('onRequest', requireUser(ctx));
    authRoutes(signedIn, ctx);
    friendRoutes(signedIn, ctx);
    messageRoutes(signedIn, ctx);
    eventRoutes(signedIn, ctx);
  });

  if (deps.staticDir && existsSync(deps.staticDir)) {
    await app.register(fastifyStatic, { root: deps.staticDir, wildcard: false, index: 'index.html' });
  }

  const sweepMs = deps.presenceSweepMs ?? 5000;
  const sweeper = sweepMs > 0 ? setInterval(() => void presence.sweep(), sweepMs) : undefined;
  sweeper?.unref();
  app.addHook('preClose', async () => {
    clearInterval(sweeper);
    hub.close();
  });
  app.addHook('onClose', async () => {
    await store.close();
  });
  return app;
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
const API_HEADERS = { ...SECURITY_HEADERS, 'cache-control': 'no-store' };
/** The served UI may load only its own files: no inline script, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');
const PAGE_HEADERS = { ...SECURITY_HEADERS, 'content-security-policy': CONTENT_SECURITY_POLICY };

const CODE_BY_STATUS: Record<number, keyof typeof STATUS_BY_CODE> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Fastify's own 4xx messages, replaced by sentences for a person. */
const FRAMEWORK_MESSAGES: Partial<Record<keyof typeof STATUS_BY_CODE, string>> = {
  bad_request: 'The request is malformed: the body must be valid JSON.',
  payload_too_large: 'The request body is larger than 64 KiB.',
  unsupported_media_type: 'The request body must be JSON (Content-Type: application/json).',
};
