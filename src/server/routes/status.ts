import type { FastifyInstance } from 'fastify';
import type { StatusBody } from '../../contract';
import type { ServerContext } from '../context';
import { userFromRequest } from './auth';

export function statusRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/api/status', async (request): Promise<StatusBody> => {
    // A bad token is not an error here: status answers everyone, and names the user only when it can.
    const user = await userFromRequest(ctx, request);
    if (user) await ctx.presence.touch(user.id, user.username);
    return { status: 'online', version: ctx.version, time: ctx.now(), user: user?.username ?? null };
  });
}
