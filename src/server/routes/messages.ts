import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type MessageBody,
  MessagesQuery,
  PAGE_DEFAULT,
  type SendMessageBody,
  SendMessageRequest,
} from '../../contract';
import { type Awaitable, andThen } from '../awaitable';
import type { AuthUser, ServerContext } from '../context';
import { etagMatches, HttpError, parse, queryParser } from '../http';
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
function friendNamed(ctx: ServerContext, me: AuthUser, username: string): Awaitable<UserRecord> {
  return andThen(ctx.store.findUserByName(username), (peer) => {
    if (!peer) throw new HttpError('not_found', `There is no user "${username}".`);
    if (peer.id === me.id) throw notFriends(username);
    return andThen(ctx.store.areFriends(me.id, peer.id), (friends) => {
      if (!friends) throw notFriends(username);
      return peer;
    });
  });
}

const notFriends = (username: string) =>
  new HttpError('forbidden', `You can exchange messages only with friends, and ${username} is not one.`);

/** Answers a page of the conversation (the poll's 200): reads it, marks it read, tells the sender. */
async function sendPage(
  ctx: ServerContext,
  reply: FastifyReply,
  me: AuthUser,
  peer: UserRecord,
  page: PageQuery,
): Promise<undefined> {
  const read = await ctx.store.readMessages(me.id, peer.id, page);
  for (const id of read.delivered)
    ctx.hub.publish(peer.id, { type: 'delivered', data: { id, peer: me.username } });
  reply
    .header('etag', pageETag(read.version, page))
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(read.messages.map((m) => messageFor(me.id, peer.username, m))));
  return undefined;
}

export function messageRoutes(app: FastifyInstance, ctx: ServerContext) {
  const messagesQuery = queryParser(MessagesQuery);

  // Not an async handler: a conditional poll whose reads are all in memory is answered 304 in one go.
  app.get('/api/messages', (request, reply) => {
    const me = request.user as AuthUser;
    const query = messagesQuery(request);
    const page = { after: query.after, before: query.before, limit: query.limit ?? PAGE_DEFAULT };
    return andThen(friendNamed(ctx, me, query.peer), (peer) =>
      andThen(ctx.store.conversationVersion(me.id, peer.id), (version) => {
        // The ETag is the conversation's version with the page asked for, so a poll that matches is
        // answered without reading a single message.
        const current = pageETag(version, page);
        if (etagMatches(request.headers['if-none-match'], current)) {
          reply.header('etag', current).code(304).send();
          return undefined;
        }
        return sendPage(ctx, reply, me, peer, page);
      }),
    );
  });

  app.post('/api/messages', async (request, reply) => {
    const me = request.user as AuthUser;
    const body = parse(SendMessageRequest, request.body);
    const wait = await ctx.sendLimiter.take(me.id);
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
