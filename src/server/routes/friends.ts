import type { FastifyInstance } from 'fastify';
import { AddFriendRequest, type FriendBody } from '../../contract';
import type { AuthUser, ServerContext } from '../context';
import { HttpError, parse, sendWithETag } from '../http';

export function friendRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/api/friends', async (request, reply) => {
    const me = request.user as AuthUser;
    const friends: FriendBody[] = (await ctx.store.listFriends(me.id)).map((f) => ({
      username: f.username,
      online: ctx.presence.isOnline(f.id),
      lastSeen: ctx.presence.lastSeen(f.id) ?? f.lastSeen,
      unread: f.unread,
      lastMessageId: f.lastMessageId,
    }));
    return sendWithETag(request, reply, friends);
  });

  app.post('/api/friends', async (request, reply) => {
    const me = request.user as AuthUser;
    const { username } = parse(AddFriendRequest, request.body);
    if (username === me.username) throw new HttpError('bad_request', 'You cannot add yourself as a friend.');
    const other = await ctx.store.findUserByName(username);
    if (!other) throw new HttpError('not_found', `There is no user "${username}".`);
    if (!(await ctx.store.addFriendship(me.id, other.id, ctx.now()))) {
      throw new HttpError('conflict', `You and ${username} are already friends.`);
    }
    ctx.hub.publish(other.id, { type: 'friend', data: { username: me.username } });
    ctx.hub.publish(me.id, { type: 'friend', data: { username: other.username } });
    return reply.code(201).send({ success: true, username: other.username });
  });
}
