/**
 * The backend contract (../shared/API.md) as valibot schemas: the one source for every request and
 * response body. The server validates requests with them, the client decodes answers with them, and the
 * MSW handlers use both. Requests are strict (an unknown field is a 400, a wrong type is never coerced);
 * responses are decoded tolerantly (unknown fields are dropped), so a newer server does not break an
 * older client.
 */
import * as v from 'valibot';
import { CLIENT_ID_MAX_CHARS, codePoints, MESSAGE_MAX_CHARS, PAGE_MAX, USERNAME_PATTERN } from './limits';

/** A lone surrogate cannot be stored as UTF-8 without being changed, so it is refused rather than mangled. */
const wellFormed = (text: string): boolean => text.isWellFormed();

const usernameMessage = 'A username is 3 to 32 letters, digits or underscores.';

/** A username as a person types it: matched case-insensitively, so it is lower-cased before the check. */
export const UsernameInput = v.pipe(
  v.string('The username must be a string.'),
  v.toLowerCase(),
  v.regex(USERNAME_PATTERN, usernameMessage),
);

/** A username as the server returns it: already lower-case. */
export const Username = v.pipe(v.string(), v.regex(USERNAME_PATTERN, usernameMessage));

export const Password = v.pipe(
  v.string('The password must be a string.'),
  v.check(wellFormed, 'The password contains an invalid character.'),
  v.check((p) => codePoints(p) >= 8 && codePoints(p) <= 256, 'A password is 8 to 256 characters long.'),
);

export const MessageContent = v.pipe(
  v.string('The message content must be a string.'),
  v.check(wellFormed, 'The message contains an invalid character.'),
  v.check((c) => c.length > 0 && !/^\s*$/u.test(c), 'A message cannot be empty or only white space.'),
  v.check(
    (c) => codePoints(c) <= MESSAGE_MAX_CHARS,
    `A message is at most ${MESSAGE_MAX_CHARS} characters long.`,
  ),
);

export const ClientId = v.pipe(
  v.string('The clientId must be a string.'),
  v.check(wellFormed, 'The clientId contains an invalid character.'),
  v.check(
    (id) => id.length > 0 && codePoints(id) <= CLIENT_ID_MAX_CHARS,
    `A clientId is 1 to ${CLIENT_ID_MAX_CHARS} characters long.`,
  ),
);

const MessageId = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const Timestamp = v.pipe(v.number(), v.safeInteger());

// ---- requests

export const CredentialsRequest = v.strictObject({ username: UsernameInput, password: Password });
export const AddFriendRequest = v.strictObject({ username: UsernameInput });
export const SendMessageRequest = v.strictObject({
  to: UsernameInput,
  content: MessageContent,
  clientId: ClientId,
});

const cursor = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^(0|[1-9][0-9]{0,15})$/, `${name} must be a message id (a whole number).`),
    v.transform(Number),
    v.safeInteger(`${name} is too large.`),
  );

/** The query string of GET /api/messages, as strings; repeated or unknown parameters are refused. */
export const MessagesQuery = v.pipe(
  v.strictObject({
    peer: UsernameInput,
    after: v.optional(cursor('after')),
    before: v.optional(cursor('before')),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[1-9][0-9]{0,3}$/, `limit must be a whole number from 1 to ${PAGE_MAX}.`),
        v.transform(Number),
        v.maxValue(PAGE_MAX, `limit must be a whole number from 1 to ${PAGE_MAX}.`),
      ),
    ),
  }),
  v.check((q) => q.after === undefined || q.before === undefined, 'Give after or before, not both.'),
);

// ---- responses

export const StatusResponse = v.object({
  status: v.literal('online'),
  version: v.string(),
  time: Timestamp,
  user: v.nullable(Username),
});

export const AuthResponse = v.object({ success: v.literal(true), username: Username, token: v.string() });

export const Friend = v.object({
  username: Username,
  online: v.boolean(),
  lastSeen: v.nullable(Timestamp),
  unread: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  lastMessageId: v.nullable(MessageId),
});
export const FriendsResponse = v.array(Friend);

export const AddFriendResponse = v.object({ success: v.literal(true), username: Username });

export const Message = v.object({
  id: MessageId,
  direction: v.picklist(['sent', 'received']),
  peer: Username,
  content: v.string(),
  timestamp: Timestamp,
  delivered: v.boolean(),
  clientId: v.nullable(v.string()),
});
export const MessagesResponse = v.array(Message);

export const SendMessageResponse = v.object({
  success: v.literal(true),
  id: MessageId,
  timestamp: Timestamp,
  delivered: v.boolean(),
});

// ---- push events (GET /api/events)

export const DeliveredEventData = v.object({ id: MessageId, peer: Username });
export const PresenceEventData = v.object({
  username: Username,
  online: v.boolean(),
  lastSeen: v.nullable(Timestamp),
});
export const FriendEventData = v.object({ username: Username });
export const ResetEventData = v.object({ reason: v.string() });

/** Each event type with the schema of its `data:` line. */
export const EventSchemas = {
  message: Message,
  delivered: DeliveredEventData,
  presence: PresenceEventData,
  friend: FriendEventData,
  reset: ResetEventData,
} as const;

export type StatusBody = v.InferOutput<typeof StatusResponse>;
export type AuthBody = v.InferOutput<typeof AuthResponse>;
export type FriendBody = v.InferOutput<typeof Friend>;
export type MessageBody = v.InferOutput<typeof Message>;
export type SendMessageBody = v.InferOutput<typeof SendMessageResponse>;
export type MessagesQueryInput = v.InferOutput<typeof MessagesQuery>;
export type PushEventType = keyof typeof EventSchemas;
export type PushEvent = {
  [K in PushEventType]: { type: K; data: v.InferOutput<(typeof EventSchemas)[K]> };
}[PushEventType];
