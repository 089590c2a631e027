import { ConversationKey, ConversationStatus, MessageEntry } from '../conversations/types';
import { DeliveryRepository, FinalUpdate } from '../messages/delivery-repository';
import { DeliveryKey } from '../messages/types';

/**
 * The repair object of a POST_SEND_UPDATE_FAILED CRITICAL line (docs/processing.md "Record"):
 * the message was sent, its final update could not be written. It carries everything that update
 * would have written, so `pnpm repair` applies exactly that update, through the same repository
 * call, later.
 */
export interface PostSendRepair {
  message: { table: string; key: { conversation_id: string; message_key: string }; message_status: 'sent'; provider_message_id: string };
  conversation: {
    table: string;
    key: ConversationKey;
    conversation_status: ConversationStatus;
    thread_id: string | null;
    append_message_entry: MessageEntry;
    inbound_key?: string;
    processing_time_ms?: number;
    processor_version?: string;
    /** The conversation's TTL, which the message entry carries. */
    expires_at?: number;
  };
}

export const postSendRepairOf = (
  tables: { messagesTable: string; conversationsTable: string },
  key: DeliveryKey,
  update: FinalUpdate,
): PostSendRepair => ({
  message: {
    table: tables.messagesTable,
    key: { conversation_id: key.conversation.conversation_id, message_key: key.messageKey },
    message_status: 'sent',
    provider_message_id: update.message.message_id,
  },
  conversation: {
    table: tables.conversationsTable,
    key: key.conversation,
    conversation_status: update.conversationStatus,
    thread_id: update.threadId,
    append_message_entry: update.message,
    ...(update.inboundKey ? { inbound_key: update.inboundKey } : {}),
    processing_time_ms: update.processingTimeMs,
    processor_version: update.processorVersion,
    ...(update.expiresAt !== undefined ? { expires_at: update.expiresAt } : {}),
  },
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * The repair objects in pasted log text: each line's JSON (a CloudWatch line may carry a
 * timestamp and request id before it) with a well-formed `repair`. Anything else is skipped:
 * `reasons` says why, so an operator who pasted the wrong line is told.
 */
export const repairsInLog = (text: string): { repairs: PostSendRepair[]; reasons: string[] } => {
  const repairs: PostSendRepair[] = [];
  const reasons: string[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const start = line.indexOf('{');
    if (start < 0 || !line.includes('"repair"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.slice(start));
    } catch {
      reasons.push(`line ${index + 1}: not one whole JSON object`);
      continue;
    }
    const repair = isObject(parsed) ? parsed.repair : undefined;
    const message = isObject(repair) ? repair.message : undefined;
    const conversation = isObject(repair) ? repair.conversation : undefined;
    const wellFormed =
      isObject(message) &&
      isObject(message.key) &&
      isText(message.table) &&
      isText(message.key.conversation_id) &&
      isText(message.key.message_key) &&
      isText(message.provider_message_id) &&
      isObject(conversation) &&
      isObject(conversation.key) &&
      isText(conversation.table) &&
      isText(conversation.key.primary_channel) &&
      conversation.key.conversation_id === message.key.conversation_id &&
      isText(conversation.conversation_status) &&
      isObject(conversation.append_message_entry) &&
      conversation.append_message_entry.message_id === message.provider_message_id;
    if (wellFormed) repairs.push(repair as PostSendRepair);
    else reasons.push(`line ${index + 1}: its repair object lacks a key, the provider message id or the message entry`);
  }
  return { repairs, reasons };
};

export type RepairResult = 'repaired' | 'already-repaired';

/** Apply one repair: the final update the processor could not write, with its own conditions (written once). */
export const applyPostSendRepair = async (
  repair: PostSendRepair,
  deliveries: Pick<DeliveryRepository, 'complete' | 'getMessage'>,
  now: Date,
): Promise<RepairResult> => {
  const key: DeliveryKey = { conversation: repair.conversation.key, messageKey: repair.message.key.message_key };
  const current = await deliveries.getMessage(key);
  if (current?.provider_message_id === repair.message.provider_message_id && current.message_status === 'sent') return 'already-repaired';
  await deliveries.complete(
    key,
    {
      message: repair.conversation.append_message_entry,
      conversationStatus: repair.conversation.conversation_status,
      threadId: repair.conversation.thread_id ?? null,
      processingTimeMs: repair.conversation.processing_time_ms ?? 0,
      processorVersion: repair.conversation.processor_version ?? 'repair',
      ...(repair.conversation.inbound_key ? { inboundKey: repair.conversation.inbound_key } : {}),
      ...(typeof repair.conversation.expires_at === 'number' ? { expiresAt: repair.conversation.expires_at } : {}),
    },
    now,
  );
  return 'repaired';
};
