import { retentionExpiresAt } from '../companies/retention';
import { AiResult } from '../ai/openai-content';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { primaryChannelFor } from '../context-object/conversation-id';
import { conversationIdOf, parseComposedMessage } from '../context-object/parse';
import { ComposedMessage, ReplyDetails } from '../context-object/types';
import { ConversationStatus } from '../conversations/types';
import { DeliveryKey, INITIAL_MESSAGE } from '../messages/types';
import { Channel } from '../request/types';

/**
 * One message for a sender to deliver, as the pipeline needs it, whatever queue message it came
 * from: which message of which conversation, what to send, what the conversation is (to create
 * it if this is its first message) and what its status becomes once sent.
 */
export interface Delivery {
  key: DeliveryKey;
  channel: Channel;
  /** The request as composed: recipient, project and channel configuration for the adapter. */
  contextObject: ComposedMessage;
  /** What the AI wrote for this message. */
  ai: AiResult;
  conversationAttributes: Record<string, unknown>;
  conversationStatusOnSent: ConversationStatus;
  /** When the request (or the reply) behind it was accepted (end-to-end latency). */
  receivedAt: string;
  /** Set when this is the answer to a person's reply, not the conversation's first message. */
  reply?: ReplyDetails;
}

/** The conversation item's first version: docs/data-model.md's copied attributes (this channel's config only). */
const conversationAttributesOf = (message: ComposedMessage, channel: Channel, processorVersion: string): Record<string, unknown> => {
  const request = message.frontend_payload;
  const company = message.company_data_payload;
  return {
    company_id: request.company_data.company_id,
    project_id: request.company_data.project_id,
    company_project: `${request.company_data.company_id}#${request.company_data.project_id}`,
    request_id: request.request_data.request_id,
    channel_method: channel,
    // Every channel of the request: its other conversations share this one's thread.
    request_channels: request.request_data.channel_method,
    initial_request_timestamp: request.request_data.initial_request_timestamp,
    recipient_first_name: request.recipient_data.recipient_first_name,
    recipient_last_name: request.recipient_data.recipient_last_name,
    recipient_tel: request.recipient_data.recipient_tel,
    recipient_email: request.recipient_data.recipient_email,
    comms_consent: request.recipient_data.comms_consent,
    // Free-form client data is stored as JSON text, never as a DynamoDB map: its keys and numbers
    // are the client's, and the marshaller and DynamoDB refuse or silently lose some of them
    // (a "constructor" or "__proto__" key, an empty key, a number beyond 2^53 or DynamoDB's range).
    project_data_json: request.project_data === undefined ? undefined : JSON.stringify(request.project_data),
    company_name: company.company_name,
    project_name: company.project_name,
    company_rep: company.company_rep,
    ai_config: { openai_config: { [channel]: company.ai_config.openai_config[channel] } },
    channel_config: { [channel]: company.channel_config[channel] },
    thread_id: message.conversation_data.thread_id,
    task_complete: 0,
    // The project's retention (DynamoDB TTL): the conversation and its message items expire together.
    expires_at: retentionExpiresAt(company, new Date(message.metadata.received_at)),
    hand_off_to_human: false,
    router_version: message.metadata.router_version,
    processor_version: processorVersion,
    trace_id: message.metadata.trace_id,
  };
};

/**
 * A composed message's part for this channel: the conversation's first message, or (with
 * `reply`) the answer to a person's reply, which the reply step publishes in the same shape.
 * Throws what the parser throws.
 */
export const deliveryOf = (body: string, channel: Channel, processorVersion: string): Delivery => {
  const contextObject = parseComposedMessage(body, channel);
  const conversationId = conversationIdOf(contextObject, channel);
  const reply = contextObject.reply;
  return {
    key: {
      conversation: { primary_channel: primaryChannelFor(contextObject.frontend_payload, channel), conversation_id: conversationId },
      messageKey: reply?.message_key ?? INITIAL_MESSAGE,
    },
    channel,
    contextObject,
    ai: { threadId: contextObject.conversation_data.thread_id, ...contextObject.composed[channel]! },
    conversationAttributes: conversationAttributesOf(contextObject, channel, processorVersion),
    conversationStatusOnSent: reply ? 'reply_sent' : 'initial_message_sent',
    receivedAt: contextObject.metadata.received_at,
    ...(reply ? { reply } : {}),
  };
};

/** The keys of a message too broken to validate, when they can still be found (to record the failure). */
export const derivableDeliveryKey = (body: string, channel: Channel): DeliveryKey | undefined => {
  try {
    const value = JSON.parse(body) as Partial<ComposedMessage>;
    const messageKey =
      typeof value.reply?.message_key === 'string' && value.reply.message_key.startsWith('reply#')
        ? value.reply.message_key
        : INITIAL_MESSAGE;
    const conversationId = value.conversation_data?.conversations?.find?.((c) => c?.channel === channel)?.conversation_id;
    const recipient = value.frontend_payload?.recipient_data;
    const primary = recipient ? recipient[CHANNEL_DESCRIPTORS[channel].recipientField] : undefined;
    return typeof conversationId === 'string' && typeof primary === 'string' && conversationId && primary
      ? { conversation: { primary_channel: primary, conversation_id: conversationId }, messageKey }
      : undefined;
  } catch {
    return undefined;
  }
};
