import { CHANNEL_DESCRIPTORS } from '../channels';
import { OpenAiChannelConfig } from '../companies/types';
import { ConversationItem } from '../conversations/types';
import { InboundMessage } from './types';

/**
 * The AI's turn on a reply (docs/processing.md "Replies"). Structured Outputs (strict) so that the
 * answer, the hand-off decision and the task state come back as one validated object.
 */
export const REPLY_SCHEMA = {
  name: 'reply_turn',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['reply', 'hand_off_to_human', 'hand_off_reason', 'task_complete', 'opt_out'],
    properties: {
      reply: { type: 'string', description: 'The answer to send the person, on the channel they wrote on, in plain text.' },
      hand_off_to_human: {
        type: 'boolean',
        description:
          'True when a person at the company must take over: the person asks for one, is upset, or asks what you cannot answer from the thread.',
      },
      hand_off_reason: { type: ['string', 'null'], description: 'Why a human should take over; null when hand_off_to_human is false.' },
      task_complete: { type: 'boolean', description: 'True when the purpose of the conversation is reached or the person declined.' },
      opt_out: {
        type: 'boolean',
        description:
          'True when the person asks not to be contacted again (stop, unsubscribe, remove me, in any words or language); nothing is sent then.',
      },
    },
  },
};

/** Used when a project sets no `ai_config.reply_instructions`. */
export const DEFAULT_REPLY_INSTRUCTIONS = [
  'You are continuing a conversation you started on behalf of the company, on WhatsApp, SMS or e-mail.',
  "The thread holds every message so far on every channel. Answer the person's latest message on the channel it came from,",
  'briefly and politely, in the language they wrote in. Never invent facts about the role, pay or dates that the thread does not contain.',
  'If they ask for a person, complain, or ask something you cannot answer from the thread, say that a colleague will get in touch and set hand_off_to_human with a reason.',
  'Set task_complete when they have answered what the first message asked, or said they are not interested.',
  'Set opt_out when they ask not to be contacted again, in whatever words or language; no answer is sent then.',
].join(' ');

/** Replies use a model with instructions; a channel configured with a stored prompt (first messages) falls back to this model. */
export const DEFAULT_REPLY_MODEL = 'gpt-4o-mini';

/** The channel's AI settings for a reply turn: the thread's key, the channel's model, the project's reply instructions. */
export const replyAiConfig = (
  threadConfig: OpenAiChannelConfig,
  projectConfig: OpenAiChannelConfig | undefined,
  replyInstructions: string | undefined,
): OpenAiChannelConfig => ({
  // The thread belongs to the key that created it: always that one, even if the project's changed since.
  api_key_reference: threadConfig.api_key_reference,
  model: projectConfig?.model ?? threadConfig.model ?? DEFAULT_REPLY_MODEL,
  instructions: replyInstructions ?? DEFAULT_REPLY_INSTRUCTIONS,
  ...(projectConfig?.temperature !== undefined ? { temperature: projectConfig.temperature } : {}),
  ...(projectConfig?.max_output_tokens !== undefined ? { max_output_tokens: projectConfig.max_output_tokens } : {}),
});

const waitingTexts = (conversation: ConversationItem, inboundId: string): string[] =>
  (Array.isArray(conversation.waiting_messages) ? (conversation.waiting_messages as { inbound_id?: string; text?: string }[]) : [])
    .filter((m) => m.inbound_id !== inboundId && typeof m.text === 'string')
    .map((m) => m.text!);

/** What the AI is told for the turn: the person's message and where it came from. Never contact details. */
export const replyInput = (inbound: InboundMessage, conversation: ConversationItem, maxMessageLength: number | undefined) => ({
  task: 'reply',
  channel: inbound.channel,
  // What the person wrote just before, while this was waiting: answered together, in one turn.
  ...(waitingTexts(conversation, inbound.inbound_id).length > 0
    ? { earlier_messages: waitingTexts(conversation, inbound.inbound_id) }
    : {}),
  message: inbound.text,
  ...(inbound.subject ? { subject: inbound.subject } : {}),
  recipient_first_name: (conversation.recipient_first_name as string | undefined) ?? null,
  max_message_length: CHANNEL_DESCRIPTORS[inbound.channel].obeysMaxMessageLength ? (maxMessageLength ?? null) : null,
});
