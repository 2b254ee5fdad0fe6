import { z } from 'zod';

/** Dify's limit on a query (`/v1/chat-messages`). */
export const MAX_QUERY = 100_000;

const contentPart = z.looseObject({ type: z.string().max(64) });
const message = z.looseObject({
  role: z.string().max(32),
  content: z
    .union([z.string(), z.array(contentPart).max(100), z.null()], {
      message: 'must be a string or a list of content parts',
    })
    .optional(),
});

const streamFields = {
  model: z.string({ message: 'you must provide a model parameter' }).min(1).max(255),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { message: 'only 1 is supported (one answer per request)' }).nullish(),
  /** OpenAI's end-user id: Dify's `user`. */
  user: z.string().max(255).nullish(),
  /** Dify extensions: continue a conversation, the app's form inputs. */
  conversation_id: z.union([z.uuid({ message: 'must be a UUID' }), z.literal('')]).nullish(),
  inputs: z.record(z.string(), z.unknown(), { message: 'must be an object' }).nullish(),
};

export const ChatCompletionBody = z.looseObject({
  ...streamFields,
  messages: z
    .array(message, { message: 'must be a list of messages' })
    .min(1, 'must hold at least one message')
    .max(1000),
  tools: z.array(z.unknown()).max(0, "tools are not supported: an app's tools are its own").nullish(),
});

export const CompletionBody = z.looseObject({
  ...streamFields,
  prompt: z.union([z.string(), z.array(z.string())], { message: 'must be a string or a list of one string' }),
});

export const EmbeddingBody = z.looseObject({
  model: streamFields.model,
  input: z.union(
    [z.string().min(1, 'must not be empty'), z.array(z.string().min(1, 'must not be empty')).min(1).max(2048)],
    { message: 'must be a string or a list of strings (token arrays are not supported)' },
  ),
  encoding_format: z.enum(['float', 'base64'], { message: "must be 'float' or 'base64'" }).nullish(),
  user: z.string().max(255).nullish(),
});

/** `X-Dify-Conversation-Id`: a conversation to continue, as the header names it. */
export const ConversationHeader = z.object({
  'x-dify-conversation-id': z.uuid({ message: 'must be a UUID' }).optional(),
});
