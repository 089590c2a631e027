import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CompanyProject,
  ConversationItem,
  CurrentDelivery,
  dynamoConversationEntries,
  MessageItem,
  dynamoConversationList,
  dynamoDeliveryStatusStore,
  dynamoThreadRepository,
  threadKeyOf,
} from '@ai-multi-comms/core';
import type { ConsoleTarget } from './console-target';

/** A conversation as the list shows it. */
const summaryOf = (item: ConversationItem) => ({
  company_id: String(item.company_id),
  project_id: String(item.project_id),
  request_id: String(item.request_id),
  conversation_id: item.conversation_id,
  channel: String(item.channel_method),
  conversation_status: item.conversation_status,
  hand_off_to_human: item.hand_off_to_human === true,
  hand_off_reason: typeof item.hand_off_reason === 'string' ? item.hand_off_reason : undefined,
  recipient: {
    first_name: typeof item.recipient_first_name === 'string' ? item.recipient_first_name : undefined,
    last_name: typeof item.recipient_last_name === 'string' ? item.recipient_last_name : undefined,
    address: item.primary_channel,
  },
  message_count: typeof item.message_count === 'number' ? item.message_count : 0,
  failure_reason: item.failure_reason,
  created_at: item.created_at,
  last_message_at: typeof item.last_message_at === 'string' ? item.last_message_at : item.created_at,
});

export type ConversationSummary = ReturnType<typeof summaryOf>;

/** The console's reads, straight from the tables (the operator's view, across projects). */
export const consoleData = (documents: DynamoDBDocumentClient, target: ConsoleTarget) => {
  const list = dynamoConversationList(documents, target.tables.conversations);
  const entries = dynamoConversationEntries(documents, target.tables.messages);
  const threads = dynamoThreadRepository(documents, target.tables.threads);
  const deliveries = target.tables.deliveryEvents ? dynamoDeliveryStatusStore(documents, target.tables.deliveryEvents) : undefined;

  /** Newest first, across the given projects (each read newest first through its index, then merged). */
  const conversations = async (
    projects: Pick<CompanyProject, 'company_id' | 'project_id'>[],
    filter: { status?: string; channel?: string; recipient?: string },
    limit: number,
  ) => {
    const pages = await Promise.all(projects.map((p) => list.page(p.company_id, p.project_id, filter, { limit })));
    return pages
      .flatMap((page) => page.items.map(summaryOf))
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
      .slice(0, limit);
  };

  /** The messages table's delivery items of one conversation (attempts, failures), by message key. */
  const deliveryItems = async (conversationId: string) => {
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: target.tables.messages,
        KeyConditionExpression: 'conversation_id = :id',
        FilterExpression: 'attribute_not_exists(kind) OR kind <> :entry',
        ExpressionAttributeValues: { ':id': conversationId, ':entry': 'entry' },
      }),
    );
    return Items;
  };

  /** One request's thread across its channels: every message with who wrote it, its delivery, attempts and failures. */
  const thread = async (companyId: string, projectId: string, requestId: string) => {
    const threadItem = await threads.get(threadKeyOf(companyId, projectId, requestId));
    if (!threadItem) return undefined;
    const conversationItems = await Promise.all(
      threadItem.conversations.map(async ({ primary_channel, conversation_id, channel }) => {
        const { Items = [] } = await documents.send(
          new QueryCommand({
            TableName: target.tables.conversations,
            KeyConditionExpression: 'primary_channel = :p AND conversation_id = :c',
            ExpressionAttributeValues: { ':p': primary_channel, ':c': conversation_id },
          }),
        );
        const item = Items[0] as ConversationItem | undefined;
        const [messages, items] = await Promise.all([entries.all(conversation_id), deliveryItems(conversation_id)]);
        const ours = messages.filter((m) => m.role !== 'user').map((m) => m.message_id);
        const statuses: Map<string, CurrentDelivery> =
          deliveries && ours.length > 0 ? await deliveries.current(ours) : new Map<string, CurrentDelivery>();
        return {
          channel,
          conversation_id,
          summary: item ? summaryOf(item) : undefined,
          messages: messages.map((m) => ({ ...m, delivery: m.role === 'user' ? undefined : statuses.get(m.message_id) })),
          deliveries: (items as Partial<MessageItem>[]).map((d) => ({
            message_key: String(d.message_key),
            message_status: d.message_status,
            attempts: d.attempts,
            failure_reason: d.failure_reason,
            failure_class: d.failure_class,
            retries_exhausted_at: d.retries_exhausted_at,
          })),
        };
      }),
    );
    return { thread_id: threadItem.thread_id ?? null, status: threadItem.status, conversations: conversationItems };
  };

  return { conversations, thread };
};
