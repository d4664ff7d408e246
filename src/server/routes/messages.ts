import type { FastifyInstance } from 'fastify';
import {
  type MessageBody,
  MessagesQuery,
  PAGE_DEFAULT,
  type SendMessageBody,
  SendMessageRequest,
} from '../../api/schemas';
import type { AuthUser, ServerContext } from '../context';
import { etagMatches, HttpError, parse } from '../http';
import type { PageQuery, StoredMessage, UserRecord } from '../store/store';

/** A stored message as one side of the conversation sees it. */
export const messageFor = (viewerId: number, peer: string, m: StoredMessage): MessageBody => ({
  id: m.id,
  direction: m.senderId === viewerId ? 'sent' : 'received',
  peer,
  content: m.content,
  timestamp: m.timestamp,
  delivered: m.delivered,
  clientId: m.clientId,
});

const pageETag = (version: string, page: PageQuery) =>
  `"${version}.${page.after ?? ''}.${page.before ?? ''}.${page.limit}"`;

/** The peer named in a request, who must exist (404) and be a friend (403). */
async function friendNamed(ctx: ServerContext, me: AuthUser, username: string): Promise<UserRecord> {
  const peer = await ctx.store.findUserByName(username);
  if (!peer) throw new HttpError('not_found', `There is no user "${username}".`);
  if (peer.id === me.id || !(await ctx.store.areFriends(me.id, peer.id))) {
    throw new HttpError(
      'forbidden',
      `You can exchange messages only with friends, and ${username} is not one.`,
    );
  }
  return peer;
}

export function messageRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/api/messages', async (request, reply) => {
    const me = request.user as AuthUser;
    const query = parse(MessagesQuery, request.query);
    const peer = await friendNamed(ctx, me, query.peer);
    const page = { after: query.after, before: query.before, limit: query.limit ?? PAGE_DEFAULT };
    // The ETag is the conversation's version with the page asked for, so a poll that matches is answered
    // without reading a single message.
    const current = pageETag(await ctx.store.conversationVersion(me.id, peer.id), page);
    if (etagMatches(request.headers['if-none-match'], current)) {
      return reply.header('etag', current).code(304).send();
    }
    const read = await ctx.store.readMessages(me.id, peer.id, page);
    for (const id of read.delivered)
      ctx.hub.publish(peer.id, { type: 'delivered', data: { id, peer: me.username } });
    return reply
      .header('etag', pageETag(read.version, page))
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(read.messages.map((m) => messageFor(me.id, peer.username, m))));
  });

  app.post('/api/messages', async (request, reply) => {
    const me = request.user as AuthUser;
    const body = parse(SendMessageRequest, request.body);
    const wait = ctx.sendLimiter.take(me.id);
    if (wait > 0) throw new HttpError('rate_limited', `Sending too fast; try again in ${wait} s.`, wait);
    const peer = await friendNamed(ctx, me, body.to);
    const { message, created } = await ctx.store.insertMessage({
      senderId: me.id,
      recipientId: peer.id,
      content: body.content,
      clientId: body.clientId,
      timestamp: ctx.now(),
      delivered: ctx.hub.hasStream(peer.id),
    });
    if (created) {
      ctx.hub.publish(peer.id, { type: 'message', data: messageFor(peer.id, me.username, message) });
      ctx.hub.publish(me.id, { type: 'message', data: messageFor(me.id, peer.username, message) });
    }
    const answer: SendMessageBody = {
      success: true,
      id: message.id,
      timestamp: message.timestamp,
      delivered: message.delivered,
    };
    return reply.code(created ? 201 : 200).send(answer);
  });
}
