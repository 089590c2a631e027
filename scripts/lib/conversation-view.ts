import type { CurrentDelivery } from '@ai-multi-comms/core';
import { textOf } from '@ai-multi-comms/core';

/** One conversation as the `conversation` command shows it: the item, its message items, their delivery status. */
export interface ConversationView {
  conversation: Record<string, unknown>;
  deliveries: Record<string, unknown>[];
  deliveryStatus: Record<string, CurrentDelivery>;
}

const oneLine = (text: unknown, width: number): string => {
  const flat = textOf(text).replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

/**
 * What an on-call engineer reads first: who, which channel, its state and why, then the messages
 * in order with each sent message's delivery state. Message text is cut to one line (the full
 * item is `--json`).
 */
export const formatConversation = ({ conversation: c, deliveries, deliveryStatus }: ConversationView): string => {
  const lines: string[] = [];
  const to = [c.recipient_first_name, c.recipient_last_name].filter(Boolean).join(' ');
  lines.push(`Conversation ${String(c.conversation_id)}`);
  lines.push(
    `  status      ${String(c.conversation_status)}${c.failure_reason ? ` (${textOf(c.failure_class, 'failure')}: ${oneLine(c.failure_reason, 120)})` : ''}`,
  );
  lines.push(`  channel     ${String(c.channel_method)} to ${String(c.primary_channel)}${to ? ` (${to})` : ''}`);
  lines.push(`  project     ${String(c.company_id)}/${String(c.project_id)}   request ${String(c.request_id)}`);
  lines.push(`  created     ${String(c.created_at)}   updated ${String(c.updated_at)}`);
  if (c.thread_id) lines.push(`  AI thread   ${textOf(c.thread_id)}`);
  if (c.hand_off_to_human) lines.push(`  handed off  ${oneLine(c.hand_off_reason, 120)}`);
  const messages = Array.isArray(c.messages) ? (c.messages as Record<string, unknown>[]) : [];
  lines.push(`Messages (${messages.length})`);
  for (const message of messages) {
    const delivery = deliveryStatus[String(message.message_id)];
    const state = message.role === 'user' ? 'received' : (delivery?.delivery_status ?? 'sent');
    const error = delivery?.delivery_error_code
      ? ` ${delivery.delivery_error_code}${delivery.delivery_error ? ` ${delivery.delivery_error}` : ''}`
      : '';
    lines.push(
      `  ${String(message.timestamp)}  ${String(message.role).padEnd(9)} ${String(message.channel).padEnd(8)} ${(state + error).padEnd(10)} ${oneLine(message.subject ? `[${textOf(message.subject)}] ${textOf(message.content)}` : message.content, 80)}`,
    );
  }
  lines.push(`Deliveries (${deliveries.length})`);
  for (const d of deliveries) {
    lines.push(
      `  ${String(d.message_key).padEnd(16)} ${String(d.message_status).padEnd(22)} attempts=${String(d.attempts)}  ${textOf(d.provider_message_id, '-')}${d.failure_reason ? `  ${oneLine(d.failure_reason, 100)}` : ''}`,
    );
  }
  return lines.join('\n');
};
