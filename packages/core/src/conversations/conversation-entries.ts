import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../aws/query-all';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { MessageEntry } from './types';

/**
 * What was said on a conversation, one item per message (docs/data-model.md "messages"), beside
 * the message's delivery item in the messages table: `message_key` = `entry#<timestamp>#<id>`, so
 * a conversation's entries read in order, a page at a time, and no item grows with the
 * conversation (DynamoDB refuses an item past 400 KB: a conversation holding every message broke
 * after about 120 long replies). The conversation item keeps a bounded summary: `message_count`,
 * `first_message_at`, `last_message_at`, `first_subject`.
 */
export const ENTRY_PREFIX = 'entry#';

export const entryKeyOf = (entry: Pick<MessageEntry, 'timestamp' | 'message_id'>): string =>
  `${ENTRY_PREFIX}${entry.timestamp}#${entry.message_id}`;

/** The entry as its item: the message, keyed under its conversation, expiring with it. */
export const entryItemOf = (conversationId: string, entry: MessageEntry, expiresAt?: number): Record<string, unknown> => ({
  conversation_id: conversationId,
  message_key: entryKeyOf(entry),
  kind: 'entry',
  ...entry,
  ...(typeof expiresAt === 'number' ? { expires_at: expiresAt } : {}),
});

const toEntry = (item: Record<string, unknown>): MessageEntry => {
  const { conversation_id: _c, message_key: _k, kind: _kind, expires_at: _e, ...entry } = item;
  return entry as unknown as MessageEntry;
};

export interface EntryPage {
  /** Oldest first. */
  entries: MessageEntry[];
  /** Where the next (older) page starts, when there is one: an opaque cursor. */
  before?: string;
}

export interface ConversationEntries {
  /** The newest `limit` entries (oldest first), or those before `before`. */
  page(conversationId: string, options: { limit: number; before?: string }): Promise<EntryPage>;
  /** Every entry, oldest first (operators, erasure). */
  all(conversationId: string): Promise<MessageEntry[]>;
}

const databaseError = (error: unknown) => transient(ErrorCodes.DATABASE_ERROR, "The conversation's messages could not be read.", error);

export const encodeEntryCursor = (messageKey: string): string => Buffer.from(messageKey, 'utf8').toString('base64url');
export const decodeEntryCursor = (cursor: string): string | undefined => {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return key.startsWith(ENTRY_PREFIX) && key.length < 1024 ? key : undefined;
};

export const dynamoConversationEntries = (client: DynamoDBDocumentClient, messagesTable: string): ConversationEntries => ({
  async page(conversationId, { limit, before }) {
    const beforeKey = before ? decodeEntryCursor(before) : undefined;
    try {
      // One more than asked, to know whether an older page exists (the cursor's own entry is
      // excluded below); DynamoDB answers at most 1 MB a call, so a page of long messages takes several.
      const newestFirst: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const result = await client.send(
          new QueryCommand({
            TableName: messagesTable,
            KeyConditionExpression: beforeKey
              ? 'conversation_id = :id AND message_key BETWEEN :from AND :to'
              : 'conversation_id = :id AND begins_with(message_key, :prefix)',
            ExpressionAttributeValues: beforeKey
              ? { ':id': conversationId, ':from': ENTRY_PREFIX, ':to': beforeKey }
              : { ':id': conversationId, ':prefix': ENTRY_PREFIX },
            ScanIndexForward: false,
            Limit: limit + 2 - newestFirst.length,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        newestFirst.push(...(result.Items ?? []).filter((item) => item.message_key !== beforeKey));
        start = result.LastEvaluatedKey;
      } while (start && newestFirst.length < limit + 1);
      const oldestFirst = newestFirst.slice(0, limit).reverse();
      const more = newestFirst.length > limit;
      return {
        entries: oldestFirst.map(toEntry),
        ...(more && oldestFirst.length > 0 ? { before: encodeEntryCursor(String(oldestFirst[0]!.message_key)) } : {}),
      };
    } catch (error) {
      throw databaseError(error);
    }
  },
  async all(conversationId) {
    try {
      const items = await queryAll(client, {
        TableName: messagesTable,
        KeyConditionExpression: 'conversation_id = :id AND begins_with(message_key, :prefix)',
        ExpressionAttributeValues: { ':id': conversationId, ':prefix': ENTRY_PREFIX },
        ConsistentRead: true,
      });
      return items.map(toEntry);
    } catch (error) {
      throw databaseError(error);
    }
  },
});
