/**
 * The tools' input and output schemas, in valibot and built on the contract's own (a username, a
 * message's content), so an agent is held to exactly the rules the server holds a person to.
 *
 * `@valibot/to-json-schema` turns them into the JSON Schema the agent sees. Its ready-made
 * `toStandardJsonSchema` throws on what JSON Schema cannot say (`toLowerCase`, `check`); `toolSchema` asks
 * for the same conversion with those left out, and validates with the full valibot schema.
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { MessageContent, UsernameInput } from '../contract';

/** Each schema converted once: the 2026 HTTP path builds a server (and asks for every tool's schema) per request. */
const converted = new WeakMap<v.GenericSchema, StandardSchemaWithJSON<unknown, unknown>>();

export function toolSchema<S extends v.GenericSchema>(
  schema: S,
): StandardSchemaWithJSON<v.InferInput<S>, v.InferOutput<S>> {
  const known = converted.get(schema);
  if (known) return known as StandardSchemaWithJSON<v.InferInput<S>, v.InferOutput<S>>;
  const json = toJsonSchema(schema, { errorMode: 'ignore' }) as Record<string, unknown>;
  const { $schema: _, ...withoutDialect } = json;
  const standard: StandardSchemaWithJSON<v.InferInput<S>, v.InferOutput<S>> = {
    '~standard': {
      version: 1,
      vendor: 'valibot',
      validate: (value) => schema['~standard'].validate(value),
      jsonSchema: { input: () => withoutDialect, output: () => withoutDialect },
    },
  };
  converted.set(schema, standard as StandardSchemaWithJSON<unknown, unknown>);
  return standard;
}

const whole = (name: string, min: number, max: number) =>
  v.pipe(
    v.number(`${name} must be a number.`),
    v.integer(`${name} must be a whole number.`),
    v.minValue(min, `${name} must be at least ${min}.`),
    v.maxValue(max, `${name} must be at most ${max}.`),
  );
const messageId = (name: string) => whole(name, 0, Number.MAX_SAFE_INTEGER);

export const NoInput = v.strictObject({});
export const AddFriendInput = v.strictObject({ username: UsernameInput });
export const ReadMessagesInput = v.strictObject({
  peer: UsernameInput,
  limit: v.optional(whole('limit', 1, 200)),
  before: v.optional(messageId('before')),
});
export const SendMessageInput = v.strictObject({ peer: UsernameInput, content: MessageContent });
export const WaitForMessagesInput = v.strictObject({
  peer: v.optional(UsernameInput),
  afterId: v.optional(messageId('afterId')),
  timeoutSeconds: v.optional(whole('timeoutSeconds', 1, 55)),
});

const Message = v.object({
  id: v.number(),
  direction: v.picklist(['sent', 'received']),
  content: v.string(),
  timestamp: v.number(),
  delivered: v.boolean(),
});

export const StatusOutput = v.object({
  username: v.string(),
  online: v.boolean(),
  transport: v.picklist(['live', 'polling']),
  serverVersion: v.nullable(v.string()),
  activity: v.nullable(v.string()),
});
export const FriendsOutput = v.object({
  friends: v.array(
    v.object({
      username: v.string(),
      online: v.boolean(),
      lastSeen: v.nullable(v.number()),
      unread: v.number(),
    }),
  ),
});
export const AddFriendOutput = v.object({ username: v.string() });
export const ReadMessagesOutput = v.object({
  peer: v.string(),
  messages: v.array(Message),
  hasOlder: v.boolean(),
});
export const SendMessageOutput = v.object({
  clientId: v.string(),
  state: v.picklist(['sent', 'delivered', 'pending', 'failed']),
  id: v.optional(v.number()),
  error: v.optional(v.string()),
});
export const WaitForMessagesOutput = v.object({
  messages: v.array(v.object({ ...Message.entries, peer: v.string() })),
  timedOut: v.boolean(),
});
