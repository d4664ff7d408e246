import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { CredentialsRequest } from '../../contract';
import { type Awaitable, andThen } from '../awaitable';
import type { AuthUser, ServerContext } from '../context';
import { decoyHash, hashPassword, newToken, verifyPassword } from '../credentials';
import { HttpError, parse } from '../http';

/** `Authorization: Bearer <id>.<secret>` in one expression (the token's shape is splitToken's). */
const BEARER = /^Bearer +([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})\s*$/i;

/** Resolves `Authorization: Bearer <token>` to its user, or null for a missing, malformed or revoked token. */
export function userFromRequest(ctx: ServerContext, request: FastifyRequest): Awaitable<AuthUser | null> {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) return null;
  const id = match[1] as string;
  const secret = match[2] as string;
  return andThen(ctx.store.findToken(id), (record) =>
    record && ctx.secretCheck(id, secret, record.secretHash)
      ? { id: record.userId, username: record.username, tokenId: id }
      : null,
  );
}

/**
 * The onRequest hook of every route but status, register and login. A callback hook, not an async one: when
 * the token is in memory and presence does not change, the request goes on without a promise or a tick.
 */
export const requireUser =
  (ctx: ServerContext) => (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const user = userFromRequest(ctx, request);
    if (user instanceof Promise) user.then((found) => admit(ctx, request, found, done), done);
    else admit(ctx, request, user, done);
  };

function admit(
  ctx: ServerContext,
  request: FastifyRequest,
  user: AuthUser | null,
  done: HookHandlerDoneFunction,
) {
  if (!user) {
    done(new HttpError('unauthorized', 'Sign in first: the token is missing, unknown or revoked.'));
    return;
  }
  request.user = user;
  const announced = ctx.presence.touch(user.id, user.username);
  if (announced) announced.then(() => done(), done);
  else done();
}

async function issueToken(ctx: ServerContext, userId: number): Promise<string> {
  const { token, id, secretHash } = newToken();
  await ctx.store.createToken(id, userId, secretHash, ctx.now());
  return token;
}

export function publicAuthRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.post('/api/register', async (request, reply) => {
    const { username, password } = parse(CredentialsRequest, request.body);
    const user = await ctx.store.createUser(username, await hashPassword(password, ctx.hashing), ctx.now());
    if (!user) throw new HttpError('conflict', `The username "${username}" is taken.`);
    const token = await issueToken(ctx, user.id);
    await ctx.presence.touch(user.id, user.username);
    return reply.code(201).send({ success: true, username: user.username, token });
  });

  app.post('/api/login', async (request, reply) => {
    const { username, password } = parse(CredentialsRequest, request.body);
    const wait = await ctx.loginLimiter.peek(username);
    if (wait > 0) {
      throw new HttpError(
        'rate_limited',
        `Too many failed logins for "${username}"; try again in ${wait} s.`,
        wait,
      );
    }
    const user = await ctx.store.findUserByName(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash(ctx.hashing)));
    if (!user || !ok) {
      await ctx.loginLimiter.take(username);
      throw new HttpError('unauthorized', 'The username or password is wrong.');
    }
    const token = await issueToken(ctx, user.id);
    await ctx.presence.touch(user.id, user.username);
    return reply.send({ success: true, username: user.username, token });
  });
}

export function authRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.post('/api/logout', async (request, reply) => {
    await ctx.store.revokeToken((request.user as AuthUser).tokenId);
    return reply.code(204).send();
  });
}
