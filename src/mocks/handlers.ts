import { type HttpHandler, http } from 'msw';
import * as v from 'valibot';
import {
  AddFriendRequest,
  type AuthBody,
  CredentialsRequest,
  MessageContent,
  MessagesQuery,
  PAGE_DEFAULT,
  type SendMessageBody,
  SendMessageRequest,
  type StatusBody,
  UsernameInput,
} from '../contract';
import { eventStreamResponse } from './events';
import { type FaultRoute, type Faults, respondWithFault } from './faults';
import {
  bearerToken,
  errorResponse,
  INTERNAL_ERROR,
  json,
  MockHttpError,
  noContent,
  parse,
  readJsonBody,
  withETag,
} from './http';
import type { MockUser } from './store';
import type { MockWorld } from './world';

export type MockVariant = 'full' | 'basic';

export interface HandlerDeps {
  world: MockWorld;
  faults: Faults;
  variant: MockVariant;
  baseUrl: string;
  version: string;
  slowMs: number;
  keepAliveMs: number;
}

/**
 * What the basic backend reads of a request. Like the original desktop backend it knows no cursors and
 * no clientId: unknown query parameters and body fields are ignored rather than refused.
 */
const BasicMessagesQuery = v.object({ peer: UsernameInput });
const BasicSendRequest = v.object({ to: UsernameInput, content: MessageContent });

/** The query string as Fastify hands it to a route: a repeated parameter becomes an array (and so a 400). */
function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

/** API.md's calls over `world`, as MSW handlers; the last one answers every other /api path with a 404. */
export function createHandlers(deps: HandlerDeps): HttpHandler[] {
  const { world, faults, variant, baseUrl } = deps;
  const basePath = new URL(baseUrl || '/', 'http://base.invalid').pathname.replace(/\/$/, '');

  /** Faults first (a `once` is used up here), then the presence sweep, then the route; refusals become error bodies. */
  const answer = (
    request: Request,
    route: Exclude<FaultRoute, 'all'> | null,
    respond: () => Response | Promise<Response>,
  ) => {
    const proceed = async () => {
      world.presence.sweep();
      try {
        return await respond();
      } catch (error) {
        if (error instanceof MockHttpError) return errorResponse(error.code, error.message);
        // A bug in the mock: answered as the server answers its own, without a stack trace in the body.
        console.error('mock backend:', error);
        return errorResponse('internal', INTERNAL_ERROR);
      }
    };
    const fault = faults.take(route);
    return fault ? respondWithFault(fault, request, deps.slowMs, proceed) : proceed();
  };

  const route = (
    method: 'get' | 'post',
    path: string,
    faultRoute: Exclude<FaultRoute, 'all'>,
    respond: (request: Request, url: URL) => Response | Promise<Response>,
  ) =>
    http[method](`${baseUrl}${path}`, ({ request }) => {
      const url = new URL(request.url);
      // msw also matches a trailing slash, the server does not: such a path falls through to the 404.
      if (url.pathname !== basePath + path) return undefined;
      return answer(request, faultRoute, () => respond(request, url));
    });

  const notFound = (request: Request) =>
    errorResponse('not_found', `There is no ${request.method} ${new URL(request.url).pathname} here.`);

  const userOf = (request: Request): MockUser | undefined => {
    const token = bearerToken(request);
    return token === null ? undefined : world.store.userForToken(token);
  };

  /** Every call but status, register and login: the token's user, whose call is a presence heartbeat. */
  const signedIn = (request: Request): MockUser => {
    const user = userOf(request);
    if (!user)
      throw new MockHttpError('unauthorized', 'Sign in first: the token is missing, unknown or revoked.');
    world.presence.touch(user.id);
    return user;
  };

  const full = variant === 'full';

  return [
    route('get', '/api/status', 'status', (request) => {
      // A bad token is no error here: status answers everyone and names the user only when it can.
      const user = userOf(request);
      if (user) world.presence.touch(user.id);
      const body: StatusBody = {
        status: 'online',
        version: deps.version,
        time: world.now(),
        user: user?.username ?? null,
      };
      return json(body);
    }),

    route('post', '/api/register', 'auth', async (request) => {
      const { username, password } = parse(CredentialsRequest, await readJsonBody(request));
      const { user, token } = world.register(username, password);
      const body: AuthBody = { success: true, username: user.username, token };
      return json(body, 201);
    }),

    route('post', '/api/login', 'auth', async (request) => {
      const { username, password } = parse(CredentialsRequest, await readJsonBody(request));
      const { user, token } = world.login(username, password);
      const body: AuthBody = { success: true, username: user.username, token };
      return json(body);
    }),

    route('post', '/api/logout', 'auth', async (request) => {
      signedIn(request);
      // Read for its refusals only: the server parses any body it is sent, even here.
      await readJsonBody(request);
      world.store.revokeToken(bearerToken(request) as string);
      return noContent();
    }),

    route('get', '/api/friends', 'friends', (request) => {
      const friends = world.friendsOf(signedIn(request));
      return full ? withETag(request, friends) : json(friends);
    }),

    route('post', '/api/friends', 'friends', async (request) => {
      const me = signedIn(request);
      const { username } = parse(AddFriendRequest, await readJsonBody(request));
      const other = world.addFriend(me, username);
      return json({ success: true, username: other.username }, 201);
    }),

    route('get', '/api/messages', 'messages', (request, url) => {
      const me = signedIn(request);
      if (!full) {
        // Cursors and limit are ignored: the whole conversation, every time.
        const { peer } = parse(BasicMessagesQuery, queryObject(url));
        return json(world.read(me, peer, 'all'));
      }
      const query = parse(MessagesQuery, queryObject(url));
      const page = { after: query.after, before: query.before, limit: query.limit ?? PAGE_DEFAULT };
      return withETag(request, world.read(me, query.peer, page));
    }),

    route('post', '/api/messages', 'send', async (request) => {
      const me = signedIn(request);
      const input = await readJsonBody(request);
      // The basic backend keeps no clientId, so a repeated send is stored again: the weakness to survive.
      const { to, content, clientId } = full
        ? parse(SendMessageRequest, input)
        : { ...parse(BasicSendRequest, input), clientId: null };
      const { message, created } = world.send(me, to, content, clientId);
      const body: SendMessageBody = {
        success: true,
        id: message.id,
        timestamp: message.timestamp,
        delivered: message.delivered,
      };
      return json(body, created ? 201 : 200);
    }),

    route('get', '/api/events', 'events', (request) => {
      // Checked before the token, as the server answers an unknown route whoever asks.
      if (!full) return notFound(request);
      return eventStreamResponse(world, signedIn(request), request, deps.keepAliveMs);
    }),

    http.all(`${baseUrl}/api/*`, ({ request }) => answer(request, null, () => notFound(request))),
  ];
}
